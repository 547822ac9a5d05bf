# syntax=docker/dockerfile:1.7
#
# One Dockerfile for every service of the platform; pick the service with a build argument:
#
#   docker build --build-arg SERVICE=sms-sender -t registry.example.org/notify/notify-sms-sender:0.1.0 .
#
#   docker build --build-arg SERVICE=admin-console -t registry.example.org/notify/notify-admin-console:0.1.0 .
#
# SERVICE is a directory under services/ (api-gateway, admin-api, document-download, job-splitter,
# sms-sender, email-sender, letter-sender, receipts, projector, callbacks, provider-simulator,
# admin-console). The image holds
# only that service's distribution (notify-<service>), the shared library and their locked
# dependencies, installed from uv.lock exactly, plus the Avro schemas. It runs as uid 10001 and
# writes nothing outside /tmp, so it runs under a read-only root filesystem.
#
# SERVICE=migrate builds the image of the database migration (the Helm chart's migration Job:
# python -m notify_common.db.migrate). Each service ships its own migrations in its package, so
# that image holds every service's package (uv sync --all-packages) and runs the migration.
#
# The admin-console image also holds GOV.UK Frontend's CSS, JavaScript, fonts and images and uPlot
# (the platform health page's charts), built by a Node stage from
# services/admin-console/package-lock.json (npm ci, build-assets.mjs). Only that image's build
# needs the Node image; every other service takes an empty folder instead.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim
ARG SERVICE
# The stage that supplies front-end assets. ${SERVICE#admin-console} (pattern expansion, Dockerfile
# syntax 1.7) is empty only for the console, so every other service gets "assets-none"; BuildKit
# builds only the stages a target depends on, so their builds never pull the Node image.
ARG NOT_CONSOLE=${SERVICE#admin-console}
ARG ASSETS_STAGE=${NOT_CONSOLE:+assets-none}

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS assets-admin-console
WORKDIR /assets
COPY services/admin-console/package.json services/admin-console/package-lock.json \
     services/admin-console/build-assets.mjs ./
# npm ci installs exactly package-lock.json; --omit=dev leaves out axe-core (browser tests only).
# build-assets.mjs writes src/notify_admin_console/static, moved to /static for the next stage.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund --loglevel=error && \
    node build-assets.mjs && \
    mv src/notify_admin_console/static /static && \
    test -f /static/govuk-frontend.min.css && test -f /static/uplot/uPlot.esm.js

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS assets-none
RUN mkdir /static

# ---------------------------------------------------------------------------------------------
FROM ${ASSETS_STAGE:-assets-admin-console} AS assets

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
# The uv that wrote uv.lock; installed from PyPI so the build needs no other registry.
ARG UV_VERSION=0.13.9

RUN if [ -z "${SERVICE}" ]; then echo "build with --build-arg SERVICE=<service>" >&2; exit 1; fi

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN pip install "uv==${UV_VERSION}"

WORKDIR /src
# The workspace: every member's pyproject.toml is needed to read the lock, the sources of the
# shared library and of this service to install them.
COPY pyproject.toml uv.lock ./
COPY libs/ libs/
COPY services/ services/

# --frozen: install exactly what uv.lock says, never re-resolve. --no-editable: the packages are
# copied into the environment, so /src can be left behind.
RUN --mount=type=cache,target=/root/.cache/uv \
    if [ "${SERVICE}" = "migrate" ]; then \
      uv sync --frozen --no-dev --no-editable --all-packages && \
      printf '#!/bin/sh\nexec /app/.venv/bin/python -m notify_common.db.migrate "$@"\n' \
        > /app/.venv/bin/notify-service && \
      chmod 755 /app/.venv/bin/notify-service; \
    else \
      test -d "services/${SERVICE}" || { echo "no such service: services/${SERVICE}" >&2; exit 1; } && \
      uv sync --frozen --no-dev --no-editable --package "notify-${SERVICE}" && \
      test -x "/app/.venv/bin/notify-${SERVICE}" && \
      ln -s "notify-${SERVICE}" /app/.venv/bin/notify-service; \
    fi

# The console serves GOV.UK Frontend from its package's static folder, which is git-ignored and so
# never in the wheel: the assets stage's build goes into the installed package.
RUN --mount=type=bind,from=assets,source=/static,target=/tmp/assets \
    if [ "${SERVICE}" = "admin-console" ]; then \
      package="$(/app/.venv/bin/python -c 'import notify_admin_console, os; print(os.path.dirname(notify_admin_console.__file__))')" && \
      rm -rf "${package}/static" && \
      cp -R /tmp/assets "${package}/static" && \
      test -f "${package}/static/govuk-frontend.min.css" && \
      test -d "${package}/static/assets/fonts"; \
    fi

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE

LABEL org.opencontainers.image.title="notify-${SERVICE}" \
      org.opencontainers.image.description="The ${SERVICE} service of the notification platform"

# DejaVu fonts let the letter-sender print Welsh and other text beyond Latin-1.
RUN if [ "${SERVICE}" = "letter-sender" ]; then \
      apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core && \
      rm -rf /var/lib/apt/lists/*; \
    fi
RUN groupadd --system --gid 10001 notify && \
    useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin notify

COPY --from=build /app/.venv /app/.venv
COPY schemas/ /app/schemas/

# NOTIFY_HTTP_HOST/PORT: listen on every interface, on the port the chart probes.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NOTIFY_SERVICE=${SERVICE} \
    NOTIFY_SCHEMAS_DIR=/app/schemas \
    NOTIFY_HTTP_HOST=0.0.0.0 \
    NOTIFY_HTTP_PORT=8080

WORKDIR /app
USER 10001:10001
EXPOSE 8080
# notify-service links to this image's console script, notify-${SERVICE}. Exec form: the service
# is PID 1 and gets SIGTERM itself, to finish its batch and commit before stopping.
CMD ["notify-service"]
