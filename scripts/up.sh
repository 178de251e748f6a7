#!/usr/bin/env bash
# Quickstart, command 1: `npm run up`
# From a fresh clone: installs dependencies, starts a project-owned PostgreSQL and
# Redis (unless DATABASE_URL / REDIS_URL point at your own), applies migrations,
# seeds the demo tenant (printing its credentials), builds and starts Atrium.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_node_modules
if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  bash scripts/services.sh start demo
  eval "$(bash scripts/services.sh env demo)"
fi
ensure_auth_secret demo
export PORT="${PORT:-3000}"
export PUBLIC_ORIGIN="${PUBLIC_ORIGIN:-http://localhost:$PORT}"
export NODE_ENV=production

bash scripts/prisma-generate.sh
npx --no-install tsx scripts/migrate.ts
npx --no-install tsx scripts/seed-demo.ts
log "building (first time takes a minute or two)"
npx --no-install next build > .data/demo/build.log 2>&1 || { tail -40 .data/demo/build.log; exit 1; }
log "Atrium is starting at $PUBLIC_ORIGIN  (Ctrl+C to stop; scripts/services.sh stop demo stops the databases)"
exec node $(cat scripts/portal-node-args.txt) --import tsx server.ts
