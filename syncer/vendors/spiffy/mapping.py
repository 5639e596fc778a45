"""Spiffy image JSON <-> the canonical :class:`~syncer.records.ImageRecord`, both ways; pure.

Owner references
----------------
A Spiffy image hangs off a product, a standard collection or a super collection. Records name
their owner ``"{kind}/{ref}"``:

- ``kind`` is the plural used in Spiffy's URLs: ``products``, ``standard_collections`` or
  ``super_collections`` (a collection image only says ``collection_id``, which does not tell the
  two collection kinds apart, so the kind must be part of the reference);
- ``ref`` is the owner's numeric id (what the source emits, e.g. ``products/100001``) or, on a
  target, its handle (``products/blue-mug``), as Spiffy's URLs accept both. Prefer ids: handles
  change when an owner is renamed, and an all-digit handle is read as an id first.

Record fields from a listed image: ``key`` = the image id; ``version`` = ``"{id}:{digest}"``
(Spiffy's digest changes only when an image is re-created, and bytes under one id never change,
so the pair is a content version); ``url`` = ``src``; ``mime`` from ``extension`` (which Spiffy
derives from the bytes); ``sha256`` and ``size`` are unknown until the bytes are read.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from syncer.records import ImageRecord, TargetItem
from syncer.vendors.names import safe_filename

PRODUCTS = "products"
STANDARD_COLLECTIONS = "standard_collections"
SUPER_COLLECTIONS = "super_collections"
OWNER_KINDS = (PRODUCTS, STANDARD_COLLECTIONS, SUPER_COLLECTIONS)

#: What Spiffy accepts, by MIME type and by the ``extension`` it reports.
MIME_BY_EXTENSION = {"png": "image/png", "gif": "image/gif", "jpg": "image/jpeg"}
ACCEPTED_MIMES = frozenset(MIME_BY_EXTENSION.values())
EXTENSION_BY_MIME = {mime: ext for ext, mime in MIME_BY_EXTENSION.items()}
#: Spiffy refuses longer file names (422).
MAX_FILENAME = 255


class MappingError(ValueError):
    """A vendor answer or a record that cannot be mapped; the client names vendor and operation."""


@dataclass(frozen=True, slots=True)
class OwnerRef:
    """A parsed owner reference: the URL kind and the id or handle."""

    kind: str
    ref: str

    @property
    def path(self) -> str:
        """``/api/{kind}/{ref}`` with the ref quoted (handles are free text on paper)."""
        return f"/api/{self.kind}/{quote(self.ref, safe='')}"

    def __str__(self) -> str:
        return f"{self.kind}/{self.ref}"


def owner_ref(kind: str, owner_id: int | str) -> str:
    """The record owner for an owner of ``kind`` with id ``owner_id``: ``products/100001``."""
    return f"{kind}/{owner_id}"


def parse_owner(reference: str) -> OwnerRef:
    """``"products/123"`` -> OwnerRef; anything else is a MappingError saying what is allowed."""
    kind, slash, ref = reference.strip().partition("/")
    if not slash or kind not in OWNER_KINDS or not ref.strip() or "/" in ref:
        raise MappingError(
            f"owner {reference!r} is not a Spiffy owner reference: use KIND/ID or KIND/HANDLE "
            f"with KIND one of {', '.join(OWNER_KINDS)} (e.g. products/100001)"
        )
    return OwnerRef(kind, ref.strip())


# -- vendor JSON -> record ---------------------------------------------------------------------


def _field(image: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = image.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise MappingError(f"image field {name!r} is missing or not {_kind_name(kind)}: {value!r}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def version_of(image: Mapping[str, Any]) -> str:
    """Spiffy's cheap change token: ``"{id}:{digest}"`` (a new digest only on re-create)."""
    return f"{_field(image, 'id', int)}:{_field(image, 'digest', str)}"


def mime_of(image: Mapping[str, Any]) -> str | None:
    """The MIME type from ``extension`` (from the bytes), else from the file name, else None."""
    extension = image.get("extension")
    if isinstance(extension, str) and extension.lower() in MIME_BY_EXTENSION:
        return MIME_BY_EXTENSION[extension.lower()]
    filename = image.get("filename")
    if isinstance(filename, str) and "." in filename:
        suffix = filename.rsplit(".", 1)[1].lower().replace("jpeg", "jpg")
        return MIME_BY_EXTENSION.get(suffix)
    return None


