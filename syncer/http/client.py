"""One vendor connection over the run's shared aiohttp session.

:meth:`HttpClient.request` is the boundary: no aiohttp exception passes it, every refusal
becomes a typed :class:`~syncer.errors.VendorError`, transient ones are retried with backoff
(``Retry-After`` honoured), a 401 refreshes the credentials once, and the request body is rebuilt
from its factory for every attempt (a spent stream is never re-sent).
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import anyio
from multidict import CIMultiDictProxy

from syncer.errors import NetworkError, ProtocolError, RequestBuildError, VendorError
from syncer.http import observe
from syncer.http.auth import Auth
from syncer.http.errors import error_for_status, excerpt
from syncer.http.limits import Lane
from syncer.http.redact import Redactor
from syncer.http.retry import RetryPolicy

log = logging.getLogger("syncer.http")
T = TypeVar("T")

#: Builds a request body for one attempt: bytes, str, aiohttp.FormData or an async iterable.
Body = Callable[[], Any]
#: Statuses that leave a write certainly unapplied (so a retry cannot duplicate it).
UNAPPLIED = frozenset({401, 429, 503})
#: A request that timed out is tried at most this many times: a hung vendor costs about
#: ``TIMEOUT_ATTEMPTS`` read timeouts (1 min with the defaults), not every retry's worth.
TIMEOUT_ATTEMPTS = 2
#: Seconds to wait for a connection to open (a host that drops SYNs is told apart quickly).
CONNECT_TIMEOUT = 10.0


class _Final(Exception):
    """Carries an error out of :meth:`HttpClient._with_retries` without another retry."""

    def __init__(self, error: VendorError) -> None:
        super().__init__(str(error))
        self.error = error


class TimedOutError(NetworkError):
    """The vendor sent nothing for a whole read timeout (a hung vendor, or a slow one)."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: str


@asynccontextmanager
async def open_session(
    *, connections: int = 64, connect_timeout: float = 10.0
) -> AsyncIterator[aiohttp.ClientSession]:
    """The run's one HTTP session: bounded connection pool, no cookies kept between vendors."""
    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=connections)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        yield session


