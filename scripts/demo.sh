#!/usr/bin/env bash
# Installs what is missing, then serves the demo CodeIgniter 4.7 app on http://localhost:8080 (see demo/README.md),
# set up as a user would: composer require burner/burner, php spark burner:init RoadRunner --server=<npm pack>,
# php spark burner:start. Arguments go to burner:start (--port 8081, --daemon, --watch, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec bash demo/run.sh "$@"
