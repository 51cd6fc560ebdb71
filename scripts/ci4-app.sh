#!/usr/bin/env bash
# Creates a CodeIgniter 4 application in <target-dir>.
#
#   scripts/ci4-app.sh <target-dir> [--version <4.1.3|4.4.8|4.6.5|4.7.2>] [--no-burner] [--fixtures]
#
#   --version V  the CodeIgniter release (default 4.1.3). 4.1.3 comes from the npm package `codeigniter4`; the others
#                from ../shared/ci4/codeigniter4-framework-<V>.tar.gz (relative to the repository root; override the
#                folder with $BURNER_CI4_DIR). Every other version is refused (exit 2).
#   --no-burner  stop after the plain CI4 app (composer.json with the path repository, but no `composer require`):
#                the "user's path" test runs `composer require burner/burner` itself.
#   --fixtures   copy test/fixtures/ci4/ (test controllers, views, routes) over the app.
#
# Exit codes: 0 done (the app's path on stdout), 2 usage error, 3 the version's tarball is absent (the message on
# stderr starts with "ci4-app: tarball absent:"; tests skip that version and say so), other: a step failed.
# Idempotent: a finished app is left alone (marker files record what was done), so repeated calls are fast; an app
# of another version in <target-dir> is an error (exit 2).
# The downloaded CI4 code is never committed: the npm tarball is cached under tmp/ (gitignored) or $BURNER_CACHE_DIR.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
CI4_VERSION="4.1.3"
SHARED_CI4="${BURNER_CI4_DIR:-$REPO/../shared/ci4}"

target=""
with_burner=1
with_fixtures=0
while [ $# -gt 0 ]; do
  case "$1" in
    --no-burner) with_burner=0 ;;
    --fixtures) with_fixtures=1 ;;
    --version)
      [ $# -ge 2 ] || { echo "ci4-app: --version needs a value" >&2; exit 2; }
      CI4_VERSION="$2"
      shift
      ;;
    --version=*) CI4_VERSION="${1#--version=}" ;;
    -*) echo "ci4-app: unknown option $1" >&2; exit 2 ;;
    *) target="$1" ;;
  esac
  shift
done
if [ -z "$target" ]; then
  echo "usage: scripts/ci4-app.sh <target-dir> [--version <4.1.3|4.4.8|4.6.5|4.7.2>] [--no-burner] [--fixtures]" >&2
  exit 2
fi
case "$CI4_VERSION" in
  4.1.3 | 4.4.8 | 4.6.5 | 4.7.2) ;;
  *) echo "ci4-app: unsupported version '$CI4_VERSION' (4.1.3, 4.4.8, 4.6.5, 4.7.2)" >&2; exit 2 ;;
esac
framework_tarball="$SHARED_CI4/codeigniter4-framework-$CI4_VERSION.tar.gz"
if [ "$CI4_VERSION" != 4.1.3 ] && [ ! -f "$framework_tarball" ]; then
  echo "ci4-app: tarball absent: $framework_tarball (CodeIgniter $CI4_VERSION cannot be set up)" >&2
  exit 3
fi

mkdir -p "$target"
target="$(cd "$target" && pwd)"

if [ -f "$target/.ci4-extracted" ]; then
  have="$(cat "$target/.ci4-extracted")"
  have="${have:-4.1.3}" # apps made before --version existed left the marker empty
  if [ "$have" != "$CI4_VERSION" ]; then
    echo "ci4-app: $target already holds a CodeIgniter $have app, not $CI4_VERSION" >&2
    exit 2
  fi
fi

# 1. The CI4 application skeleton.
if [ ! -f "$target/.ci4-extracted" ]; then
  if [ "$CI4_VERSION" = 4.1.3 ]; then
    cache_dir="${BURNER_CACHE_DIR:-$REPO/tmp/cache}"
    tarball="$cache_dir/codeigniter4-$CI4_VERSION.tgz"
    if [ ! -f "$tarball" ]; then
      mkdir -p "$cache_dir"
      work="$(mktemp -d)"
      (cd "$work" && npm pack "codeigniter4@$CI4_VERSION" --silent >/dev/null)
      mv "$work/codeigniter4-$CI4_VERSION.tgz" "$tarball"
      rm -rf "$work"
    fi
    tar -xzf "$tarball" -C "$target" --strip-components=1
    # The npm package is a repack of codeigniter4/framework; its package.json describes the framework.
    rm -f "$target/package.json"
    # CI 4.1.3's spark turns every PHP 8.2 deprecation into a fatal ErrorException: the app patches its own spark
    # (never system/) to leave deprecations out of error_reporting.
    sed -i 's/^error_reporting(-1);/error_reporting(E_ALL \& ~E_DEPRECATED);/' "$target/spark"
    # Same for the app's development boot file: with error_reporting(-1), CI 4.1.3's own PHP 8.2 deprecations
    # (FILTER_SANITIZE_STRING in the router, ...) turn every development page into an exception page, under any
    # server. The app's file, not system/.
    sed -i 's/^error_reporting(-1);/error_reporting(E_ALL \& ~E_DEPRECATED);/' "$target/app/Config/Boot/development.php"
  else
    # The codeigniter4/framework project: app/, public/, system/ (with ThirdParty), spark, writable/.
    tar -xzf "$framework_tarball" -C "$target" --strip-components=1
    rm -rf "$target/tests" "$target/phpunit.xml.dist" "$target/preload.php"
  fi
  # The framework's composer.json describes the framework, not an app: the app gets its own, minimal one.
  rm -f "$target/composer.json"
  mkdir -p "$target/writable/cache" "$target/writable/logs" "$target/writable/session" "$target/writable/uploads" \
    "$target/writable/debugbar"
  chmod +x "$target/spark"
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
  echo "$CI4_VERSION" >"$target/.ci4-extracted"
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
