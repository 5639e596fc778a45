"""The job-file connection keys (TOML lines) that the emulators' fixed demo credentials need,
per vendor: for tests and benchmarks that write job files against emulators."""

from __future__ import annotations

DEMO_CONNECTION: dict[str, str] = {
    "beproduct": 'company_domain = "demo"\nclient_id = "demo"\nclient_secret = "demo"\n'
    'refresh_token = "demo"\n',
    "moov": 'username = "demo"\npassword = "demo"\n',
    "partium": 'api_key = "demo"\n',
    "spiffy": 'api_key = "demo"\npassword = "demo"\n',
}
