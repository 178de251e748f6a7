#!/usr/bin/env bash
# Make Docker usable for Atrium's docker orchestrator driver, from nothing:
#
#   scripts/docker-up.sh            # install docker.io (Debian) if missing, start dockerd if
#                                   # it is not running, build atrium/engine:<hash> (+ :latest)
#
# Idempotent: a running daemon and an existing image are reused. dockerd has no systemd on
# Atrium's build machines, so it is started in the background (log: .data/docker/dockerd.log).
# No image is ever pulled: the engine image is built locally (scripts/build-engine-image.sh).
#
# Environment: ATRIUM_DOCKER_READY_TIMEOUT (seconds to wait for dockerd, default 60),
#              ATRIUM_SKIP_ENGINE_IMAGE=1 (only make sure the daemon runs).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[docker-up] $*" >&2; }
die() { echo "[docker-up] ERROR: $*" >&2; exit 1; }

timeout_s="${ATRIUM_DOCKER_READY_TIMEOUT:-60}"

# ---------------------------------------------------------------- install
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "Docker is not installed; run as root or install it: apt-get install -y docker.io"
  log "installing docker.io from Debian (one time)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi

# ---------------------------------------------------------------- daemon
if docker info >/dev/null 2>&1; then
  log "dockerd already running"
else
  [ "$(id -u)" = 0 ] || die "dockerd is not running and we are not root: start it (sudo dockerd &) and retry"
  mkdir -p .data/docker
  logfile="$(pwd)/.data/docker/dockerd.log"
  pidfile="/var/run/docker.pid"
  # A stale pid file from a daemon that died keeps a new one from starting.
  if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; then rm -f "$pidfile"; fi
  if [ -f "$pidfile" ]; then
    log "dockerd (pid $(cat "$pidfile")) is starting; waiting for it"
  else
    log "starting dockerd in the background (log: .data/docker/dockerd.log)"
    # setsid + nohup: the daemon outlives this script and the shell (and test runner) that ran it.
    setsid nohup dockerd >"$logfile" 2>&1 </dev/null &
  fi
  deadline=$((SECONDS + timeout_s))
  until docker info >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "[docker-up] ERROR: dockerd did not become ready within ${timeout_s}s. Last lines of $logfile:" >&2
      tail -n 20 "$logfile" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.5
  done
  log "dockerd ready ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
fi

# ---------------------------------------------------------------- engine image
if [ "${ATRIUM_SKIP_ENGINE_IMAGE:-}" != 1 ]; then
  bash scripts/build-engine-image.sh
fi
