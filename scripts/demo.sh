#!/usr/bin/env bash
# Installs what is missing, creates the demo CodeIgniter 4 app (tmp/demo, from the npm package `codeigniter4` plus
# burner/burner through a composer path repository), and serves it with Burner on http://localhost:8080.
# This is exactly the path a CodeIgniter user takes: composer require, spark burner:init, spark burner:start.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

app="${BURNER_DEMO_DIR:-$PWD/tmp/demo}"
bash scripts/ci4-app.sh "$app"
cd "$app"
if [ ! -f .rr.yaml ]; then
  php spark burner:init RoadRunner
fi
echo "demo: serving $app on http://localhost:8080 (Ctrl-C to stop)"
exec php spark burner:start "$@"
