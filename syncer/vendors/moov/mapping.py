"""Moov's ``ImageMetadata`` to the canonical :class:`ImageRecord` and back. Pure functions.

**Owner reference.** A Moov image belongs to an account, so an owner (a source record's
``owner``, or the owner a target record was mapped to) is the Moov **account ID**, a UUID such as
``11111111-1111-4111-8111-111111111111``, verbatim.

**What a record can and cannot say.** Moov's metadata has ``imageID``, ``publicID``, ``link``,
``createdOn``, ``updatedOn``, ``altText`` and ``disabledOn``: no filename, type, size or hash,
and the original bytes can never be read back (only renditions of at most 2048 px). So a record
from Moov has ``key`` = ``imageID``, ``filename`` = ``imageID`` without an extension (the type is
only known once the rendition's bytes are read, see :func:`filename_for`), ``mime``/``size``/
``sha256`` None, ``alt`` = ``altText``, ``version`` = ``updatedOn`` (it moves on every replace
and metadata change), ``url`` = ``link``, ``deleted`` = ``disabledOn`` is set, and
``extra["original_available"] = False``.

Towards Moov only ``altText`` can be set: :func:`metadata_payload` always sends it, because
Moov's metadata PUT (and a replace's ``metadata`` part) is a full replace.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yarl import URL

from syncer.records import Blob, ImageRecord, TargetItem
from syncer.vendors.names import safe_filename

VENDOR = "moov"
#: The metadata keys Moov always sends (vendor notes §2).
REQUIRED_KEYS = ("imageID", "publicID", "link", "createdOn", "updatedOn")
#: Moov only serves renditions, each side capped at this many pixels.
MAX_RENDITION_PX = 2048
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def check_metadata(meta: Any) -> Mapping[str, Any]:
    """``meta`` if it is an ImageMetadata object Moov could have sent; else ValueError (the
    client turns it into a ProtocolError)."""
    if not isinstance(meta, Mapping):
        raise ValueError(f"expected an ImageMetadata object, got {type(meta).__name__}")
    missing = [key for key in REQUIRED_KEYS if not isinstance(meta.get(key), str)]
    if missing:
        raise ValueError(f"ImageMetadata without {', '.join(missing)}")
    for key in ("altText", "disabledOn"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            raise ValueError(f"ImageMetadata {key} is not a string")
    return meta


def is_disabled(meta: Mapping[str, Any]) -> bool:
    """Moov's delete only disables: ``disabledOn`` set means deleted."""
    return bool(meta.get("disabledOn"))


def to_record(meta: Mapping[str, Any], account_id: str) -> ImageRecord:
    """The canonical record of one listed image of account ``account_id``."""
    meta = check_metadata(meta)
    image_id = str(meta["imageID"])
    return ImageRecord(
        key=image_id,
        owner=account_id,
        filename=image_id,
        alt=meta.get("altText"),
        version=str(meta["updatedOn"]),
        url=str(meta["link"]),
        deleted=is_disabled(meta),
        extra={
            "account_id": account_id,
            "public_id": meta["publicID"],
            "created_on": meta["createdOn"],
            "updated_on": meta["updatedOn"],
            "disabled_on": meta.get("disabledOn"),
            "original_available": False,
        },
    )


def filename_for(record: ImageRecord, mime: str) -> str:
    """``{imageID}.{ext}`` once the bytes' type is known (``mime`` of the rendition read)."""
    ext = EXTENSIONS.get(mime)
    stem = record.filename.rsplit(".", 1)[0] if "." in record.filename else record.filename
    return f"{stem}.{ext}" if ext else record.filename


def to_item(
    meta: Mapping[str, Any], sha256: str | None = None, *, adopted: bool = False
) -> TargetItem:
    """What a target holds after a write; ``sha256`` is that of the bytes we uploaded (Moov
    never says it; a 409 duplicate holds exactly those bytes)."""
    meta = check_metadata(meta)
    extra: dict[str, Any] = {"public_id": meta["publicID"], "link": meta["link"]}
    if is_disabled(meta):
        extra["disabled_on"] = meta["disabledOn"]
    return TargetItem(
        id=str(meta["imageID"]),
        version=str(meta["updatedOn"]),
        sha256=sha256,
        extra=extra,
        adopted=adopted,
    )


def metadata_payload(record: ImageRecord) -> dict[str, Any]:
    """The full metadata Moov should hold for ``record``; ``altText`` is always sent (null
    clears it), since Moov replaces the metadata as a whole."""
    return {"altText": record.alt}


def alt_matches(meta: Mapping[str, Any], record: ImageRecord) -> bool:
    """Whether Moov already holds ``record``'s alt text (absent and null count as None)."""
    return meta.get("altText") == record.alt


def upload_filename(record: ImageRecord, blob: Blob) -> str:
    """The ``filename`` of the multipart ``image`` part: the record's, with the extension of
    the bytes actually sent (Moov sniffs the type and keeps the name for nothing visible)."""
    ext = EXTENSIONS.get(blob.mime)
    name = safe_filename(record.filename, record.key)
    if ext is None or name.lower().endswith(f".{ext}"):
        return name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem}.{ext}"


def duplicate_metadata(body: Any) -> Mapping[str, Any] | None:
    """The existing image a 409 duplicate names (API v2026.10.00 and later), whether the body
    is the metadata alone or ``{"error", ...metadata}``; None when it names none."""
    try:
        return check_metadata(body)
    except ValueError:
        return None


def rendition_url(link: str) -> str:
    """The public link asking for the largest rendition there is: ``size=2048x0``.

    One side 0 keeps the aspect ratio, and Moov caps *each* side (a derived one too) at 2048, so
    ``2048x0`` gives a long side of 2048 px for landscape and portrait images alike (``0x2048``
    would do the same). Smaller images come back scaled up: Moov never says the original size.
    """
    return str(URL(link).update_query(size=f"{MAX_RENDITION_PX}x0"))


def public_link(base_url: str, public_id: str) -> str:
    """The public link of an image whose record lost its ``url``."""
    return f"{base_url.rstrip('/')}/images/{public_id}"
