#!/usr/bin/env bash
# Installs the dashboard's browser dependencies (socket.io-client) from the npm registry.
set -euo pipefail
cd "$(dirname "$0")/../src/flux/bff/dashboard" 2>/dev/null || { echo "==> dashboard not present yet, skipping npm"; exit 0; }
[ -f package.json ] || { echo "==> dashboard has no package.json yet, skipping npm"; exit 0; }
command -v npm >/dev/null || { echo "error: npm is required for the dashboard (install Node.js >= 18)" >&2; exit 1; }
# Exactly the locked versions: `npm ci` fails when package.json and package-lock.json disagree.
[ -f package-lock.json ] || { echo "error: src/flux/bff/dashboard/package-lock.json is missing (run npm install there and commit it)" >&2; exit 1; }
if [ ! -d node_modules ] || [ package.json -nt node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "==> installing dashboard assets (npm ci, package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules
fi
