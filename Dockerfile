# okrbot container image: `docker build -t okrbot .`
#
# Default command: HTTP mode on port 3000 with the scheduler inside. Settings come from the environment
# (`docker run --env-file .env ...`); the SQLite database lives in the /data volume. compose.yaml runs the
# same image against PostgreSQL with two web workers and one scheduler. See docs/deploy.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# tini as PID 1 forwards signals and reaps children (the kernel drops signals PID 1 has no handler for).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

# A fixed, unprivileged uid/gid, so a bind-mounted /data can be chowned to it on the host (10001:10001).
RUN groupadd --system --gid 10001 okrbot \
    && useradd --system --uid 10001 --gid okrbot --home-dir /data --no-create-home --shell /usr/sbin/nologin okrbot

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
# EXTRA_PACKAGES: more distributions to install next to okrbot; compose.yaml passes the PostgreSQL driver.
ARG EXTRA_PACKAGES=""
RUN pip install . ${EXTRA_PACKAGES} && rm -rf /src

RUN mkdir -p /data && chown okrbot:okrbot /data && chmod 0700 /data
VOLUME ["/data"]
WORKDIR /data

# Absolute path (four slashes): the database is in the volume whatever the working directory.
ENV DATABASE_URL=sqlite+aiosqlite:////data/okrbot.db \
    OKRBOT_HEALTHCHECK_URL=http://127.0.0.1:3000/healthz

USER okrbot:okrbot
# /data is 0700 and owned by okrbot, so no other uid in the container can read the database (review notes).
EXPOSE 3000

# No curl in a slim image: Python's urllib does the GET. Any error or a non-200 status exits 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; r = urllib.request.urlopen(os.environ['OKRBOT_HEALTHCHECK_URL'], timeout=4); sys.exit(0 if r.status == 200 else 1)"]

# `docker stop` sends SIGTERM: okrbot stops accepting requests, drains running inbox work for up to
# OKRBOT_DRAIN_SECONDS (20 s), and exits 0; what is left runs at the next start. Docker's default 10 s grace is
# shorter than the drain, so run the container with `--stop-timeout 30` (compose.yaml sets stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["okrbot", "serve", "--host", "0.0.0.0", "--port", "3000"]
