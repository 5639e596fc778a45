"""``syncer schedule``: scheduled incremental syncs on DBOS (DESIGN §9, §12).

The pieces, from the clock inward: :mod:`~syncer.schedule.cron` (when ticks fall, DST
included), :mod:`~syncer.schedule.catalog` (the job files, reloaded), :mod:`~syncer.schedule.
policy` (what becomes of a tick), :mod:`~syncer.schedule.workflows` (the DBOS workflow each
tick runs), :mod:`~syncer.schedule.handler` and :mod:`~syncer.schedule.runner` (its steps),
:mod:`~syncer.schedule.system` (DBOS's database and this process's claim on it),
:mod:`~syncer.schedule.service` (the process: launch, reload, stop) with
:mod:`~syncer.schedule.signals` (signals that come before it watches), and around it
:mod:`~syncer.schedule.logs`, :mod:`~syncer.schedule.metrics` and :mod:`~syncer.schedule.health`
(``/metrics``, ``/livez``, ``/readyz``, ``syncer healthcheck``); ``command`` is what the CLI calls.
"""
