"""JobCatalog on a temporary directory: loading, change detection, bad edits, deletions, name
clashes, files that are not jobs, unreadable files, on-demand jobs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from syncer.schedule.catalog import JobCatalog
from tests.jobs.conftest import VALID

SECRET = "Sup3rSekrit-pw"

#: The small valid job of the job-file tests, its Spiffy password a placeholder.
JOB = VALID.replace('password = "demo"', 'password = "{password}"')


def job_text(cron: str | None = "0 * * * *", name: str | None = None, zone: str = "UTC") -> str:
    head = f'name = "{name}"\n' if name else ""
    text = head + JOB.format(password=SECRET)
    if cron is not None:
        text += f'\n[schedule]\ncron = "{cron}"\ntimezone = "{zone}"\n'
    return text


def write(path: Path, text: str) -> Path:
    """Write ``text`` and move the mtime on, so that a change is seen even on a coarse clock."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    if path.stat().st_mtime_ns <= before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))
    return path


@pytest.fixture
def catalog(tmp_path: Path) -> JobCatalog:
    return JobCatalog(tmp_path)


def test_the_first_load(tmp_path: Path, catalog: JobCatalog) -> None:
    write(tmp_path / "hourly.toml", job_text("0 * * * *", zone="Europe/Berlin"))
    write(tmp_path / "daily.toml", job_text("@daily"))
    changes = catalog.reload()
    assert (changes.changed, changes.removed, changes.errors) == (["daily", "hourly"], [], [])
    assert bool(changes)
    assert catalog.loads == 1
    assert sorted(catalog.scheduled()) == ["daily", "hourly"]
    hourly = catalog.get("hourly")
    assert hourly is not None
    assert hourly.schedule.timezone == "Europe/Berlin"
    entry = catalog.entries()[1]
    assert entry.path == tmp_path / "hourly.toml"
    assert entry.error == ""
    assert entry.cron is not None
    assert (entry.cron.expression, entry.cron.timezone) == (
        "0 * * * *",
        "Europe/Berlin",
    )
    assert catalog.get("nope") is None
    assert catalog.errors() == {}


def test_an_unchanged_directory_changes_nothing(tmp_path: Path, catalog: JobCatalog) -> None:
    write(tmp_path / "a.toml", job_text())
    catalog.reload()
    job = catalog.get("a")
    changes = catalog.reload()
    assert not changes
    assert catalog.loads == 2
    assert catalog.get("a") is job


def test_a_touch_with_the_same_content_changes_nothing(tmp_path: Path, catalog: JobCatalog) -> None:
    path = write(tmp_path / "a.toml", job_text())
    catalog.reload()
    job = catalog.get("a")
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 5_000_000_000))
    assert not catalog.reload()
    assert catalog.get("a") is job
    assert catalog.entries()[0].stamp[0] == info.st_mtime_ns + 5_000_000_000  # stat remembered


