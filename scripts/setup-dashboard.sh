#!/usr/bin/env bash
# Installs the dashboard's browser dependencies (socket.io-client) from the npm registry.
set -euo pipefail
cd "$(dirname "$0")/../src/flux/bff/dashboard" 2>/dev/null || { echo "==> dashboard not present yet, skipping npm"; exit 0; }
[ -f package.json ] || { echo "==> dashboard has no package.json yet, skipping npm"; exit 0; }
command -v npm >/dev/null || { echo "error: npm is required for the dashboard (install Node.js >= 18)" >&2; exit 1; }
if [ ! -d node_modules ] || [ package.json -nt node_modules ]; then
  echo "==> installing dashboard assets (npm ci)"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
  touch node_modules
fi
