"""``python -m syncer.state ALEMBIC-COMMAND``: Alembic's CLI on syncer's migrations (developers)."""

from syncer.state.migrate import main

main()
