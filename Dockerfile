FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY syncer ./syncer
RUN pip install --no-cache-dir .
ENTRYPOINT ["syncer"]
