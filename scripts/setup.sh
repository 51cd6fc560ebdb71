#!/usr/bin/env bash
# Installs what is missing on a fresh Debian machine (PHP 8.2 and friends from apt, npm packages) and builds the
# TypeScript sources. Safe to run again: it only installs what is not there yet.
set -euo pipefail
cd "$(dirname "$0")/.."

# Test services (mariadb, redis, haproxy, memcached) are started by the tests themselves on loopback and free ports;
# a policy-rc.d that exits 101 keeps apt from starting the packaged daemons.
APT_PACKAGES=(php8.2-cli php8.2-intl php8.2-mbstring php8.2-curl php8.2-xml php8.2-sqlite3 php8.2-mysql php8.2-redis
  php8.2-memcached composer phpunit php-nyholm-psr7 php-codesniffer mariadb-server redis-server haproxy memcached openssl)
# nginx, php8.2-fpm and wrk are the benchmark's: `npm run bench` installs them when missing (bench/install.ts).
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null; then
  echo "setup: Node.js (>= 20.15) is required" >&2
  exit 1
fi

# npm packages: only when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error --ignore-scripts
fi
echo "setup: building TypeScript"
npx tsc -p tsconfig.json
