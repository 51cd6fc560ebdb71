#!/usr/bin/env bash
# Creates a CodeIgniter 4 application (4.1.3, from the npm package `codeigniter4`) in <target-dir>.
#
#   scripts/ci4-app.sh <target-dir> [--no-burner] [--fixtures]
#
#   --no-burner  stop after the plain CI4 app (composer.json with the path repository, but no `composer require`):
#                the "user's path" test runs `composer require burner/burner` itself.
#   --fixtures   copy test/fixtures/ci4/ (test controllers, views, routes) over the app.
#
# Idempotent: a finished app is left alone (a marker file records what was done), so repeated calls are fast.
# The downloaded CI4 code is never committed: the tarball is cached under tmp/ (gitignored) or $BURNER_CACHE_DIR.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
CI4_VERSION="4.1.3"

target=""
with_burner=1
with_fixtures=0
for arg in "$@"; do
  case "$arg" in
    --no-burner) with_burner=0 ;;
    --fixtures) with_fixtures=1 ;;
    -*) echo "ci4-app: unknown option $arg" >&2; exit 2 ;;
    *) target="$arg" ;;
  esac
done
if [ -z "$target" ]; then
  echo "usage: scripts/ci4-app.sh <target-dir> [--no-burner] [--fixtures]" >&2
  exit 2
fi
mkdir -p "$target"
target="$(cd "$target" && pwd)"

cache_dir="${BURNER_CACHE_DIR:-$REPO/tmp/cache}"
tarball="$cache_dir/codeigniter4-$CI4_VERSION.tgz"

# 1. The CI4 application skeleton.
if [ ! -f "$target/.ci4-extracted" ]; then
  if [ ! -f "$tarball" ]; then
    mkdir -p "$cache_dir"
    work="$(mktemp -d)"
    (cd "$work" && npm pack "codeigniter4@$CI4_VERSION" --silent >/dev/null)
    mv "$work/codeigniter4-$CI4_VERSION.tgz" "$tarball"
    rm -rf "$work"
  fi
  tar -xzf "$tarball" -C "$target" --strip-components=1
  # The npm package is a repack of codeigniter4/framework; its package.json and composer.json describe the
  # framework, not an app. The app gets its own minimal composer.json below.
  rm -f "$target/package.json" "$target/composer.json"
  # CI 4.1.3's spark turns every PHP 8.2 deprecation into a fatal ErrorException: the app patches its own spark
  # (never system/) to leave deprecations out of error_reporting.
  sed -i 's/^error_reporting(-1);/error_reporting(E_ALL \& ~E_DEPRECATED);/' "$target/spark"
  chmod +x "$target/spark"
  # Same for the app's development boot file: with error_reporting(-1), CI 4.1.3's own PHP 8.2 deprecations
  # (FILTER_SANITIZE_STRING in the router, ...) turn every development page into an exception page, under any
  # server. The app's file, not system/.
  sed -i 's/^error_reporting(-1);/error_reporting(E_ALL \& ~E_DEPRECATED);/' "$target/app/Config/Boot/development.php"
  # Composer: no packagist (offline), burner/burner from this repository through a path repository.
  cat >"$target/composer.json" <<JSON
{
    "name": "burner-test/ci4-app",
    "type": "project",
    "description": "CodeIgniter $CI4_VERSION application used to test Burner",
    "require": {
        "php": ">=8.1"
    },
    "repositories": [
        { "type": "path", "url": "$REPO/php", "options": { "symlink": true } },
        { "packagist.org": false }
    ],
    "minimum-stability": "dev",
    "prefer-stable": true,
    "config": { "sort-packages": true }
}
JSON
  touch "$target/.ci4-extracted"
fi

# 2. composer require burner/burner (the user's step 1).
if [ "$with_burner" = 1 ] && [ ! -f "$target/vendor/burner/burner/composer.json" ]; then
  (cd "$target" && COMPOSER_DISABLE_NETWORK=1 composer require --no-interaction --no-progress --quiet "burner/burner:@dev")
fi

# 3. Test fixtures (always re-copied: cheap, and keeps the app in step with the repository's fixtures).
if [ "$with_fixtures" = 1 ]; then
  cp -R "$REPO/test/fixtures/ci4/." "$target/"
fi

echo "$target"
