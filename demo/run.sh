#!/usr/bin/env bash
# Burner demo: a CodeIgniter 4.7 app served by Burner, set up the way a user sets up their own app:
#   1. the app: `composer create-project codeigniter4/appstarter` where packagist is reachable; here it comes from
#      ../shared/ci4 (scripts/ci4-app.sh --version 4.7.2); CodeIgniter 4.1.3 from npm only as the last resort;
#   2. composer require burner/burner (from this repository, through a path repository that stands in for packagist);
#   3. php spark burner:init RoadRunner --server=<this repository's `npm pack`> (no npm registry needed);
#   4. php spark burner:start [your options].
#
#   demo/run.sh [burner:start options: --port 8080 --host 127.0.0.1 --workers 4 --watch --daemon ...]
#
# The app lives in demo/app-runtime/<version>/ (gitignored). Then open http://localhost:8080/ (the welcome page) or
# the test pages: /bt/hello, /bt/view?title=Hi, /bt/download, ... Stop a --daemon server with
# (cd demo/app-runtime/<version> && php spark burner:stop).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
version="$(node -p 'require("./package.json").version')"
say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }

# 1. The CodeIgniter app.
ci=4.7.2
app="$repo/demo/app-runtime/$ci"
created=""
if [ -f "$app/.ci4-extracted" ] || [ -f "$app/.demo-appstarter" ]; then
  : # made by an earlier run
elif [ -f "${BURNER_CI4_DIR:-$repo/../shared/ci4}/codeigniter4-framework-$ci.tar.gz" ]; then
  say "CodeIgniter $ci from ../shared/ci4 (where packagist is reachable: composer create-project codeigniter4/appstarter)"
  bash scripts/ci4-app.sh "$app" --version "$ci" --no-burner --fixtures >/dev/null
  created=offline
elif command -v composer >/dev/null && curl -fsS -m 5 -o /dev/null https://repo.packagist.org/packages.json 2>/dev/null; then
  ci=appstarter
  app="$repo/demo/app-runtime/$ci"
  if [ ! -f "$app/.demo-appstarter" ]; then
    say "composer create-project codeigniter4/appstarter"
    rm -rf "$app"
    composer create-project --no-interaction --no-progress codeigniter4/appstarter "$app"
    cp -R test/fixtures/ci4/. "$app/"
    touch "$app/.demo-appstarter"
  fi
else
  ci=4.1.3
  app="$repo/demo/app-runtime/$ci"
  say "LAST RESORT: neither ${BURNER_CI4_DIR:-../shared/ci4}/codeigniter4-framework-4.7.2.tar.gz nor packagist is available:"
  say "using CodeIgniter 4.1.3 from the npm package codeigniter4 (an old release; the bridge supports 4.1-4.7)"
  bash scripts/ci4-app.sh "$app" --version 4.1.3 --no-burner --fixtures >/dev/null
  created=offline
fi
cd "$app"

# 2. composer require burner/burner. burner/burner is not on packagist yet: a path repository mirroring this
#    repository (what packagist's zip would hold: .gitattributes export-ignore applies) stands in for it.
if [ ! -f vendor/burner/burner/composer.json ]; then
  repo_json="{\"type\": \"path\", \"url\": \"$repo\", \"options\": {\"symlink\": false, \"versions\": {\"burner/burner\": \"$version\"}}}"
  if [ -n "$created" ]; then
    # apps made by scripts/ci4-app.sh have no packagist: replace their development path repository
    node -e '
      const fs = require("fs"); const c = JSON.parse(fs.readFileSync("composer.json", "utf8"));
      c.repositories = [JSON.parse(process.argv[1]), { "packagist.org": false }];
      fs.writeFileSync("composer.json", JSON.stringify(c, null, 4) + "\n");' "$repo_json"
    export COMPOSER_DISABLE_NETWORK=1
  else
    composer config repositories.burner "$repo_json"
  fi
  say "composer require burner/burner"
  composer require --no-interaction --no-progress burner/burner
fi

# 3. php spark burner:init RoadRunner --server=<npm pack of this repository>. scripts/demo.sh's setup.sh has just
#    built dist/, so the pack skips the build (a release's `npm pack` builds it in prepack).
if [ ! -x vendor/bin/rr ] || [ ! -f .rr.yaml ] || ! vendor/bin/rr --version 2>/dev/null | grep -q "burner $version"; then
  pack_dir="$(mktemp -d)"
  trap 'rm -rf "$pack_dir"' EXIT
  say "npm pack (the server package, burner-server-$version.tgz)"
  (cd "$repo" && npm pack --ignore-scripts --silent --pack-destination "$pack_dir" >/dev/null)
  say "php spark burner:init RoadRunner --server=burner-server-$version.tgz"
  php spark burner:init RoadRunner --server="$pack_dir/burner-server-$version.tgz"
  rm -rf "$pack_dir"
  trap - EXIT
fi

# 4. php spark burner:start
say "php spark burner:start $* (CodeIgniter $ci in $app)"
exec php spark burner:start "$@"
