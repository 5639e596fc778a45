"""One error tree for syncer. What a failure means for the run lives in the type.

``SyncerError``
├── ``ConfigError``           a job file or setting is wrong: fix it and run again
├── ``StateError``            the state store cannot be used
│   └── ``JobBusyError``      another run of the job holds its lease
└── ``VendorError``           a vendor said no, or could not be understood
    ├── ``AuthenticationError``   credentials refused (fatal: names the setting to fix)
    ├── ``NotFoundError``         the item is not there
    ├── ``ConflictError``         a duplicate or conflicting item (may carry it)
    ├── ``ValidationError``       the vendor refused this item (type, size, field)
    ├── ``RateLimitedError``      429 (transient, may carry Retry-After)
    ├── ``UnavailableError``      5xx, maintenance (transient, may carry Retry-After)
    ├── ``NetworkError``          timeout, reset, refused connection (transient)
    ├── ``RequestBuildError``     this item's request could not be built
    ├── ``ProtocolError``         a malformed or unexpected answer
    └── ``RepeatedCursorError``   a paging cursor came back twice (fatal: would loop)

Two flags on the type say what a vendor error means, and are read where it matters:

* ``skippable`` (every vendor error but the fatal ones): the run goes on without this item.
  The pusher fails the one op; a **fatal** error (not skippable) stops the run instead,
  leaving its op retryable, since the cause is not the item.
* ``transient``: the same request may succeed later. The HTTP client retries it with backoff;
  an op that still fails is ``failed_retryable``, and ``syncer retry`` re-attempts it. Any
  other failure of an item is ``failed_terminal``: sending it again as it is fails again, so
  ``retry`` leaves it (a later sync plans the item afresh).

Every vendor error names the vendor, the operation and, where there is one, the item. The exit
code a command ends with when an error stops it is the type's too (``exit_code``: 2 for a
configuration error, the user's to fix; 5 for anything else that stopped the run).
"""

from __future__ import annotations

from typing import Any, ClassVar


class SyncerError(Exception):
    """Anything syncer reports to a user."""

    #: The exit code of a command this error stops (documented in ``syncer.engine.commands``).
    exit_code: ClassVar[int] = 5


class ConfigError(SyncerError):
    """A job file, setting or argument is wrong; the message says where and what is allowed."""

    exit_code: ClassVar[int] = 2


class StateError(SyncerError):
    """The state store cannot be opened, migrated or written."""


class JobBusyError(StateError):
    """Another run of the job holds its lease (a manual run, another scheduler, a stale one)."""


class VendorError(SyncerError):
    """A vendor refused a request or answered something we cannot use."""

    #: Trying the same request again later may succeed.
    transient: ClassVar[bool] = False
    #: The run can go on without this item (False: fatal, the run stops).
    skippable: ClassVar[bool] = True

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
        return self.worded(self.item)

    def worded(self, item: str | None, *, place: str = "", tail: str = "") -> str:
        """``vendor operation<place> [item]: message (HTTP status)<tail>``: how every vendor
        error reads, here naming ``item`` (which may differ from the error's own)."""
        where = self.vendor + (f" {self.operation}" if self.operation else "") + place
        shown = f" [{item}]" if item else ""
        status = f" (HTTP {self.status})" if self.status else ""
        return f"{where}{shown}: {self.message}{status}{tail}"


class AuthenticationError(VendorError):
    """Credentials were refused; the message names the setting to fix. Fatal: nothing else
    will work either."""

    skippable = False


class NotFoundError(VendorError):
    """The item is not there."""


class ConflictError(VendorError):
    """A duplicate or conflicting item; ``body`` may describe the existing one (Moov 409)."""


class ValidationError(VendorError):
    """The vendor refused this item as it is (type, size, a field value)."""


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


class RequestBuildError(VendorError):
    """A request that could not be built from this item (a header or multipart body aiohttp
    refuses, e.g. a control character in a file name): nothing was sent, retrying cannot help."""


class RepeatedCursorError(VendorError):
    """A paging cursor repeated: following it would loop forever. Fatal."""

    skippable = False
