"""Disk images on the machine that runs Terraform: mirror locations, source URLs and virtual sizes.

The provider uploads ``source_url`` from the Terraform host (provider.md §3.2), so a local mirror is just a
``file:///`` URL. Its quirk: the text after ``file:///`` is the path, so an absolute path needs four slashes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

QCOW2_MAGIC = b"QFI\xfb"
_REMOTE_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class ImageInfo:
    """What fleetform can learn about an image before it is uploaded."""

    path: Path
    format: str  # "raw", "qcow2" or "iso"
    virtual_size: int  # bytes the disk holds once attached


def is_remote(location: str) -> bool:
    """True for http(s) URLs, which fleetform cannot read at synth time."""
    return location.startswith(_REMOTE_SCHEMES)


def local_path(location: str) -> Path | None:
    """The local file a mirror location names (a path or a ``file://`` URL), or None for a remote URL."""
    if is_remote(location):
        return None
    if location.startswith("file://"):
        # Both spellings occur: file:///abs/path (standard) and file:////abs/path (the provider's own quirk).
        return Path("/" + location[len("file://") :].lstrip("/"))
    return Path(location)


def source_url(location: str) -> str:
    """The ``source_url`` the provider needs for a mirror location (URLs pass through unchanged)."""
    path = local_path(location)
    if path is None:
        return location
    return "file:///" + str(path.resolve())


def probe(path: Path) -> ImageInfo:
    """Read an image's format and virtual size from its header (raw and ISO: the file size)."""
    with path.open("rb") as handle:
        header = handle.read(32)
        size = path.stat().st_size
    if header[:4] == QCOW2_MAGIC and len(header) >= 32:
        (virtual_size,) = struct.unpack(">Q", header[24:32])
        return ImageInfo(path, "qcow2", virtual_size)
    fmt = "iso" if path.suffix.lower() == ".iso" else "raw"
    return ImageInfo(path, fmt, size)


def upload_name(app: str, asset: str, url: str, fmt: str) -> str:
    """The cluster-side name of an uploaded image: unique per application, with an extension HyperCore accepts."""
    if fmt == "iso":
        return f"{app}-{asset}.iso"
    suffix = Path(urlparse(url).path).suffix.lower()
    known = {".img", ".raw", ".qcow2", ".vmdk", ".vhd", ".vhdx"}
    ext = suffix if suffix in known else (".qcow2" if fmt == "qcow2" else ".img")
    return f"{app}-{asset}{ext}"
