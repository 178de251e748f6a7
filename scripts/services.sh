#!/usr/bin/env bash
# Project-owned PostgreSQL and Redis for the demo and the test suite.
#
#   scripts/services.sh start <profile>   # profile: demo | test
#   scripts/services.sh stop  <profile>
#   scripts/services.sh env   <profile>   # prints DATABASE_URL / REDIS_URL exports
#
# Each profile lives in .data/<profile>/ (git-ignored) on its own ports, so the
# test suite never touches demo data. Idempotent: a running service is reused.
# Installs redis-server / postgresql from Debian when missing (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${2:-demo}"
case "$profile" in
  demo) pg_port="${ATRIUM_PG_PORT:-54329}"; redis_port="${ATRIUM_REDIS_PORT:-63799}"; persist=yes ;;
  # ATRIUM_TEST_INSTANCE=N gives a parallel, fully separate test instance (own ports and data).
  test) n="${ATRIUM_TEST_INSTANCE:-0}"; pg_port=$((54339 + n)); redis_port=$((63809 + n)); persist=no
        [ "$n" != 0 ] && profile="test-$n" ;;
  *) echo "unknown profile: $profile (demo|test)" >&2; exit 2 ;;
esac
data=".data/$profile"
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
db_url="postgresql://atrium@127.0.0.1:${pg_port}/atrium"
redis_url="redis://127.0.0.1:${redis_port}/0"

log() { echo "[services:$profile] $*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then log "missing $*; install it (apt-get install $*) and retry"; exit 1; fi
  log "installing $* from Debian (one time)"
  if [ ! -f /var/lib/apt/periodic/atrium-updated ] ; then
    apt-get update -qq >/dev/null && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/atrium-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_binaries() {
  [ -n "$pg_bin" ] && [ -x "$pg_bin/postgres" ] || { apt_install postgresql; pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"; }
  command -v redis-server >/dev/null || apt_install redis-server
}

# Postgres refuses to run as root: run it as the unprivileged 'postgres' user when we are root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_pg() {
  mkdir -p "$data"
  local dir; dir="$(pwd)/$data/pg"
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir" && chmod 700 "$dir"
    as_pg "$pg_bin/initdb" -D "$dir" -U atrium --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "port = $pg_port"
      echo "unix_socket_directories = ''"
      echo "max_connections = 200"
      if [ "$persist" = no ]; then echo "fsync = off"; echo "synchronous_commit = off"; echo "full_page_writes = off"; fi
    } >> "$dir/postgresql.conf"
  fi
  if as_pg "$pg_bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    log "postgres already running on :$pg_port"
  else
    as_pg "$pg_bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null
    log "postgres started on :$pg_port"
  fi
  "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U atrium -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='atrium'" | grep -q 1 \
    || "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U atrium atrium
}

start_redis() {
  mkdir -p "$data/redis"
  if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then log "redis already running on :$redis_port"; return; fi
  local args=(--port "$redis_port" --bind 127.0.0.1 --daemonize yes --dir "$(pwd)/$data/redis"
              --pidfile "$(pwd)/$data/redis/redis.pid" --logfile "$(pwd)/$data/redis/redis.log")
  if [ "$persist" = yes ]; then args+=(--appendonly yes); else args+=(--save "" --appendonly no); fi
  redis-server "${args[@]}"
  for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  log "redis started on :$redis_port"
}

stop_all() {
  if [ -n "$pg_bin" ] && [ -f "$data/pg/PG_VERSION" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$(pwd)/$data/pg" -m fast stop >/dev/null 2>&1 && log "postgres stopped" || true
  fi
  if command -v redis-cli >/dev/null && redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true; log "redis stopped"
  fi
}

case "${1:-}" in
  start) ensure_binaries; start_pg; start_redis ;;
  stop) stop_all ;;
  env) echo "export DATABASE_URL='$db_url'"; echo "export REDIS_URL='$redis_url'" ;;
  *) echo "usage: $0 start|stop|env demo|test" >&2; exit 2 ;;
esac
