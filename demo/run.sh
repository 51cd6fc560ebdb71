#!/usr/bin/env bash
# Burner demo: a CodeIgniter 4 app (created from the npm package codeigniter4@4.1.3 under demo/app-runtime/, which
# is gitignored) served by Burner, set up exactly as a user would: composer require burner/burner (offline, from
# this repository), php spark burner:init RoadRunner, php spark burner:start.
#
#   demo/run.sh [--port 8080] [--daemon]
#
# Then open http://localhost:<port>/ (the welcome page) or the test pages, e.g. /bt/hello, /bt/view?title=Hi,
# /bt/download. Stop a --daemon server with: (cd demo/app-runtime && php spark burner:stop)
set -euo pipefail
cd "$(dirname "$0")/.."
app="demo/app-runtime"
bash scripts/ci4-app.sh "$app" --fixtures >/dev/null
cd "$app"
if [ ! -f .rr.yaml ] || [ ! -x vendor/bin/rr ]; then
  php spark burner:init RoadRunner
fi
exec php spark burner:start "$@"