class HttpClient:
    """Requests to one vendor: limits, retries, auth and typed errors."""

    def __init__(
        self,
        vendor: str,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        auth: Auth | None = None,
        lane: Lane | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        timeout_key: str = "timeout",
        headers: Mapping[str, str] | None = None,
        seed: int | None = None,
    ) -> None:
        self.vendor = vendor
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.auth = auth or Auth()
        self.lane = lane or Lane()
        #: What the metrics call this connection: the job's target name, else the vendor.
        self.label = self.lane.name or vendor
        self.retry = retry or RetryPolicy()
        self.timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=CONNECT_TIMEOUT, sock_read=timeout
        )
        #: The job-file key (``<vendor>.<timeout_key>``) that sets the read timeout.
        self.timeout_key = timeout_key
        self.headers = dict(headers or {})
        self.redact = Redactor(self.auth.secrets())
        self._rng = random.Random(seed)
        #: Attempts made and retries taken, for reports and the conformance kit.
        self.attempts = 0
        self.retries = 0

    def url(self, path: str) -> str:
        return (
            path
            if path.startswith(("http://", "https://"))
            else f"{self.base_url}/{path.lstrip('/')}"
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        item: str | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        body: Body | None = None,
        headers: Mapping[str, str] | None = None,
        ok: Collection[int] = (200,),
        idempotent: bool = True,
        authenticate: bool = True,
    ) -> Response:
        """Send until one of ``ok`` comes back, or raise the typed error of the last attempt.

        ``idempotent=False`` (a create the vendor may have applied before the connection broke)
        stops retrying at the first ambiguous failure: the error says ``ambiguous`` and the
        caller looks for the item before trying again.
        """
        refreshed = False

        async def once() -> Response | None:
            nonlocal refreshed
            try:
                response = await self._attempt(
                    method, path, params, json_body, body, headers, authenticate, idempotent
                )
            except VendorError as exc:  # no usable answer, or the credentials failed first
                raise self._name(exc, operation, item) from None
            if response.status in ok:
                self.lane.rate.succeeded()
                return response
            if response.status == 401 and authenticate and not refreshed:
                try:
                    refreshed = await self._refresh(operation, item)
                except VendorError as exc:  # the renewal already had its own retries
                    raise _Final(exc) from None
                if refreshed:
                    return None
            error = self._refusal(response, operation, item)
            error.ambiguous = (
                not idempotent and response.status >= 500 and response.status not in UNAPPLIED
            )
            self._slow_down(error)
            raise error

        return await self._with_retries(once)

    async def _with_retries(self, once: Callable[[], Awaitable[T | None]]) -> T:
        """The one retry loop: call ``once`` until it returns a value or raises an error that
        ends the request (:meth:`_last_try`), backing off between tries. ``None`` means "try
        again at once" (credentials were just renewed); it still spends an attempt."""
        for attempt in range(1, self.retry.attempts + 1):
            try:
                result = await once()
            except _Final as final:
                raise final.error from None
            except VendorError as error:
                if self._last_try(error, attempt):
                    raise self._timed_out(error, attempt) from None
                await self.back_off(attempt, error)
            else:
                if result is not None:
                    return result
        raise AssertionError("unreachable")

    def _last_try(self, error: VendorError, attempt: int) -> bool:
        """Whether ``error`` on try ``attempt`` ends the request (no retry left or allowed)."""
        if not error.transient or error.ambiguous or attempt >= self.retry.attempts:
            return True
        return isinstance(error, TimedOutError) and attempt >= TIMEOUT_ATTEMPTS

    def _timed_out(self, error: VendorError, attempts: int) -> VendorError:
        """A final timeout says how long was waited, how often, and which key waits longer."""
        if isinstance(error, TimedOutError):
            error.message = (
                f"no answer after {self.timeout.sock_read:g} s, {attempts} attempt"
                f"{'s' if attempts > 1 else ''}; if the vendor is only slow, raise "
                f"{self.vendor}.{self.timeout_key} in the job file"
            )
        return error

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`request`, then the body as JSON (malformed JSON is a ProtocolError)."""
        response = await self.request(method, path, **kwargs)
        return self.parse_json(response, kwargs["operation"], kwargs.get("item"))

    def parse_json(self, response: Response, operation: str, item: str | None = None) -> Any:
        try:
            return json.loads(response.body)
        except (UnicodeDecodeError, ValueError):
            said = excerpt(response.body[:400].decode(errors="replace"))
            raise ProtocolError(
                self.redact(f"malformed JSON in the answer: {said!r}"),
                vendor=self.vendor,
                operation=operation,
                item=item,
                status=response.status,
            ) from None

    @asynccontextmanager
    async def stream(
        self,
        url: str,
        *,
        operation: str,
        item: str | None = None,
        authenticate: bool = False,
        chunk: int = 256 * 1024,
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """GET ``url`` and yield its body as chunks; retried until the first byte, not after.
        Holds one of the lane's download slots (``Lane.downloads``) until the block ends."""
        async with self.lane.downloads:
            response = await self._open(url, operation, item, authenticate)
            try:
                yield self._chunks(response, chunk, operation, item)
            finally:
                response.release()

    async def _open(
        self, url: str, operation: str, item: str | None, authenticate: bool
    ) -> aiohttp.ClientResponse:
        async def once() -> aiohttp.ClientResponse:
            await self.lane.rate.acquire()
            headers = await self._headers(None, authenticate)
            self.attempts += 1
            started = observe.start()
            try:
                response = await self.session.get(
                    self.url(url), headers=headers, timeout=self.timeout
                )
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                observe.ended(self.label, None, started, self.lane.rate.current)
                raise self._network_error(exc, operation, item) from None
            observe.ended(self.label, response.status, started, self.lane.rate.current)
            if response.status == 200:
                self.lane.rate.succeeded()
                return response
            text = await response.text(errors="replace")
            response.release()
            error = self._refusal(
                Response(response.status, response.headers, text.encode(), str(response.url)),
                operation,
                item,
            )
            self._slow_down(error)
            raise error

        return await self._with_retries(once)

    async def _chunks(
        self, response: aiohttp.ClientResponse, size: int, operation: str, item: str | None
    ) -> AsyncIterator[bytes]:
        try:
            async for piece in response.content.iter_chunked(size):
                yield piece
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise self._network_error(exc, operation, item) from None

    async def _refresh(self, operation: str, item: str | None) -> bool:
        """Renew the credentials after a 401, retrying transient failures of the renewal."""

        async def once() -> bool:
            try:
                return await self.auth.refresh(self.session)
            except VendorError as exc:
                raise self._name(exc, operation, item) from None

        return await self._with_retries(once)

    async def _attempt(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        body: Body | None,
        extra: Mapping[str, str] | None,
        authenticate: bool,
        idempotent: bool,
    ) -> Response:
        try:
            data = body() if body is not None else None
        except VendorError:
            raise
        except Exception as exc:  # a body that cannot be built fails this item, not the run
            raise self._build_error(exc, method, path) from None
        async with self.lane.slot():
            headers = await self._headers(extra, authenticate)
            self.attempts += 1
            started = observe.start()
            try:
                async with self.session.request(
                    method,
                    self.url(path),
                    params=params,
                    json=json_body,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                ) as response:
                    payload = await response.read()
                    observe.ended(self.label, response.status, started, self.lane.rate.current)
                    return Response(response.status, response.headers, payload, str(response.url))
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                observe.ended(self.label, None, started, self.lane.rate.current)
                error = self._network_error(exc, "", None)
                # A connection that never opened carried nothing: certainly not applied.
                sent = not isinstance(exc, aiohttp.ClientConnectorError)
                error.ambiguous = sent and not idempotent
                raise error from None
            except VendorError:
                raise
            except Exception as exc:  # aiohttp refused to build the request (ValueError, ...)
                raise self._build_error(exc, method, path) from None

    async def _headers(self, extra: Mapping[str, str] | None, authenticate: bool) -> dict[str, str]:
        headers = dict(self.headers)
        if authenticate:
            headers.update(await self.auth.headers(self.session))
            self.redact.add(*self.auth.secrets())
        headers.update(extra or {})
        return headers

    def _refusal(self, response: Response, operation: str, item: str | None) -> VendorError:
        if response.status in (401, 403):
            return self.auth.refused(self.vendor, operation, response.status)
        text = self.redact(response.body[:2000].decode(errors="replace"))
        return error_for_status(
            response.status,
            text,
            response.headers.get("Retry-After"),
            vendor=self.vendor,
            operation=operation,
            item=item,
        )

    def _network_error(self, exc: BaseException, operation: str, item: str | None) -> NetworkError:
        if isinstance(exc, aiohttp.ClientConnectorError):
            what = f"cannot connect to {self.base_url}: is the vendor's base URL right?"
        elif isinstance(exc, TimeoutError):
            what = f"no answer after {self.timeout.sock_read:g} s"
            return TimedOutError(what, vendor=self.vendor, operation=operation, item=item)
        else:
            what = f"connection failed: {exc.__class__.__name__}: {exc}"
        return NetworkError(self.redact(what), vendor=self.vendor, operation=operation, item=item)

    def _build_error(self, exc: Exception, method: str, path: str) -> RequestBuildError:
        """The terminal error of a request that could not be built; :meth:`request` names the
        operation and item on it. The cause is logged, its traceback only at debug level."""
        log.debug("cannot build %s %s", method, path, exc_info=exc)
        return RequestBuildError(
            self.redact(f"the request could not be built: {exc.__class__.__name__}: {exc}"),
            vendor=self.vendor,
        )

    def _name(self, exc: VendorError, operation: str, item: str | None) -> VendorError:
        """Name the operation and item on an error raised below them (token, connection)."""
        if not exc.operation:
            exc.operation = operation
        exc.item = exc.item or item
        return exc

    def _slow_down(self, error: VendorError) -> None:
        """A 429 halves the lane's rate; a 503 with Retry-After (maintenance) pauses the lane
        without cutting its rate (the whole lane waits); both at most ``max_retry_after``."""
        retry_after = self.retry.bounded(error.retry_after)
        if error.status == 429:
            self.lane.rate.throttled(retry_after)
        elif error.status == 503 and retry_after:
            self.lane.rate.pause(retry_after)

    async def back_off(self, attempt: int, error: VendorError) -> None:
        """Wait before retry ``attempt`` of a failed request, as the policy says, and count it.

        Public for :func:`syncer.vendors.adopt.create_or_adopt`, which retries a whole create
        after an ambiguous failure.
        """
        delay = self.retry.delay(attempt, error.retry_after, self._rng)
        self.retries += 1
        observe.retried(self.label, self.lane.rate.current)
        log.info(
            "%s",
            self.redact(f"{error}; retry {attempt}/{self.retry.attempts - 1} in {delay:.2f} s"),
        )
        await anyio.sleep(delay)
