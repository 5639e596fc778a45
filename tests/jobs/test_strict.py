"""Issue 8 item 6: values that used to load although wrong, and a BOM that used to be refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncer.jobs import load_job
from syncer.jobs.load import JobFileError

JOB = """name = "j"
[source]
vendor = "partium"
api_key = "abcd"
base_url = "{url}"
concurrency = {conc}
[[targets]]
vendor = "partium"
api_key = "abcd"
mapping.owners_identity = true
"""


def _write(tmp_path: Path, text: str, prefix: bytes = b"") -> Path:
    path = tmp_path / "j.toml"
    path.write_bytes(prefix + text.encode())
    return path


def test_boolean_concurrency_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, JOB.format(url="http://127.0.0.1:8103", conc="true"))
    with pytest.raises(JobFileError, match="concurrency"):
        load_job(path)


@pytest.mark.parametrize("url", ["http://127.0.0.1:70000", "http://key:s3cretpw@127.0.0.1"])
def test_bad_base_url_refused_at_load(tmp_path: Path, url: str) -> None:
    path = _write(tmp_path, JOB.format(url=url, conc="2"))
    with pytest.raises(JobFileError, match="base_url") as info:
        load_job(path)
    assert "s3cretpw" not in str(info.value)


def test_byte_order_mark_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, JOB.format(url="http://127.0.0.1:8103", conc="2"), b"\xef\xbb\xbf")
    assert load_job(path).source.concurrency == 2
