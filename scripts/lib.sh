# Shared helpers for scripts/up.sh and scripts/test.sh (sourced, not run).

log() { echo "[atrium] $*" >&2; }

ensure_node_modules() {
  # Reinstall when package-lock.json changed since the last install.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm dependencies"
    # `npm install`, not `npm ci`: npm 11 writes lockfiles without other platforms'
    # optional binaries (SWC, Tailwind's oxide) and its own `npm ci` then rejects
    # them. `npm install` follows the lockfile all the same and leaves it unchanged.
    npm install --no-audit --no-fund --loglevel=error
  fi
}

# AUTH_SECRET for a profile: taken from the environment, else generated once into .data/<profile>/.
ensure_auth_secret() {
  local profile="$1" file=".data/$1/auth-secret"
  if [ -z "${AUTH_SECRET:-}" ]; then
    mkdir -p ".data/$profile"
    [ -s "$file" ] || (umask 077 && node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))' > "$file")
    AUTH_SECRET="$(cat "$file")"
    export AUTH_SECRET
  fi
}

wait_for_http() {
  local url="$1" seconds="${2:-60}"
  for _ in $(seq 1 $((seconds * 5))); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

apt_install_once() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then log "please install: ${missing[*]}"; return 1; fi
  log "installing ${missing[*]} from Debian (one time)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}
