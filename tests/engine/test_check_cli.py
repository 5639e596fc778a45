"""``syncer check`` and ``syncer sync --repair`` as the command line runs them (emulators
served from threads): the exit codes 0, 1, 2 and 5, the JSON document, ``--no-download``."""

from __future__ import annotations

import importlib.util
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncer.cli import main
from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.emulators.spiffy.emulator import SpiffyEmulator
from syncer.engine.check import CheckOptions
from syncer.engine.checking import check_command
from syncer.engine.commands import run_command
from syncer.engine.run import Mode
from syncer.plans.jsonfile import read_document
from syncer.plans.model import Kind
from syncer.plans.render import Format
from tests.engine.rigs import admin_images, fan_out_job, served, target_owner


@pytest.fixture
def job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str, list[str]]]:
    """A Spiffy → Partium job, migrated: the path of its file, the target's URL, and the ids
    there whose bytes are the source's (not converted: Partium takes PNG and JPEG only)."""
    source, target = SpiffyEmulator(), PartiumEmulator()
    source.seed(4, 1, seed_value=2)
    target.seed(0, 1)
    owner = target_owner("partium", target)
    with served(source, [target]) as env:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        path = tmp_path / "job.toml"
        path.write_text(fan_out_job("spiffy", [("partium", owner)]))
        assert run_command(path, Mode.MIGRATE) == 0
        kept = [i.id for i in source.store.iter_images() if i.mime in ("image/png", "image/jpeg")]
        yield path, env["T0_URL"], sorted(kept)


def check(path: Path, out: Path, **options: bool) -> tuple[int, set[tuple[str, str]]]:
    code = check_command(path, Format.JSON, out=out, options=CheckOptions(**options))
    document = read_document(out, kind=Kind.CHECK)
    return code, {(e.action, e.code) for e in document.entries()}


def admin(url: str, method: str, image_id: str, body: bytes | None = None) -> None:
    request = urllib.request.Request(
        f"{url}/_emulator/images/{image_id}",
        method=method,
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def test_exit_codes_say_whether_anything_drifted_and_repair_mends_it(
    job: tuple[Path, str, list[str]], tmp_path: Path
) -> None:
    path, url, kept = job
    out = tmp_path / "check.json"
    assert check(path, out) == (0, set())
    changed = kept[0]  # a Partium image id is the source key, here Spiffy's image id
    gone = next(i["id"] for i in admin_images(url) if i["id"] != changed)
    admin(url, "DELETE", gone)
    admin(url, "PATCH", changed, b'{"regenerate": true}')
    code, found = check(path, out)
    assert code == 1
    assert found == {("missing", "missing_on_target"), ("changed", "bytes_changed")}
    code, found = check(path, out, download=False)  # the new bytes go unseen, and it says so
    assert (code, found) == (1, {("missing", "missing_on_target")})
    notes = read_document(out).summary.notes
    assert [n.code for n in notes] == ["bytes_unverified"]
    assert notes[0].text.startswith("t0: the bytes of 3 items were not compared")
    assert run_command(path, Mode.SYNC, repair=True) == 0
    assert check(path, out) == (0, set())
    assert len(admin_images(url)) == 4


def test_foreign_items_alone_are_not_drift(
    job: tuple[Path, str, list[str]], tmp_path: Path
) -> None:
    path, url, _ = job
    body = b'{"owner": "' + admin_images(url)[0]["owner"].encode() + b'"}'
    request = urllib.request.Request(
        f"{url}/_emulator/images", data=body, headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=10).close()
    assert check(path, tmp_path / "c.json") == (0, {("foreign", "not_syncers")})


def test_a_job_never_synced_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "job.toml"
    text = fan_out_job("spiffy", [("partium", "kit")]).replace("${SOURCE_URL}", "http://x")
    path.write_text(text.replace("${T0_URL}", "http://127.0.0.1:9"))
    result = CliRunner().invoke(main, ["check", str(path)], catch_exceptions=False)
    assert result.exit_code == 2
    assert "error:" in result.output
    assert "Traceback" not in result.output


def test_refused_credentials_stop_the_check_with_one_line(
    job: tuple[Path, str, list[str]], tmp_path: Path
) -> None:
    path, _, _ = job
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(path.read_text().replace('api_key = "demo"', 'api_key = "wrong"'))
    result = CliRunner().invoke(main, ["check", str(wrong), "--format", "json"])
    assert result.exit_code == 5
    (line,) = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert "t0" in line
    assert "wrong" not in line


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_the_other_formats_render_when_this_build_has_them(
    job: tuple[Path, str, list[str]], tmp_path: Path, fmt: str
) -> None:
    module = {"text": "terminal", "markdown": "markdown", "html": "html"}[fmt]
    if importlib.util.find_spec(f"syncer.plans.{module}") is None:
        pytest.skip(f"syncer.plans.{module} is not in this branch")
    path, _, _ = job
    out = tmp_path / f"check.{fmt}"
    assert check_command(path, Format(fmt), out=out) == 0
    assert out.read_text()
