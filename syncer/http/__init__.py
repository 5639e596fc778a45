"""The HTTP layer every vendor client goes through: one session per run, typed errors at one
boundary, retries with backoff that honour ``Retry-After``, an adaptive rate limit and a
concurrency limit per vendor connection, one token refresh on 401, and secrets redacted."""

from syncer.http.auth import Auth, BasicAuth, BearerAuth, NoAuth, OAuthRefreshAuth
from syncer.http.client import Body, HttpClient, Response, open_session
from syncer.http.limits import AdaptiveRateLimiter, Lane
from syncer.http.redact import Redactor
from syncer.http.retry import RetryPolicy, parse_retry_after

__all__ = [
    "AdaptiveRateLimiter",
    "Auth",
    "BasicAuth",
    "BearerAuth",
    "Body",
    "HttpClient",
    "Lane",
    "NoAuth",
    "OAuthRefreshAuth",
    "Redactor",
    "Response",
    "RetryPolicy",
    "open_session",
    "parse_retry_after",
]
