#!/usr/bin/env bash
# Prints the SQL that takes the schema at a git revision (default HEAD) to the
# working prisma/schema.prisma; with --from-empty, the whole schema.
#
#   scripts/dev/migration-diff.sh [REV|--from-empty] > prisma/migrations/<UTC timestamp>_<name>/migration.sql
#
# Prisma 7's CLI needs a downloaded schema-engine binary for every `migrate`
# command. Prisma 6.19 ships a WebAssembly schema engine that needs nothing
# downloaded, so this developer tool runs it from a throw-away folder (it is not
# a dependency of the project). Where the real engine binary is available,
# `npx prisma migrate dev` works as usual instead.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="${TMPDIR:-/tmp}/atrium-prisma6"
mkdir -p "$work"
if [ ! -x "$work/node_modules/.bin/prisma" ]; then
  (cd "$work" && npm init -y >/dev/null && npm install --silent --no-fund --no-audit prisma@6.19 @prisma/adapter-pg@6.19 >/dev/null)
fi
# Prisma 6 wants the URL in the schema and the classic generator name.
to_v6() {
  sed -e 's/provider     = "prisma-client"/provider = "prisma-client-js"/' -e '/output       =/d' -e '/moduleFormat =/d' \
      -e 's/  provider = "postgresql"/  provider = "postgresql"\n  url = env("DATABASE_URL")/'
}
to_v6 < "$root/prisma/schema.prisma" > "$work/schema.prisma"
from=(--from-empty)
if [ "${1:-HEAD}" != "--from-empty" ]; then
  git -C "$root" show "${1:-HEAD}:prisma/schema.prisma" | to_v6 > "$work/from.prisma"
  from=(--from-schema-datamodel from.prisma)
fi
cat > "$work/prisma.config.ts" <<'TS'
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "schema.prisma",
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL ?? "postgresql://localhost/none" }),
} as never);
TS
touch "$work/no-engine" && chmod +x "$work/no-engine"
# The wasm engine connects even for a pure schema diff: use the test profile's database.
eval "$("$root/scripts/services.sh" env test)"
cd "$work"
PRISMA_QUERY_ENGINE_LIBRARY="$work/no-engine" PRISMA_SCHEMA_ENGINE_BINARY="$work/no-engine" PRISMA_HIDE_UPDATE_MESSAGE=1 \
  npx prisma migrate diff "${from[@]}" --to-schema-datamodel schema.prisma --script
