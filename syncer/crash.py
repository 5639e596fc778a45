"""The last resort for a bug: an exception no part of syncer expected becomes ONE line on stderr
and a log file holding its traceback, never a traceback in the user's terminal. (A SyncerError
that no command caught, bare or in a task group's exception group, is no bug: its message and its
documented exit code, see :func:`outcome`.)

The line names the exception and the log: ``error: unexpected RuntimeError: boom; the traceback
is in .syncer/logs/crash-20261203T151200Z-4242.log; please report it``; the exit code is
:data:`UNEXPECTED` (70, ``EX_SOFTWARE``). The log is written under ``.syncer/logs/`` (else the
system's temporary directory), readable by its owner only, with every secret syncer knows of
redacted: those of the loaded job (:func:`remember_secrets`), passwords in URLs, and the values
of environment variables whose names say they are secret.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import sys
import tempfile
import traceback
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncer import __version__
from syncer.errors import SyncerError
from syncer.http.redact import MASK, Redactor

if TYPE_CHECKING:  # the CLI imports this module at start: keep it light
    from syncer.jobs import Job

#: The exit code of an unexpected error (sysexits' EX_SOFTWARE: an internal software error).
UNEXPECTED = 70
#: Where crash logs go, relative to the working directory (like the state and the spool).
LOG_DIR = Path(".syncer") / "logs"
#: The longest exception message the one line quotes.
MAX_MESSAGE = 200

_SECRET_NAME = re.compile(r"KEY|SECRET|PASSW|TOKEN|CREDENTIAL|AUTH", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/?#@\s]*):[^@/?#\s]+@", re.I)
_known = Redactor()


def remember_secrets(secrets: Iterable[str | None]) -> None:
    """Values to redact from any crash log this process writes (a loaded job's secrets)."""
    _known.add(*secrets)


def job_secrets(job: Job) -> list[str]:
    """The secret values of ``job``: every setting named like a secret, and its state password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    secrets: list[str | None] = list(_secret_leaves(job.model_dump(mode="json")))
    with contextlib.suppress(ArgumentError):  # the job's validation refuses a bad URL anyway
        secrets.append(make_url(job.state).password)
    return [secret for secret in secrets if secret]


def _secret_leaves(node: Any) -> Iterator[str]:
    from syncer.jobs.vendors import SECRET_KEYS

    items: Iterable[tuple[Any, Any]] = ()
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    for key, value in items:
        if key in SECRET_KEYS and isinstance(value, str):
            yield value
        else:
            yield from _secret_leaves(value)


def outcome(error: Exception) -> tuple[str, int]:
    """What to show for an exception that reached the command line, and the exit code: a
    SyncerError (or a task group of them) is its own message and documented code; anything
    else is a bug, reported by :func:`report` with :data:`UNEXPECTED`."""
    if isinstance(error, SyncerError):
        return f"error: {error}", error.exit_code
    if isinstance(error, BaseExceptionGroup) and all(
        isinstance(leaf, SyncerError) for leaf in _leaves(error)
    ):
        known = reported(error)
        return f"error: {known}", known.exit_code
    return report(error), UNEXPECTED


def reported(group: BaseExceptionGroup[BaseException]) -> SyncerError:
    """The error to report from a (possibly nested) group of them, as task groups raise: the
    first configuration error (the user must act), else the first error (it holds one)."""
    from syncer.errors import ConfigError

    errors = [error for error in _leaves(group) if isinstance(error, SyncerError)]
    return next((error for error in errors if isinstance(error, ConfigError)), errors[0])


def _leaves(group: BaseExceptionGroup[BaseException]) -> Iterator[BaseException]:
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            yield from _leaves(error)
        else:
            yield error


def report(error: BaseException) -> str:
    """Save ``error``'s traceback to a log; the one line that tells the user about it."""
    culprit = _culprit(error)
    path = save_traceback(error)
    where = f"the traceback is in {path}" if path else "the traceback could not be saved"
    message = redact(" ".join(_text(culprit).split()))[:MAX_MESSAGE]
    return f"error: unexpected {type(culprit).__name__}: {message}; {where}; please report it"


def _text(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:  # a broken __str__ must not break the last resort
        return "(its message cannot be shown)"


def _culprit(error: BaseException) -> BaseException:
    """The exception to name: inside task groups, the first one that is not a SyncerError."""
    if not isinstance(error, BaseExceptionGroup):
        return error
    leaves = list(_leaves(error))
    return next((leaf for leaf in leaves if not isinstance(leaf, SyncerError)), leaves[0])


def save_traceback(error: BaseException) -> Path | None:
    """Write ``error``'s traceback, redacted, to a new log file; its path, or None if no
    directory would take it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"crash-{stamp}-{os.getpid()}.log"
    text = redact(_log_text(error))
    for folder in (LOG_DIR, Path(tempfile.gettempdir()) / "syncer-logs"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = (folder / name).absolute()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as log:
                log.write(text)
        except OSError:
            continue
        return path
    return None


def _log_text(error: BaseException) -> str:
    header = [
        f"syncer {__version__} on Python {platform.python_version()} ({sys.platform})",
        f"command: {' '.join(sys.argv)}",
        f"at: {datetime.now(UTC).isoformat()}",
        "",
    ]
    return "\n".join(header) + "".join(traceback.format_exception(error))


def redact(text: str) -> str:
    """``text`` without the secrets this process knows of."""
    text = _URL_PASSWORD.sub(rf"\g<head>:{MASK}@", text)
    environment = Redactor(v for k, v in os.environ.items() if _SECRET_NAME.search(k))
    return environment(_known(text))
