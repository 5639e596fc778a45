"""``/api/{owner}/{ref}/images...``: list, count, get, create, update and delete, plus the files."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from aiohttp import web

from syncer.emulators.base import EmulatedError, json_response, read_json
from syncer.emulators.spiffy import inputs
from syncer.emulators.spiffy.catalog import Located, SpiffyCatalog, is_number
from syncer.emulators.spiffy.knobs import SpiffyKnobs
from syncer.emulators.spiffy.paging import after, page_of, parse_paging, parse_since_id
from syncer.emulators.spiffy.uploads import invalid, read_upload
from syncer.emulators.spiffy.views import (
    file_name,
    folder_of,
    image_json,
    origin,
    parse_fields,
    select,
)
from syncer.emulators.store import Owner, StoredImage

NOT_FOUND = "Not Found"


def image_id_of(image: StoredImage) -> int:
    return int(image.id)


class ImageHost(Protocol):
    """What the image routes use of their emulator."""

    @property
    def catalog(self) -> SpiffyCatalog: ...

    @property
    def knobs(self) -> SpiffyKnobs: ...

    def make_image(
        self,
        owner: Owner,
        filename: str | None,
        data: bytes,
        fmt: str,
        *,
        alt: str,
        variation_ids: list[int],
        when: datetime | None = None,
    ) -> StoredImage: ...

    def update_metadata(
        self, image: StoredImage, alt: str | None, position: int | None
    ) -> None: ...


class ImageRoutes:
    """The image endpoints of one emulator."""

    def __init__(self, emulator: ImageHost) -> None:
        self.emulator = emulator
        self.catalog = emulator.catalog

    # -- lookups -------------------------------------------------------------------------------

    def _locate(self, request: web.Request) -> Located:
        located = self.catalog.locate(request.match_info["owner"], request.match_info["ref"])
        if located is None:
            raise EmulatedError(404, NOT_FOUND)
        return located

    def _image(self, located: Located, request: web.Request) -> StoredImage:
        wanted = request.match_info["image_id"]
        if is_number(wanted):
            for image in located.images:
                if image.id == str(int(wanted)):
                    return image
        raise EmulatedError(404, NOT_FOUND)

    def _one(
        self, request: web.Request, located: Located, image: StoredImage, status: int = 200
    ) -> web.Response:
        body = image_json(image, located.owner, origin(request))
        return json_response({"image": select(body, parse_fields(request))}, status=status)

    # -- reading -------------------------------------------------------------------------------

    async def list(self, request: web.Request) -> web.Response:
        located = self._locate(request)
        page = page_of(located.images, parse_paging(request), image_id_of)
        names, base = parse_fields(request), origin(request)
        images = [select(image_json(image, located.owner, base), names) for image in page]
        return json_response({"images": images})

    async def count(self, request: web.Request) -> web.Response:
        located = self._locate(request)
        since_id = parse_since_id(request)
        return json_response({"count": len(after(located.images, since_id, image_id_of))})

    async def get(self, request: web.Request) -> web.Response:
        located = self._locate(request)
        return self._one(request, located, self._image(located, request))

    # -- writing -------------------------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        fields = inputs.image_root(await read_json(request))
        located = self._locate(request)
        knobs = self.emulator.knobs
        alt = inputs.parse_alt(fields.get("alt"))
        position = inputs.parse_position(fields.get("position"))
        variation_ids = inputs.parse_variation_ids(
            fields.get("variation_ids"), located.owner, knobs.check_variations
        )
        filename = inputs.parse_filename(fields.get("filename"))
        upload = await read_upload(fields, knobs.fetch_src, knobs.max_bytes)
        image = self.emulator.make_image(
            located.owner,
            filename or upload.suggested_name,
            upload.data,
            upload.fmt,
            alt=alt,
            variation_ids=variation_ids,
        )
        self.catalog.insert(image, position)
        return self._one(request, located, image, status=201)

    async def update(self, request: web.Request) -> web.Response:
        fields = inputs.image_root(await read_json(request))
        located = self._locate(request)
        image = self._image(located, request)
        if not inputs.matches_id(fields.get("id"), image.id):
            raise invalid("id", "must be given and match the image id in the URL")
        alt = inputs.parse_alt(fields["alt"]) if "alt" in fields else None
        self.emulator.update_metadata(image, alt, inputs.parse_position(fields.get("position")))
        return self._one(request, located, image)

    async def delete(self, request: web.Request) -> web.Response:
        located = self._locate(request)
        self.catalog.remove(self._image(located, request))
        return json_response({})

    # -- files ---------------------------------------------------------------------------------

    async def file(self, request: web.Request) -> web.Response:
        """The bytes behind ``src`` (the CDN side: no credentials, the query is ignored)."""
        name = request.match_info["name"]
        number = name.split("_", 1)[0]
        image = self.catalog.store.image(number) if is_number(number) else None
        owner = self.catalog.store.owners.get(image.owner) if image is not None else None
        if (
            image is None
            or owner is None
            or file_name(image) != name
            or (request.match_info["folder"] != folder_of(owner))
        ):
            raise EmulatedError(404, NOT_FOUND)
        return web.Response(
            body=self.catalog.store.data(image),
            content_type=image.mime,
            headers={"Cache-Control": "public, max-age=31536000"},
        )
