"""The ``syncer`` command group and its last-resort error handler."""

from __future__ import annotations

import errno
from typing import Any

import click

from syncer import __version__

#: A bug (``syncer.crash.UNEXPECTED``, should the crash log itself fail).
_UNEXPECTED = 70
#: What click handles itself: usage errors, ``--help`` and other exits, an abort.
_CLICK_OWN = (click.ClickException, click.exceptions.Exit, click.Abort)


class SyncerGroup(click.Group):
    """The command group, with the last resort: a SyncerError that no command caught is one line
    and its code; any other exception is a bug, one line naming a log with its traceback
    (:mod:`syncer.crash`), and exit code 70."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _CLICK_OWN:
            raise
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # click quiets a closed pipe (`syncer status | head`)
                raise
            self._fail(ctx, exc)
        except Exception as exc:  # KeyboardInterrupt and SystemExit pass: they are no bugs
            self._fail(ctx, exc)

    @staticmethod
    def _fail(ctx: click.Context, exc: Exception) -> None:
        try:
            from syncer import crash  # it imports the HTTP layer: not for `syncer --help`

            line, code = crash.outcome(exc)
        except Exception:  # the last resort must not fail in turn
            line = f"error: unexpected {type(exc).__name__} (no log written); please report it"
            code = _UNEXPECTED
        click.echo(line, err=True)
        ctx.exit(code)


@click.group(
    cls=SyncerGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="syncer")
def main() -> None:
    """syncer moves product-catalog images between vendors and keeps them in step."""
