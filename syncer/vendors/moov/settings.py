"""What a Moov connection needs (:class:`MoovSettings`) and what Moov can do (:data:`CAPABILITIES`).

Both are re-exported by :mod:`syncer.vendors.moov.client`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from syncer.errors import ConfigError, ValidationError
from syncer.vendors.contract import Capabilities
from syncer.vendors.fields import SECRET, SOURCE, URL, Limit
from syncer.vendors.moov.mapping import MAX_RENDITION_PX, VENDOR

#: The account the emulator always seeds first (``syncer emulate moov``).
DEMO_ACCOUNT_ID = "11111111-1111-4111-8111-111111111111"
VERSION_HEADER = "X-Moov-Version"
#: The first API version whose 409 duplicate names the existing image (changelog 2026-08-13).
MIN_API_VERSION = "v2026.10.00"
#: Older moov-io/base clamps ``count`` to 200 without saying so; a clamped page would look short
#: and end the listing early, so larger pages are refused.
MAX_PAGE_SIZE = 200
#: Moov's request limit ("16MB"), read as 16 MiB.
MAX_BYTES = 16 * 1024 * 1024
ACCEPTED_MIMES = frozenset({"image/png", "image/jpeg", "image/webp"})
#: The settings an AuthenticationError tells the user to check.
AUTH_SETTING = "moov.username / moov.password"
_VERSION = re.compile(r"^v(\d{4})\.(\d{2})\.(\d{2})$")

CAPABILITIES = Capabilities(
    vendor=VENDOR,
    accepted_mimes=ACCEPTED_MIMES,
    max_bytes=MAX_BYTES,
    updatable_fields=frozenset({"alt"}),
    replace_keeps_id=True,
    update_moves_owner=False,  # an image belongs to its account for good
    batch_size=1,
    soft_delete=True,
    originals_readable=False,
    max_read_pixels=MAX_RENDITION_PX,
    # find: create again: Moov answers a 409 naming the image that holds the same bytes
)


class ImageLimitError(ValidationError):
    """The account's image library is full (300 images to start; disabled ones count, and
    nothing frees them): every further upload to that account will be refused too."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MoovSettings:
    """How to reach one Moov API key's accounts.

    - ``base_url``: the API (``https://api.moov.io``, or an emulator).
    - ``username`` / ``password``: the API key's public and secret key (HTTP Basic).
    - ``account_id``: the account a listing starts with (default: the emulator's demo account);
      ``more_account_ids``: further accounts listed after it, in order. Targets write to the
      account named by each record's ``owner`` instead.
    - ``api_version``: ``X-Moov-Version``; v2026.10.00 or later, so a duplicate upload is
      answered with the existing image (which create adopts).
    - ``page_size``: the list ``count`` (Moov's default is 20; at most 200).
    - ``requests_per_second``: where the adaptive rate starts (Moov documents 40/s per account,
      10/s for test accounts; each 429 halves it); ``concurrency``: requests at once.
    - ``timeout``: seconds to wait for each read from the socket.
    - ``list_disabled``: list disabled (deleted) images as ``deleted=True`` records (True), or
      leave them out (False).
    """

    base_url: Annotated[str, URL] = "https://api.moov.io"
    username: Annotated[str, Field(min_length=1)]
    password: Annotated[str, Field(min_length=1), SECRET]
    account_id: Annotated[str, Field(min_length=1), SOURCE] = DEMO_ACCOUNT_ID
    more_account_ids: Annotated[tuple[Annotated[str, Field(min_length=1)], ...], SOURCE] = ()
    api_version: Annotated[str, Field(pattern=r"^v\d{4}\.\d{2}\.\d{2}$")] = MIN_API_VERSION
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 100
    requests_per_second: Annotated[float | None, Limit("rate")] = 40.0
    concurrency: Annotated[int, Limit("concurrency")] = 8
    timeout: Annotated[float, Field(gt=0)] = 30.0
    list_disabled: Annotated[bool, SOURCE] = True

    def __post_init__(self) -> None:
        match = _VERSION.match(self.api_version)
        if match is None:
            raise ConfigError(
                f"moov.api_version {self.api_version!r} is not vYYYY.MM.BB (e.g. {MIN_API_VERSION})"
            )
        if tuple(map(int, match.groups())) < (2026, 10, 0):
            raise ConfigError(
                f"moov.api_version must be {MIN_API_VERSION} or later, got {self.api_version}: "
                "older versions answer a duplicate upload without naming the existing image"
            )
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ConfigError(f"moov.page_size must be 1..{MAX_PAGE_SIZE}, got {self.page_size}")
        if not self.account_id or not all(self.more_account_ids):
            raise ConfigError("moov.account_id and moov.more_account_ids must not be empty")

    def __repr__(self) -> str:
        return f"MoovSettings(base_url={self.base_url!r}, accounts={list(self.accounts)!r})"

    @property
    def accounts(self) -> tuple[str, ...]:
        """The accounts a listing walks through, in order, each once."""
        return tuple(dict.fromkeys((self.account_id, *self.more_account_ids)))
