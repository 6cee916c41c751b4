#!/usr/bin/env bash
# Installs the few system packages the tests need and pip/npm cannot provide:
# Debian's Chromium for the dashboard browser test, Debian's nginx (the balancer in front of several BFF
# instances, FLUX_BFF_INSTANCES > 1) and the docker-compose client. Java 17 and Maven are
# prerequisites (README); this script only checks them.
set -euo pipefail
missing=()
command -v java >/dev/null || missing+=("java (JDK 17+)")
command -v mvn >/dev/null || missing+=("mvn (Maven)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "error: missing prerequisites: ${missing[*]}" >&2
  exit 1
fi
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    [ -n "${FLUX_APT_UPDATED:-}" ] || { apt-get update -qq >/dev/null 2>&1 || true; FLUX_APT_UPDATED=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
  else
    return 1
  fi
}
# The compose client validates docker-compose.yml (`docker compose config`); no engine needed.
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
  echo "==> installing the docker-compose client (validates docker-compose.yml)"
  apt_install docker-compose || echo "note: no compose client; the compose validation test will be skipped" >&2
fi
if ! command -v chromium >/dev/null; then
  echo "==> installing Debian chromium for the dashboard browser test"
  apt_install chromium || echo "note: chromium could not be installed; the browser test will be skipped" >&2
fi
# nginx balances several BFF instances (FLUX_BFF_INSTANCES > 1, ADR-018); Flux runs it as its own process
# with a generated config, never the system service. Debian installs it as /usr/sbin/nginx.
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  echo "==> installing Debian nginx for the multi-instance BFF balancer"
  apt_install nginx || echo "note: nginx could not be installed; the multi-instance BFF tests will be skipped" >&2
fi
