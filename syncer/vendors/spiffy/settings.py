"""How to reach one Spiffy store (:class:`SpiffySettings`) and what Spiffy can do
(:data:`CAPABILITIES`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import AfterValidator, Field

from syncer.errors import ConfigError
from syncer.http import Auth, BasicAuth, BearerAuth
from syncer.vendors.contract import Capabilities
from syncer.vendors.fields import SECRET, SOURCE, URL
from syncer.vendors.spiffy import mapping

VENDOR = "spiffy"
#: Spiffy's largest page (``limit`` above it is silently lowered, which would end paging early).
MAX_PAGE_LIMIT = 50

CAPABILITIES = Capabilities(
    vendor=VENDOR,
    accepted_mimes=mapping.ACCEPTED_MIMES,
    max_bytes=None,  # undocumented
    updatable_fields=frozenset({"alt", "position"}),
    replace_keeps_id=False,
    update_moves_owner=False,  # PUT changes alt and position only
    batch_size=1,
    soft_delete=False,
    originals_readable=True,
    # find: the owner's images with the same file name and sha256 (bytes downloaded from src)
)

BASIC_SETTING = "spiffy.api_key / spiffy.password"
TOKEN_SETTING = "spiffy.token"


def _known_kinds(kinds: Sequence[str]) -> Sequence[str]:
    """A job file's ``owner_kinds``: some of :data:`~.mapping.OWNER_KINDS`, each once."""
    known = mapping.OWNER_KINDS
    if not kinds or any(k not in known for k in kinds) or len(set(kinds)) < len(kinds):
        raise ValueError(f"list some of {', '.join(known)}, each once")
    return kinds


@dataclass(frozen=True, slots=True)
class SpiffySettings:
    """How to reach one Spiffy store.

    ``base_url`` is the store root, without ``/api`` (``https://acme.spiffystores.com``; for a
    path-prefixed store, the prefix included). Credentials: a private app's ``api_key`` and
    ``password`` (HTTP Basic), or an OAuth ``token`` (Bearer), which wins when given.
    ``owner_kinds`` are listed in order; ``page_limit`` (1..50) sizes both owner and image pages.
    ``timeout`` is the seconds to wait for each read from the socket.
    """

    base_url: Annotated[str, URL]
    api_key: Annotated[str | None, SECRET] = None
    password: Annotated[str | None, SECRET] = field(default=None, repr=False)
    token: Annotated[str | None, SECRET] = field(default=None, repr=False)
    owner_kinds: Annotated[tuple[str, ...], AfterValidator(_known_kinds), SOURCE] = (
        mapping.OWNER_KINDS
    )
    page_limit: Annotated[int, Field(ge=1, le=MAX_PAGE_LIMIT)] = MAX_PAGE_LIMIT
    timeout: Annotated[float, Field(gt=0)] = 30.0

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"spiffy.base_url must be an http(s) URL, got {self.base_url!r}")
        if not self.token and not (self.api_key and self.password):
            raise ConfigError(
                "spiffy needs spiffy.api_key and spiffy.password (a private app) or spiffy.token"
            )
        unknown = [kind for kind in self.owner_kinds if kind not in mapping.OWNER_KINDS]
        if unknown or not self.owner_kinds or len(set(self.owner_kinds)) < len(self.owner_kinds):
            raise ConfigError(
                f"spiffy.owner_kinds must list some of {', '.join(mapping.OWNER_KINDS)} "
                f"once each, got {list(self.owner_kinds)}"
            )
        if not 1 <= self.page_limit <= MAX_PAGE_LIMIT:
            raise ConfigError(f"spiffy.page_limit must be 1..50, got {self.page_limit}")
        if self.timeout <= 0:
            raise ConfigError(f"spiffy.timeout must be positive, got {self.timeout}")

    def auth(self) -> Auth:
        """Bearer when a token is set, else HTTP Basic; each names the settings to fix."""
        if self.token:
            return BearerAuth(self.token, setting=TOKEN_SETTING)
        return BasicAuth(self.api_key or "", self.password or "", setting=BASIC_SETTING)
