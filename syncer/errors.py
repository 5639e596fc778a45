"""One error tree for syncer. Retry semantics live in the type.

``SyncerError``
├── ``ConfigError``           a job file or setting is wrong: fix it and run again
├── ``StateError``            the state store cannot be used
└── ``VendorError``           a vendor said no, or could not be understood
    ├── ``AuthenticationError``   credentials refused (terminal: names the setting to fix)
    ├── ``NotFoundError``         the item is not there (item-skippable)
    ├── ``ConflictError``         a duplicate or conflicting item (item-skippable; may carry it)
    ├── ``ValidationError``       the vendor refused this item (type, size, field; skippable)
    ├── ``RateLimitedError``      429 (transient, may carry Retry-After)
    ├── ``UnavailableError``      5xx, maintenance (transient, may carry Retry-After)
    ├── ``NetworkError``          timeout, reset, refused connection (transient)
    ├── ``RequestBuildError``     this item's request could not be built (skippable)
    ├── ``ProtocolError``         a malformed or unexpected answer (terminal for the request)
    └── ``RepeatedCursorError``   a paging cursor came back twice (terminal: would loop)

Every vendor error names the vendor, the operation and, where there is one, the item.
"""

from __future__ import annotations

from typing import Any, ClassVar


class SyncerError(Exception):
    """Anything syncer reports to a user."""


class ConfigError(SyncerError):
    """A job file, setting or argument is wrong; the message says where and what is allowed."""


class StateError(SyncerError):
    """The state store cannot be opened, migrated or written."""


class VendorError(SyncerError):
    """A vendor refused a request or answered something we cannot use."""

    #: Trying the same request again later may succeed.
    transient: ClassVar[bool] = False
    #: The run can go on without this item.
    skippable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        operation: str | None = None,
        item: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.operation = operation
        self.item = item
        self.status = status
        self.retry_after = retry_after
        self.body = body
        #: The request may have been applied although it failed (a write whose connection
        #: broke): look for the item before writing it again.
        self.ambiguous = False

    def __str__(self) -> str:
        where = self.vendor + (f" {self.operation}" if self.operation else "")
        item = f" [{self.item}]" if self.item else ""
        status = f" (HTTP {self.status})" if self.status else ""
        return f"{where}{item}: {self.message}{status}"


class AuthenticationError(VendorError):
    """Credentials were refused; the message names the setting to fix."""


class NotFoundError(VendorError):
    skippable = True


class ConflictError(VendorError):
    """A duplicate or conflicting item; ``body`` may describe the existing one (Moov 409)."""

    skippable = True


class ValidationError(VendorError):
    """The vendor refused this item as it is (type, size, a field value)."""

    skippable = True


class RateLimitedError(VendorError):
    transient = True


class UnavailableError(VendorError):
    """A 5xx or a maintenance window."""

    transient = True


class NetworkError(VendorError):
    """No usable answer: refused connection, reset, timeout."""

    transient = True


class ProtocolError(VendorError):
    """An answer that breaks the vendor's documented contract (bad JSON, wrong shape)."""

    skippable = True


class RequestBuildError(VendorError):
    """A request that could not be built from this item (a header or multipart body aiohttp
    refuses, e.g. a control character in a file name): nothing was sent, retrying cannot help."""

    skippable = True


class RepeatedCursorError(VendorError):
    """A paging cursor repeated: following it would loop forever."""
