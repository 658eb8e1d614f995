"""Fetching an image from ``source_url`` into memory, as the real provider does before uploading it.

``FetchFileBinaryFromURL`` and ``ReadLocalFileBinary`` (``utils/helper.go``). The Go code picks the method by
substring: a URL containing ``http`` anywhere is fetched with ``http.Get``; else the text after ``file:///``
is the path. For virtual disks that path is used as is, so ``file:///tmp/x.img`` means the *relative* path
``tmp/x.img`` and an absolute path needs four slashes (``file:////tmp/x.img``); ISOs put the slash back.

``http.Get`` never looks at the status: an error page (a 404 or 500 answer) is read like any image and
uploaded as the disk or ISO. It verifies TLS, takes proxies from the environment and has no timeout; so does
this.
"""

from __future__ import annotations


class SourceError(Exception):
    """The image could not be fetched; the message is the real provider's wording of the cause."""


def fetch(url: str, *, absolute_file_path: bool) -> bytes:
    """The bytes at ``url`` (``absolute_file_path``: the ISO flavour of the ``file:///`` quirk)."""
    if "http" in url:
        return _http(url)
    if "file:///" in url:
        path = url.split("file:///")[1]
        return _file(f"/{path}" if absolute_file_path else path)
    return b""


def _http(url: str) -> bytes:
    import requests  # loaded here: Terraform also starts the provider for schemas alone

    from fleetform.standin_provider.rest import transport_reason

    if not url.startswith(("http://", "https://")):
        scheme = url.split(":", 1)[0] if ":" in url else ""
        raise SourceError(f'Get "{url}": unsupported protocol scheme "{scheme}"')
    try:
        response = requests.get(url, timeout=None)
    except requests.RequestException as exc:
        raise SourceError(f'Get "{url}": {transport_reason(url, exc)}') from None
    return response.content


def _file(path: str) -> bytes:
    try:
        with open(path, "rb") as stream:
            return stream.read()
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise SourceError(f"error opening file '{path}': open {path}: {reason}") from None
