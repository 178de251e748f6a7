#!/usr/bin/env bash
# Generates the Prisma client into lib/generated/prisma (git-ignored).
# Prisma 7's CLI insists on locating a schema-engine binary even though
# `generate` never runs it; on machines where that download is unreachable,
# point it at a placeholder (the client itself is TypeScript + WebAssembly).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PRISMA_SCHEMA_ENGINE_BINARY:-}" ]; then
  placeholder="$(pwd)/node_modules/.cache/atrium/no-schema-engine"
  mkdir -p "$(dirname "$placeholder")" && : > "$placeholder" && chmod +x "$placeholder"
  export PRISMA_SCHEMA_ENGINE_BINARY="$placeholder"
fi
out="$(PRISMA_HIDE_UPDATE_MESSAGE=1 npx --no-install prisma generate 2>&1)" || { echo "$out" >&2; exit 1; }
echo "prisma client generated in lib/generated/prisma"
