#!/usr/bin/env bash
# Prints the SQL of a new migration: the difference between prisma/schema.prisma as committed at
# a git revision (default HEAD) and as it is in the work tree. Works offline: it uses Prisma 6.19's
# WebAssembly schema engine (no binary download), installed once into node_modules/.cache/prisma6.
#   bash scripts/migration-diff.sh [REV] > prisma/migrations/<timestamp>_<name>/migration.sql
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-HEAD}
tool=node_modules/.cache/prisma6
if [ ! -x "$tool/node_modules/.bin/prisma" ]; then
  mkdir -p "$tool"
  (cd "$tool" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund prisma@6.19.3 @prisma/adapter-pg@6.19.3 pg >/dev/null)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Prisma 6 wants a prisma-client-js generator and a datasource url; the datamodel is what matters.
to6() { sed -e 's/provider     = "prisma-client"/provider = "prisma-client-js"/' -e '/moduleFormat/d' -e '/^  output /d' \
  -e 's/^  provider = "postgresql"$/  provider = "postgresql"\n  url      = env("DATABASE_URL")/'; }
git show "$rev:prisma/schema.prisma" | to6 > "$work/from.prisma"
to6 < prisma/schema.prisma > "$work/to.prisma"
cat > "$work/prisma.config.ts" <<'TS'
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';
export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'to.prisma',
  // The WebAssembly engine opens this connection but only diffs the two datamodels.
  async adapter() { return new PrismaPg({ connectionString: process.env.DIFF_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' }); },
});
TS
cd "$work"
NODE_PATH="$OLDPWD/$tool/node_modules" PRISMA_QUERY_ENGINE_LIBRARY=/bin/true PRISMA_SCHEMA_ENGINE_BINARY=/bin/true \
  DATABASE_URL=postgresql://unused@127.0.0.1/unused "$OLDPWD/$tool/node_modules/.bin/prisma" migrate diff \
  --from-schema-datamodel from.prisma --to-schema-datamodel to.prisma --script 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
