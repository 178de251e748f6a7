#!/usr/bin/env bash
# Quickstart, command 2: `npm test` — the whole suite, from a fresh clone.
#   lint → typecheck → unit → build → integration (real PostgreSQL + Redis + a
#   running Atrium) → end-to-end (Playwright in Debian's Chromium).
# Installs what it needs (npm packages, Debian's chromium/postgresql/redis),
# starts the test profile's own PostgreSQL and Redis on separate ports with a
# fresh database, and stops the Atrium server it started when done.
# Pass stage names to run only some: `npm test -- unit integration`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(lint typecheck unit integration e2e)
want() { local s; for s in "${stages[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

ensure_node_modules
if want e2e && [ ! -x /usr/bin/chromium ]; then apt_install_once chromium; fi
bash scripts/services.sh start test
eval "$(bash scripts/services.sh env test)"
export AUTH_SECRET="test-secret-0123456789abcdef0123456789abcdef"
instance="${ATRIUM_TEST_INSTANCE:-0}"
data=".data/test"; [ "$instance" != 0 ] && data=".data/test-$instance"
export ATRIUM_DIST_DIR=".next"; [ "$instance" != 0 ] && export ATRIUM_DIST_DIR=".next-test-$instance"
export PORT=$((3210 + instance))
export PUBLIC_ORIGIN="http://localhost:$PORT"
export ATRIUM_TEST_URL="$PUBLIC_ORIGIN"
export ATRIUM_TEST_SHORT_SESSIONS=1   # lets tests set 1-second session policies (loopback only)
export TRUST_PROXY=1                  # tests simulate many client IPs with X-Forwarded-For
export NODE_ENV=production
export LOG_LEVEL="${LOG_LEVEL:-warn}"

results="$data/results"
vitest() { NODE_OPTIONS="--import $(pwd)/scripts/node20-polyfills.mjs ${NODE_OPTIONS:-}" npx --no-install vitest "$@"; }
rm -rf "$results" && mkdir -p "$results"
bash scripts/prisma-generate.sh

# A clean database and Redis for every run.
PGOPTIONS="--client-min-messages=warning" psql "$DATABASE_URL" -qX -v ON_ERROR_STOP=1 -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
redis-cli -u "$REDIS_URL" flushall >/dev/null
npx --no-install tsx scripts/migrate.ts

if want lint; then log "lint"; npx --no-install eslint --max-warnings 0 .; fi
if want typecheck; then log "typecheck"; npx --no-install tsc --noEmit -p tsconfig.json; fi
if want unit; then
  log "unit tests"
  vitest run --project unit --reporter=default --reporter=json --outputFile.json="$results/unit.json"
fi

server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  server_pid=""
}
# Under CI nothing may outlive the run; locally the databases stay up for quick reruns.
cleanup() { stop_server; if [ -n "${CI:-}" ]; then bash scripts/services.sh stop test || true; fi; }
trap cleanup EXIT

if want integration || want e2e; then
  log "building Atrium"
  npx --no-install next build > "$data/build.log" 2>&1 || { tail -60 "$data/build.log"; exit 1; }
  if curl -s -o /dev/null "$PUBLIC_ORIGIN"; then log "port $PORT is already in use; stop whatever runs there"; exit 1; fi
  log "starting Atrium on $PUBLIC_ORIGIN"
  # SSO metadata import over https from the local IdP (docs/sso.md): the server trusts the IdP's test CA and may
  # fetch from loopback. The CA is generated here (openssl only) so it exists before the server starts.
  export SAML_IDP_DIR="${SAML_IDP_DIR:-$(pwd)/.data/saml-idp}"
  export NODE_EXTRA_CA_CERTS="$(bash scripts/saml-idp.sh --ca-only)"
  export SSO_METADATA_ALLOW_PRIVATE=1
  # One process (no npx/tsx wrapper in between), so its pid is the server's own.
  node $(cat scripts/portal-node-args.txt) --import tsx server.ts > "$data/server.log" 2>&1 &
  server_pid=$!
  wait_for_http "$PUBLIC_ORIGIN/api/health" 90 && kill -0 "$server_pid" 2>/dev/null || { tail -60 "$data/server.log"; exit 1; }
fi
if want integration; then
  log "integration tests (real PostgreSQL, Redis and Atrium)"
  vitest run --project integration --reporter=default --reporter=json --outputFile.json="$results/integration.json"
fi
if want e2e; then
  log "end-to-end tests (Playwright, Debian's Chromium)"
  PLAYWRIGHT_OUTPUT_DIR="$data/playwright" PLAYWRIGHT_JSON_OUTPUT_NAME="$results/e2e.json" npx --no-install playwright test --reporter=list,json
fi
stop_server

# Under CI nothing else runs on the machine: any engine process or container still
# alive now was leaked by the suite, which is a failure.
if [ -n "${CI:-}" ]; then
  leaked="$(pgrep -af -- '--atrium-installation=' || true)"
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    leaked+="$(docker ps -a --filter label=atrium.installation --format '{{.Names}}' || true)"
  fi
  if [ -n "$leaked" ]; then log "engines left running after the suite:"; echo "$leaked" >&2; exit 1; fi
  log "no engine process or container left running"
fi

# One closing line for every runner together.
node -e '
const fs = require("fs"); let passed = 0, failed = 0, skipped = 0;
for (const f of fs.readdirSync(process.argv[1])) {
  const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + f, "utf8"));
  if (r.numPassedTests !== undefined) { passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests || 0); }
  else if (r.stats) { passed += r.stats.expected + r.stats.flaky; failed += r.stats.unexpected; skipped += r.stats.skipped; }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
' "$results"