def test_an_edit_is_seen_by_mtime_or_size(tmp_path: Path, catalog: JobCatalog) -> None:
    path = write(tmp_path / "a.toml", job_text("0 * * * *"))
    catalog.reload()
    write(path, job_text("5 * * * *"))
    assert catalog.reload().changed == ["a"]
    job = catalog.get("a")
    assert job is not None
    assert job.schedule.cron == "5 * * * *"
    # Same size and same mtime: not looked at (the stat is the cheap test).
    info = path.stat()
    path.write_text(job_text("6 * * * *"), encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert not catalog.reload()
    # Another size, same mtime: read.
    path.write_text(job_text("16 * * * *"), encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert catalog.reload().changed == ["a"]


def test_a_bad_edit_keeps_the_last_good_version(tmp_path: Path, catalog: JobCatalog) -> None:
    path = write(tmp_path / "a.toml", job_text("0 * * * *"))
    catalog.reload()
    good = catalog.get("a")
    write(path, job_text("0 * * * *").replace('"spiffy"', '"shopify"') + "\nmore = 1\n")
    changes = catalog.reload()
    assert changes.changed == []
    assert changes.removed == []
    (error,) = changes.errors
    assert error.startswith(f"{path}: ")
    assert "targets[0].vendor" in error
    assert error.endswith("; its last good version stays scheduled")
    assert "\n" not in error
    assert SECRET not in error
    assert catalog.get("a") is good
    assert "a" in catalog.scheduled()
    assert catalog.errors() == {str(path): error}
    # Reported once: a reload that finds the same bad file says nothing.
    assert not catalog.reload()
    assert catalog.errors() == {str(path): error}
    # Fixed: loaded, error gone.
    write(path, job_text("30 * * * *"))
    changes = catalog.reload()
    assert (changes.changed, changes.errors) == (["a"], [])
    assert catalog.errors() == {}
    fixed = catalog.get("a")
    assert fixed is not None
    assert fixed.schedule.cron == "30 * * * *"


def test_an_error_in_a_secret_never_shows_it(tmp_path: Path, catalog: JobCatalog) -> None:
    text = job_text().replace(f'password = "{SECRET}"', f'password = ["{SECRET}"]')
    path = write(tmp_path / "a.toml", text)
    (error,) = catalog.reload().errors
    assert error.startswith(f"{path}: targets[0].password")
    assert SECRET not in error


def test_several_problems_make_one_line(tmp_path: Path, catalog: JobCatalog) -> None:
    text = job_text().replace('api_key = "demo"', 'api_key = "demo"\ncolour = 1')
    write(tmp_path / "a.toml", text)
    (error,) = catalog.reload().errors
    assert "\n" not in error
    assert "source.colour" in error
    assert "targets[0].colour" in error


def test_a_file_that_never_loaded(tmp_path: Path, catalog: JobCatalog) -> None:
    path = write(tmp_path / "a.toml", 'x = "unterminated\n')
    (error,) = catalog.reload().errors
    assert error.startswith(f"{path}: line 1")
    assert "not valid TOML" in error
    assert "last good version" not in error
    assert catalog.jobs() == {}
    assert catalog.entries()[0].job is None
    assert catalog.entries()[0].cron is None


def test_a_deleted_file_unschedules_its_job(tmp_path: Path, catalog: JobCatalog) -> None:
    write(tmp_path / "a.toml", job_text())
    path = write(tmp_path / "b.toml", job_text())
    catalog.reload()
    path.unlink()
    changes = catalog.reload()
    assert (changes.changed, changes.removed, changes.errors) == ([], ["b"], [])
    assert list(catalog.scheduled()) == ["a"]
    assert [e.path.name for e in catalog.entries()] == ["a.toml"]


def test_deleting_a_bad_file_clears_its_error(tmp_path: Path, catalog: JobCatalog) -> None:
    path = write(tmp_path / "a.toml", "nonsense = = 1\n")
    catalog.reload()
    path.unlink()
    assert not catalog.reload()
    assert catalog.errors() == {}


def test_two_files_naming_one_job(tmp_path: Path, catalog: JobCatalog) -> None:
    first = write(tmp_path / "a.toml", job_text("0 * * * *", name="shop"))
    second = write(tmp_path / "b.toml", job_text("5 * * * *", name="shop"))
    changes = catalog.reload()
    assert changes.changed == ["shop"]
    assert changes.errors == [
        f"{second}: job shop is already defined by {first}; "
        "rename one of them (the key 'name', or the file)"
    ]
    job = catalog.get("shop")
    assert job is not None
    assert job.schedule.cron == "0 * * * *"
    assert catalog.errors() == {str(second): changes.errors[0]}
    assert not catalog.reload()  # reported once, not at every reload
    write(second, job_text("5 * * * *", name="other"))
    changes = catalog.reload()
    assert (changes.changed, changes.errors) == (["other"], [])
    assert catalog.errors() == {}


def test_the_second_of_two_takes_over_when_the_first_goes(
    tmp_path: Path, catalog: JobCatalog
) -> None:
    first = write(tmp_path / "a.toml", job_text("0 * * * *", name="shop"))
    write(tmp_path / "b.toml", job_text("5 * * * *", name="shop"))
    catalog.reload()
    first.unlink()
    changes = catalog.reload()
    assert (changes.changed, changes.removed, changes.errors) == (["shop"], [], [])
    job = catalog.get("shop")
    assert job is not None
    assert job.schedule.cron == "5 * * * *"


def test_only_toml_files_are_jobs(tmp_path: Path, catalog: JobCatalog) -> None:
    write(tmp_path / "a.toml", job_text())
    write(tmp_path / "notes.txt", "not a job")
    write(tmp_path / "a.toml.bak", "broken = = =")
    write(tmp_path / ".#a.toml~", "broken = = =")
    (tmp_path / "dir.toml").mkdir()
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "deep.toml", job_text())
    changes = catalog.reload()
    assert (changes.changed, changes.errors) == (["a"], [])
    assert [e.path.name for e in catalog.entries()] == ["a.toml"]


def test_an_unreadable_file(
    tmp_path: Path, catalog: JobCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "a.toml", job_text())
    catalog.reload()
    job = catalog.get("a")
    real = Path.read_bytes

    def refuse(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    write(path, job_text("5 * * * *"))
    (error,) = catalog.reload().errors
    assert error == (
        f"{path}: cannot read: Permission denied; its last good version stays scheduled"
    )
    assert catalog.get("a") is job
    assert catalog.errors() == {str(path): error}
    assert not catalog.reload()  # retried, reported once
    monkeypatch.undo()  # readable again (a chmod changes neither size nor mtime)
    changes = catalog.reload()
    assert (changes.changed, changes.errors) == (["a"], [])
    assert catalog.errors() == {}
    fixed = catalog.get("a")
    assert fixed is not None
    assert fixed.schedule.cron == "5 * * * *"


def test_an_unreadable_new_file(
    tmp_path: Path, catalog: JobCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "a.toml", job_text())
    monkeypatch.setattr(Path, "read_bytes", lambda self: (_ for _ in ()).throw(OSError(5, "EIO")))
    (error,) = catalog.reload().errors
    assert error == f"{path}: cannot read: EIO"
    assert catalog.jobs() == {}


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    catalog = JobCatalog(tmp_path / "gone")
    changes = catalog.reload()
    assert (changes.changed, changes.removed) == ([], [])
    assert changes.errors == [
        f"{tmp_path / 'gone'}: cannot list the job files: not a directory (any more)"
    ]
    assert not catalog.reload()  # reported once


def test_a_vanished_directory_keeps_the_jobs(tmp_path: Path) -> None:
    """An unmounted or renamed directory does not unschedule every job in silence."""
    directory = tmp_path / "jobs"
    directory.mkdir()
    write(directory / "a.toml", job_text())
    catalog = JobCatalog(directory)
    catalog.reload()
    job = catalog.get("a")
    directory.rename(tmp_path / "elsewhere")
    changes = catalog.reload()
    assert changes.removed == []
    assert (
        changes.errors[0] == f"{directory}: cannot list the job files: not a directory (any more)"
    )
    assert catalog.get("a") is job
    (tmp_path / "elsewhere").rename(directory)
    changes = catalog.reload()
    assert (changes.changed, changes.removed, changes.errors) == ([], [], [])
    assert catalog.errors() == {}


def test_on_demand_jobs_are_jobs_but_not_scheduled(tmp_path: Path, catalog: JobCatalog) -> None:
    write(tmp_path / "manual.toml", job_text(cron=None))
    write(tmp_path / "timed.toml", job_text("@hourly"))
    assert catalog.reload().changed == ["manual", "timed"]
    assert sorted(catalog.jobs()) == ["manual", "timed"]
    assert list(catalog.scheduled()) == ["timed"]
    assert catalog.entries()[0].cron is None


def test_a_job_losing_its_cron_is_a_change(tmp_path: Path, catalog: JobCatalog) -> None:
    path = write(tmp_path / "a.toml", job_text("@hourly"))
    catalog.reload()
    write(path, job_text(cron=None))
    assert catalog.reload().changed == ["a"]
    assert catalog.scheduled() == {}
