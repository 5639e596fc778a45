# syncer: `syncer emulate ...` and `syncer schedule ...` (docker-compose.yml runs both).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The package with its dependencies, and asyncpg for a PostgreSQL state (the `postgres` extra).
# DBOS reaches PostgreSQL through psycopg[binary]: no libpq from apt is needed.
WORKDIR /opt/syncer
COPY pyproject.toml README.md ./
COPY syncer ./syncer
RUN pip install ".[postgres]"

# An unprivileged user. The directories compose mounts named volumes on are made here, owned by
# that user: Docker fills a new named volume from them, ownership included.
RUN useradd --system --uid 10001 --user-group --home-dir /srv/syncer syncer \
    && mkdir -p /srv/syncer/.syncer /data \
    && chown -R syncer:syncer /srv/syncer /data
# Example job files (compose mounts ./jobs over them).
COPY --chown=syncer:syncer jobs /srv/syncer/jobs

# The working directory: relative paths (jobs/, .syncer/ with the state, DBOS's file, the spool,
# run reports and crash logs) resolve here; .syncer is a volume.
WORKDIR /srv/syncer
USER syncer

ENTRYPOINT ["syncer"]
CMD ["schedule", "jobs"]