def to_record(image: Mapping[str, Any], kind: str, owner_id: int) -> ImageRecord:
    """One listed image of the owner ``kind``/``owner_id`` as a canonical record.

    The owner comes from the URL that listed the image, not from ``product_id``/
    ``collection_id``, which cannot tell a standard from a super collection.
    """
    image_id = _field(image, "id", int)
    alt = image.get("alt")
    position = image.get("position")
    variation_ids = image.get("variation_ids") or []
    return ImageRecord(
        key=str(image_id),
        owner=owner_ref(kind, owner_id),
        filename=_field(image, "filename", str),
        mime=mime_of(image),
        alt=alt if isinstance(alt, str) else None,
        position=position if isinstance(position, int) and not isinstance(position, bool) else None,
        version=version_of(image),
        url=_field(image, "src", str),
        extra={
            "kind": kind,
            "owner_id": owner_id,
            "digest": image.get("digest"),
            "extension": image.get("extension"),
            "variation_ids": list(variation_ids) if isinstance(variation_ids, list) else [],
        },
    )


def to_target_item(image: Mapping[str, Any], sha256: str | None = None) -> TargetItem:
    """What a target write left on Spiffy: the image id, its version and (if known) sha256."""
    return TargetItem(
        id=str(_field(image, "id", int)),
        version=version_of(image),
        sha256=sha256,
        extra={"position": image.get("position"), "src": image.get("src")},
    )


# -- record -> vendor payloads -----------------------------------------------------------------


def target_filename(record: ImageRecord) -> str:
    """The file name Spiffy will store for ``record``, normalised exactly as Spiffy does.

    Spiffy keeps the base name as sent (directories dropped, spaces trimmed), so ``find`` can
    compare names. Empty names get ``image.{ext}``; names over 255 characters are shortened,
    keeping the extension.
    """
    fallback = f"image.{EXTENSION_BY_MIME.get(record.mime or '', 'jpg')}"
    name = safe_filename(posixpath.basename(record.filename.replace("\\", "/")), fallback)
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) < 16:
            name = stem[: MAX_FILENAME - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_FILENAME]
    return name


def create_fields(record: ImageRecord, position: int | None = None) -> dict[str, Any]:
    """The create body's ``image`` object without the file: ``filename``, ``alt``, ``position``.

    ``position`` overrides the record's (a replace puts the new image where the old one was).
    """
    fields: dict[str, Any] = {"filename": target_filename(record)}
    if record.alt is not None:
        fields["alt"] = record.alt
    wanted = record.position if position is None else position
    if wanted is not None:
        fields["position"] = max(1, wanted)
    return fields


def attachment_envelope(fields: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """The JSON around a Base64 ``attachment``: ``{"image": {...fields, "attachment": "`` and
    ``"}}``, so the file can be streamed in between without holding it in memory (Base64 needs
    no JSON escaping)."""
    opened = json.dumps({"image": dict(fields)})
    if not opened.endswith("}}"):
        raise MappingError("unexpected JSON for the image fields")
    inner = opened[:-2]
    separator = ", " if fields else ""
    return f'{inner}{separator}"attachment": "'.encode(), b'"}}'


def encoded_size(size: int) -> int:
    """The length of the padded Base64 encoding of ``size`` bytes."""
    return 4 * ((size + 2) // 3)


def update_payload(image_id: int, record: ImageRecord) -> dict[str, Any]:
    """The PUT body: ``image.id`` (Spiffy requires it to match the URL) plus ``alt``/``position``,
    the only fields Spiffy can change in place. ``alt`` is always sent (``""`` for none), so
    an alt text removed at the source (or added on Spiffy by hand) is cleared, not kept."""
    image: dict[str, Any] = {"id": image_id, "alt": record.alt or ""}
    if record.position is not None:
        image["position"] = max(1, record.position)
    return {"image": image}


def replacement_position(old: int, wanted: int | None) -> int:
    """Where to create the new image of a replace so that it ends at the wanted place once the
    old one (still present during the create) is deleted.

    Without a wanted position it takes the old one's place. A wanted place after the old one is
    asked one further down, because deleting the old image moves it up by one.
    """
    if wanted is None:
        return old
    if wanted <= old:
        return max(1, wanted)
    return wanted + 1


def image_id_of(target_id: str) -> int:
    """A target id as Spiffy's integer image id (a MappingError for anything else)."""
    text = target_id.strip()
    if not (text.isascii() and text.isdigit()):
        raise MappingError(f"{target_id!r} is not a Spiffy image id (an integer)")
    return int(text)
