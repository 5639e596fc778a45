"""BeProduct's fixed demo credentials and the emulator's vendor-specific knobs."""

from __future__ import annotations

from dataclasses import dataclass

#: The company domain every path lives under: ``/api/demo/...``.
COMPANY_DOMAIN = "demo"
CLIENT_ID = "demo"
CLIENT_SECRET = "demo"
REFRESH_TOKEN = "demo"
#: Where the token endpoint is served (the real one is ``https://id.winks.io/ids/connect/token``).
TOKEN_PATH = "/ids/connect/token"
SCOPE = "openid profile email roles offline_access BeProductPublicApi"
#: The tenant upload cap the TypeScript SDK docs call "commonly 50 MB".
FIFTY_MB = 50 * 1024 * 1024


@dataclass(slots=True)
class BeProductKnobs:
    """Vendor behaviour, settable with ``--set name=value`` or ``PATCH /_emulator/knobs``."""

    #: Lifetime of an issued access token, announced as ``expires_in`` (seconds).
    token_lifetime: int = 28800
    #: A bearer token always accepted besides issued ones (for curl and scripts); "" disables it.
    static_token: str = "demo"
    #: How many status polls answer "not finished" before an upload's processing completes.
    processing_polls: int = 1
    #: Fraction of uploads whose processing fails (``errorOccured``), decided at upload time.
    processing_error_rate: float = 0.0
    #: An upload whose file name contains this text (case-insensitive) always fails processing.
    processing_fail_marker: str = "fail-processing"
    #: Largest accepted ``file`` part, in bytes (0 = no cap).
    max_upload_bytes: int = FIFTY_MB
    #: The limits reported by ``X-RateLimit-*`` headers and ``GET ratelimit/status``.
    ratelimit_per_minute: int = 10000
    ratelimit_per_hour: int = 100000
    ratelimit_per_day: int = 1000000
    #: Answer 429 once a window above is used up (off: the windows are only reported).
    enforce_ratelimit: bool = False
