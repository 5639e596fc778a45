"""A faithful local emulator of Partium's Catalog API, part images only.

Images are keyed by a client-chosen ``image_id`` and hang off exactly one part type (the owner,
``part-0001`` ...). Writes are batched (multipart upsert, JSON-array delete) with per-item errors
inside a 200; the list pages with an opaque keyset cursor; maintenance refuses writes only.
Routes live in :mod:`syncer.emulators.partium.routes`; see ``docs/emulators/partium.md``.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from aiohttp import web

from syncer.emulators.base import (
    SEED_EPOCH,
    AdminError,
    Credentials,
    EmulatedError,
    VendorEmulator,
    iso,
    json_response,
    route_of,
    utcnow,
)
from syncer.emulators.faults import FaultConfig
from syncer.emulators.images import EXTENSION, MIME, GeneratedImage, sniff_format
from syncer.emulators.partium.descriptions import describe, image_id_problem, info_problem
from syncer.emulators.partium.errors import API_KEY, MAINTENANCE_MESSAGE
from syncer.emulators.partium.knobs import PartiumKnobs
from syncer.emulators.partium.lifecycle import CatalogLifecycle
from syncer.emulators.partium.routes import WRITE_ROUTES, CatalogRoutes
from syncer.emulators.partium.upsert import Candidate
from syncer.emulators.store import CatalogStore, Owner, StoredImage

PART_KIND = "part_type"
_PART_WORDS = (
    "Bearing",
    "Bolt",
    "Bracket",
    "Filter",
    "Gasket",
    "Hose",
    "Nut",
    "Pump",
    "Seal",
    "Spring",
    "Valve",
    "Washer",
)
_PART_SIZES = ("M6", "M8", "M10", "M12", "DN25", "DN50", "6204", "6305", "1/2in", "3/4in")
_VIEWS = ("front", "side", "top", "detail", "label", "box")
_ADMIN_ADD_FIELDS = frozenset({"image_id", "info"})
_ADMIN_EDIT_FIELDS = frozenset({"info", "part_id"})


class PartiumEmulator(VendorEmulator):
    """Partium's Catalog API (images of part types) on loopback."""

    name = "partium"
    title = "Partium Catalog API"
    default_port = 8103
    demo_connection = 'api_key = "demo"\n'
    accepted_formats = ("jpeg", "png")
    default_owners = 10
    knobs_type = PartiumKnobs

    def __init__(
        self,
        store: CatalogStore | None = None,
        faults: FaultConfig | None = None,
        knobs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(store, faults, knobs)
        self.lifecycle = CatalogLifecycle(self.store)

    # -- vendor surface ------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        CatalogRoutes(self).register(router)

    def error_response(self, request: web.Request, status: int, message: str) -> web.Response:
        return json_response({"detail": message}, status=status)

    def credentials(self) -> Credentials:
        return Credentials(
            (
                ("API base", "{base_url}/1/catalog"),
                ("API key", API_KEY),
                ("header", f"Authorization: Bearer {API_KEY}"),
            )
        )

    def rate_limited_response(self, request: web.Request, retry_after: int) -> web.Response:
        """Starlette's default 429 body; rate limits are undocumented for Partium."""
        response = self.error_response(request, 429, "Too Many Requests")
        response.headers["Retry-After"] = str(retry_after)
        return response

    def maintenance_applies(self, request: web.Request) -> bool:
        """Maintenance refuses writes only: upsert and delete; reads (list and select are POST
        too) keep working."""
        return (request.method, route_of(request)) in WRITE_ROUTES

    def maintenance_error(self) -> EmulatedError:
        return EmulatedError(503, MAINTENANCE_MESSAGE)

    def vendor_view(self, request: web.Request, image: StoredImage) -> Any:
        return describe(image)

    # -- writes shared by the API and the admin hooks ------------------------------------------

    def save_upload(self, candidate: Candidate, fmt: str) -> bool:
        """Store one checked upsert item; True when it created a new image."""
        part = self.store.owners.get(candidate.part_id) or self._auto_part(candidate.part_id)
        existing = self.store.image(candidate.image_id)
        filename = candidate.file.filename or f"{candidate.image_id}.{EXTENSION[fmt]}"
        image = self.new_image(
            id=candidate.image_id,
            owner=part.id,
            filename=filename,
            data=candidate.file.data,
            mime=MIME[fmt],
            fields={"info": candidate.info},
        )
        if existing is not None:
            image.created_at = existing.created_at
        self.store.put_image(image)
        return existing is None

    def _auto_part(self, part_id: str) -> Owner:
        """A part type created on the fly (knob ``auto_create_parts``)."""
        owner = Owner(id=part_id, kind=PART_KIND, fields={"name": part_id, "auto_created": True})
        return self.store.put_owner(owner)

    # -- seeding ---------------------------------------------------------------------------------

    def seed(self, count: int, owners: int | None = None, seed_value: int = 0) -> None:
        """Seed as the base does; a catalog with seeded images records an import right after
        the last one, so it starts ``clean`` with a ``last_import``."""
        super().seed(count, owners, seed_value)
        if count:
            self.lifecycle.mark_imported(SEED_EPOCH + timedelta(minutes=count + 1))

    def seed_owner(self, index: int, rng: random.Random) -> Owner:
        name = f"{rng.choice(_PART_WORDS)} {rng.choice(_PART_SIZES)}"
        return Owner(id=part_id_for(index), kind=PART_KIND, fields={"name": name})

    def seed_image(
        self, owner: Owner, image: GeneratedImage, index: int, rng: random.Random, when: datetime
    ) -> StoredImage:
        image_id = f"{rng.choice(_VIEWS)}-{index + 1:05d}"
        return self.new_image(
            id=image_id,
            owner=owner.id,
            filename=f"{image_id}.{image.extension}",
            data=image.data,
            mime=image.mime,
            fields={"info": _seed_info(rng)},
            when=when,
        )

    # -- admin hooks (changes "as a Partium UI user would") ---------------------------------------

    def admin_add_owner(self, fields: dict[str, Any]) -> Owner:
        """A new part type: ``fields["id"]`` chooses its id, else the next free ``part-NNNN``."""
        fields = dict(fields)
        chosen = fields.pop("id", None)
        part_id = str(chosen) if chosen else self._next_part_id()
        if part_id in self.store.owners:
            raise AdminError(400, f"part type {part_id!r} already exists")
        index = len(self.store.owners)
        owner = self.seed_owner(index, random.Random(f"{self.name}-owner-{index}"))
        owner.id = part_id
        owner.fields.update(fields)
        return self.store.put_owner(owner)

    def admin_add(
        self, owner: Owner, filename: str, data: bytes, fields: dict[str, Any]
    ) -> StoredImage:
        """Add ``fields["image_id"]`` (default: the filename's stem, else ``ui-N``) with
        ``fields["info"]`` (default ``searchable``)."""
        _refuse_unknown(fields, _ADMIN_ADD_FIELDS)
        image_id = self._admin_image_id(fields.get("image_id"), filename)
        info = self._admin_info(fields.get("info", "searchable"))
        image = self.new_image(
            id=image_id,
            owner=owner.id,
            filename=filename,
            data=data,
            mime=self._admin_mime(data),
            fields={"info": info},
        )
        self.store.put_image(image)
        self.lifecycle.record_write(1)
        return image

    def admin_edit(
        self, image: StoredImage, fields: dict[str, Any], data: bytes | None
    ) -> StoredImage:
        """Change ``info``, move to another ``part_id`` and/or replace the bytes, in place."""
        _refuse_unknown(fields, _ADMIN_EDIT_FIELDS)
        info = self._admin_info(fields.get("info", image.fields.get("info", "")))
        part_id = fields.get("part_id", image.owner)
        if part_id not in self.store.owners:
            raise AdminError(400, f"no part type {part_id!r}")
        mime = image.mime if data is None else self._admin_mime(data)
        # a copy: the store re-indexes an image by owner only when the stored one differs
        image = replace(image, fields={**image.fields, "info": info}, owner=part_id)
        if data is not None:
            image.mime, image.sha256, image.size = mime, self.store.put_blob(data), len(data)
        image.updated_at = iso(utcnow())
        self.store.put_image(image)
        self.lifecycle.record_write(1)
        return image

    def admin_delete(self, image: StoredImage) -> None:
        self.store.remove_image(image.id)
        self.lifecycle.record_write(1)

    def _next_part_id(self) -> str:
        index = len(self.store.owners)
        while part_id_for(index) in self.store.owners:
            index += 1
        return part_id_for(index)

    def _admin_image_id(self, chosen: Any, filename: str) -> str:
        if chosen is not None:
            image_id = str(chosen)
            problem = image_id_problem(image_id) or (
                "image already exists" if self.store.image(image_id) else None
            )
            if problem:
                raise AdminError(400, f"image_id {image_id!r}: {problem}")
            return image_id
        stem = PurePosixPath(filename).stem
        if image_id_problem(stem) is None and self.store.image(stem) is None:
            return stem
        counter = int(self.store.meta.get("partium.ui_counter", 0))
        while self.store.image(f"ui-{counter + 1}") is not None:
            counter += 1
        self.store.set_meta("partium.ui_counter", counter + 1)
        return f"ui-{counter + 1}"

    def _admin_info(self, info: Any) -> str:
        problem = info_problem(info)
        if problem:
            raise AdminError(400, problem)
        return str(info)

    def _admin_mime(self, data: bytes) -> str:
        fmt = sniff_format(data)
        if fmt is None or fmt not in self.knobs.formats:
            raise AdminError(400, f"Partium accepts {', '.join(self.knobs.formats)} images only")
        return MIME[fmt]


def part_id_for(index: int) -> str:
    """The id of the ``index``-th seeded part type: ``part-0001`` for index 0."""
    return f"part-{index + 1:04d}"


def _seed_info(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.25:
        return "searchable"
    if roll < 0.4:
        return "display"
    if roll < 0.6:
        return "searchable display"
    return f"searchable display position={rng.randrange(0, 6)}"


def _refuse_unknown(fields: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise AdminError(400, f"unknown field(s) {unknown}; Partium fields: {sorted(allowed)}")
