#!/usr/bin/env bash
# Installs the AsyncAPI validator (@asyncapi/parser with the Avro and Protobuf schema parsers) from the
# npm registry into tools/asyncapi/node_modules. CI only: it checks docs/asyncapi.json; Flux never runs it.
set -euo pipefail
cd "$(dirname "$0")/../tools/asyncapi"
command -v npm >/dev/null || { echo "error: npm is required for the AsyncAPI validator (install Node.js >= 18)" >&2; exit 1; }
# Exactly the locked versions: `npm ci` fails when package.json and package-lock.json disagree.
[ -f package-lock.json ] || { echo "error: tools/asyncapi/package-lock.json is missing (run npm install there and commit it)" >&2; exit 1; }
if [ ! -d node_modules ] || [ package.json -nt node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "==> installing the AsyncAPI validator (npm ci, tools/asyncapi/package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules
fi
