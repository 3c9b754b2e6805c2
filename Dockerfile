# syntax=docker/dockerfile:1
# The identity provider: `idp serve` (granian; IDP_SERVER=gunicorn for gunicorn) on a slim Python base, as user 1001, with no secret and
# no development key inside (keys/ and .env are never copied: see .dockerignore).
# Migrations run only when asked: `idp db upgrade` (compose's migrate service, k8s' Job).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN python -m venv /opt/venv
COPY pyproject.toml ./
COPY idp ./idp
# Editable, so the code stays at /app where templates/ and migrations/ sit beside it.
RUN /opt/venv/bin/pip install -e .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    IDP_ENV=production \
    HOST=0.0.0.0 \
    PORT=3001 \
    METRICS_PORT=9464 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
RUN groupadd --system --gid 1001 idp \
 && useradd --system --uid 1001 --gid 1001 --no-create-home --home-dir /app --shell /usr/sbin/nologin idp
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY idp ./idp
COPY migrations ./migrations
COPY templates ./templates
COPY alembic.ini pyproject.toml ./
# The code belongs to root and is read-only for the service; it writes only to /tmp.
USER 1001:1001
EXPOSE 3001 9464
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '3001'), timeout=2)"]
CMD ["idp", "serve"]
