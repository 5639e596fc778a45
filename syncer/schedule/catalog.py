"""The job files a scheduler runs: a directory of ``*.toml``, reloaded when they change.

:meth:`JobCatalog.reload` reads every file whose size or modification time changed since the
last look (a cheap ``stat`` of each; content is compared by digest, so a ``touch`` changes
nothing). A file that no longer loads keeps its last good version scheduled, and its errors
are reported every time it changes, until it loads again. A job whose file is deleted is
unscheduled. Two files naming the same job: the first (in file-name order) wins and the other
is an error. Only jobs with ``[schedule] cron`` are scheduled; the others are listed as
on-demand.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from syncer.crash import job_secrets, remember_secrets
from syncer.errors import ConfigError
from syncer.jobs import Job, load_job
from syncer.schedule.cron import CronSchedule

#: The stamp of a file that could not be read: it is read again at every reload.
_UNREAD = (-1, -1)


@dataclass(frozen=True)
class Entry:
    """A job file's last good version, and the error of its latest version, if any."""

    path: Path
    job: Job | None
    digest: str
    stamp: tuple[int, int]
    error: str = ""

    @property
    def cron(self) -> CronSchedule | None:
        return None if self.job is None else CronSchedule.of(self.job.schedule)


@dataclass
class Changes:
    """What a reload found: jobs added or changed, jobs gone, errors (one line each)."""

    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changed or self.removed or self.errors)


class JobCatalog:
    """The jobs of one directory, by name."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._entries: dict[Path, Entry] = {}
        #: The files naming a job an earlier file defines: their error lines.
        self._clashes: dict[Path, str] = {}
        #: Why the directory could not be listed at the last reload, if it could not.
        self._trouble = ""
        #: Reloads so far (the first load included).
        self.loads = 0

    def reload(self) -> Changes:
        """Look at the directory again; what changed."""
        changes = Changes()
        before = self.jobs()
        seen: set[Path] = set()
        paths, trouble = self._list()
        if trouble and trouble != self._trouble:
            changes.errors.append(trouble)
        self._trouble = trouble
        for path in paths:
            seen.add(path)
            error = self._look(path)
            if error:
                changes.errors.append(error)
        for gone in set(self._entries) - seen:
            del self._entries[gone]
        after = self.jobs()
        clashes = self._duplicates()
        changes.errors += [line for p, line in clashes.items() if self._clashes.get(p) != line]
        self._clashes = clashes
        changes.changed = sorted(n for n, j in after.items() if before.get(n) is not j)
        changes.removed = sorted(set(before) - set(after))
        self.loads += 1
        return changes

    def _list(self) -> tuple[list[Path], str]:
        """The job files, or (the directory gone or unreadable) the known ones and why."""
        try:
            if not self.directory.is_dir():
                raise NotADirectoryError(20, "not a directory (any more)")
            return sorted(p for p in self.directory.glob("*.toml") if p.is_file()), ""
        except OSError as exc:
            why = exc.strerror or str(exc)
            return list(self._entries), f"{self.directory}: cannot list the job files: {why}"

    def _look(self, path: Path) -> str:
        """Read ``path`` if it changed; its error line, or empty."""
        old = self._entries.get(path)
        try:
            info = path.stat()
            stamp = (info.st_mtime_ns, info.st_size)
            if old is not None and old.stamp == stamp:
                return ""
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            return self._unreadable(path, old, f"{path}: cannot read: {exc.strerror or exc}")
        if old is not None and old.digest == digest:
            error = "" if old.stamp == _UNREAD else old.error  # back as it was: no change
            self._entries[path] = Entry(path, old.job, digest, stamp, error)
            return ""
        try:
            loaded = load_job(path)
            remember_secrets(job_secrets(loaded))  # never in a log line
            job: Job | None = loaded
            error = ""
        except ConfigError as exc:
            job = old.job if old is not None else None
            kept = "; its last good version stays scheduled" if job is not None else ""
            error = f"{' '.join(str(exc).split())}{kept}"
        self._entries[path] = Entry(path, job, digest, stamp, error)
        return error

    def _unreadable(self, path: Path, old: Entry | None, error: str) -> str:
        """Keep ``path``'s last good version, retried at every reload (a ``chmod`` changes
        neither size nor mtime); ``error`` is reported once, not at every reload."""
        job = old.job if old is not None else None
        line = error + ("; its last good version stays scheduled" if job is not None else "")
        # The digest stays when it is the good version's: the same content back is no change.
        digest = old.digest if old is not None and not old.error else ""
        self._entries[path] = Entry(path, job, digest, _UNREAD, line)
        return "" if old is not None and old.error == line else line

    def _duplicates(self) -> dict[Path, str]:
        """The error of each file naming a job that an earlier file defines."""
        owner: dict[str, Path] = {}
        errors: dict[Path, str] = {}
        for path, entry in sorted(self._entries.items()):
            if entry.job is None:
                continue
            first = owner.setdefault(entry.job.name, path)
            if first != path:
                errors[path] = (
                    f"{path}: job {entry.job.name} is already defined by {first}; "
                    "rename one of them (the key 'name', or the file)"
                )
        return errors

    def entries(self) -> list[Entry]:
        """Every file's entry, in file-name order (loadable or not)."""
        return [self._entries[p] for p in sorted(self._entries)]

    def jobs(self) -> dict[str, Job]:
        """The last good version of every job, by name (the first file of a name wins)."""
        found: dict[str, Job] = {}
        for entry in self.entries():
            if entry.job is not None:
                found.setdefault(entry.job.name, entry.job)
        return found

    def scheduled(self) -> dict[str, Job]:
        """The jobs with a cron expression."""
        return {n: j for n, j in self.jobs().items() if j.schedule.cron is not None}

    def get(self, name: str) -> Job | None:
        return self.jobs().get(name)

    def errors(self) -> dict[str, str]:
        """The current error of each file that has one (a clash of job names included)."""
        found = {str(e.path): e.error for e in self.entries() if e.error}
        for path, line in self._clashes.items():
            found[str(path)] = f"{found[str(path)]}; {line}" if str(path) in found else line
        return found
