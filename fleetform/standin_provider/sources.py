"""Fetching an image from ``source_url`` into memory, as the real provider does before uploading it.

The Go code picks the method by substring: a URL containing ``http`` anywhere is fetched over HTTP(S); else
the text after ``file:///`` is the path. For virtual disks that path is used as is, so ``file:///tmp/x.img``
means the *relative* path ``tmp/x.img`` and an absolute path needs four slashes (``file:////tmp/x.img``); ISOs
put the slash back. One deliberate difference: the real provider uploads whatever an HTTP server answers,
error pages included; the stand-in refuses a non-2xx answer instead of turning it into a disk image.
"""

from __future__ import annotations

HTTP_TIMEOUT = (30, 600)


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
    # Imported here: Terraform also starts the provider for schemas alone, which need no HTTP.
    import requests

    from fleetform.hypercore.client import describe_error

    if not url.startswith(("http://", "https://")):
        scheme = url.split(":", 1)[0] if ":" in url else ""
        raise SourceError(f'Get "{url}": unsupported protocol scheme "{scheme}"')
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT)
    except requests.RequestException as exc:
        raise SourceError(f'Get "{url}": {describe_error(exc)}') from None
    if not response.ok:
        raise SourceError(
            f"the server answered HTTP {response.status_code} {response.reason}. (fleetform stand-in: the "
            "real provider would upload this error page as the disk image.)"
        )
    return response.content


def _file(path: str) -> bytes:
    try:
        with open(path, "rb") as stream:
            return stream.read()
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise SourceError(f"error opening file '{path}': open {path}: {reason}") from None
