"""Image bytes for a create: Base64 ``attachment`` or a downloaded ``src``, then checked.

Spiffy accepts PNG, GIF and JPEG only. The emulator downloads ``src`` itself, but only from a
loopback address: it must never reach out to the network.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote

import aiohttp
import anyio
from yarl import URL

from syncer.emulators.base import EmulatedError
from syncer.emulators.images import decodes, sniff_format

ACCEPTED = ("png", "gif", "jpeg")
FETCH_TIMEOUT_S = 10.0
_CHUNK = 64 * 1024
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Upload:
    """Checked image bytes, their format and the file name the source suggests (if any)."""

    data: bytes
    fmt: str
    suggested_name: str | None


def invalid(field: str, message: str, status: int = 422) -> EmulatedError:
    """A validation error in ActiveResource's shape: ``{"errors": {field: [message]}}``."""
    return EmulatedError(status, f"{field} {message}", body={"errors": {field: [message]}})


def decode_attachment(value: object) -> bytes:
    """Base64 as Ruby's ``Base64.encode64`` writes it (line breaks every 60 chars) or plain."""
    if not isinstance(value, str):
        raise invalid("attachment", "must be a Base64 string")
    text = _WHITESPACE.sub("", value)
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("attachment", "is not valid Base64") from None


def loopback_url(value: object) -> URL:
    """``value`` as an http(s) URL on a loopback host; anything else is refused with 422."""
    if not isinstance(value, str) or not value:
        raise invalid("src", "must be an http or https URL")
    try:
        url = URL(value)
    except ValueError:
        raise invalid("src", "is not a valid URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise invalid("src", "must be an http or https URL")
    if url.host == "localhost":
        return url.with_host("127.0.0.1")
    try:
        loopback = ipaddress.ip_address(url.host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise invalid(
            "src",
            "must point at a loopback address: the emulator never leaves the "
            "machine (use attachment instead)",
        )
    return url


async def download(url: URL, max_bytes: int) -> bytes:
    """GET ``url`` without following redirects, reading at most ``max_bytes`` (0 = no cap)."""
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, allow_redirects=False) as response,
        ):
            if response.status != 200:
                raise invalid("src", f"could not be downloaded (HTTP {response.status})")
            return await _read_capped(response, max_bytes)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise invalid("src", f"could not be downloaded ({type(exc).__name__})") from None


async def _read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if max_bytes and size > max_bytes:
            raise too_large("src", max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(field: str, max_bytes: int) -> EmulatedError:
    return invalid(field, f"is too large (maximum is {max_bytes} bytes)")


def name_from_url(url: URL) -> str | None:
    name = posixpath.basename(unquote(url.path))
    return name or None


async def check_image(data: bytes, field: str, max_bytes: int) -> str:
    """The format of ``data``, or a 422 for empty, oversize, wrong-type or broken files."""
    if not data:
        raise invalid(field, "is empty")
    if max_bytes and len(data) > max_bytes:
        raise too_large(field, max_bytes)
    fmt = sniff_format(data)
    if fmt not in ACCEPTED:
        kind = fmt.upper() if fmt else "not a known image type"
        raise invalid(field, f"must be a PNG, GIF or JPG image ({kind})")
    if not await anyio.to_thread.run_sync(decodes, data):
        raise invalid(field, "is not a valid image (it does not decode)")
    return fmt


async def read_upload(image: dict[str, object], fetch_src: bool, max_bytes: int) -> Upload:
    """The checked bytes of a create request: ``attachment`` wins when both are given."""
    if image.get("attachment") is not None:
        data = decode_attachment(image["attachment"])
        return Upload(data, await check_image(data, "attachment", max_bytes), None)
    if image.get("src") not in (None, ""):
        if not fetch_src:
            raise invalid("src", "downloads are disabled on this emulator (knob fetch_src)")
        url = loopback_url(image["src"])
        data = await download(url, max_bytes)
        return Upload(data, await check_image(data, "src", max_bytes), name_from_url(url))
    raise invalid("attachment", "can't be blank (send attachment or src)")
