#!/usr/bin/env bash
# Installs what is missing, then serves the demo CodeIgniter 4 app on http://localhost:8080 (see demo/README.md):
# composer require burner/burner, php spark burner:init RoadRunner, php spark burner:start — as a user would.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec bash demo/run.sh "$@"
