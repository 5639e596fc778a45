"""Which image type a file is, from its first bytes."""

from __future__ import annotations

from typing import Final

#: How many leading bytes :func:`sniff_mime` looks at.
HEAD_BYTES: Final = 32
#: The type of bytes the sniffer does not recognise and no hint names.
OCTET_STREAM: Final = "application/octet-stream"


def sniff_mime(head: bytes) -> str | None:
    """The image type named by a file's first bytes (at least 12 of them), or None.

    The one sniffer: the spool, the Partium client and the emulators' ``sniff_format`` use it.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith(b"BM") and head[6:10] == b"\x00\x00\x00\x00":  # reserved words
        return "image/bmp"
    if head[4:8] == b"ftyp":
        return _sniff_ftyp(head[8:12])
    return None


def _sniff_ftyp(brand: bytes) -> str | None:
    if brand in (b"avif", b"avis"):
        return "image/avif"
    if brand in (b"heic", b"heix", b"mif1", b"msf1"):
        return "image/heic"
    return None
