#!/usr/bin/env bash
# Installs the few system packages the tests need and pip/npm cannot provide:
# Debian's Chromium for the dashboard browser test. Java 17 and Maven are
# prerequisites (README); this script only checks them.
set -euo pipefail
missing=()
command -v java >/dev/null || missing+=("java (JDK 17+)")
command -v mvn >/dev/null || missing+=("mvn (Maven)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "error: missing prerequisites: ${missing[*]}" >&2
  exit 1
fi
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing Debian chromium for the browser test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "warning: could not install chromium; the browser test will be skipped" >&2
  else
    echo "note: chromium not found and not root; the browser test will be skipped" >&2
  fi
fi
