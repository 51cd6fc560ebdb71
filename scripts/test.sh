#!/usr/bin/env bash
# Installs what is missing, then runs the whole test suite: lint (ESLint, php -l, PHP_CodeSniffer), TypeScript tests
# (node:test) and PHP tests (phpunit).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

status=0
echo "== lint"
npm run --silent lint || status=1
echo "== node tests"
node --test --test-concurrency=2 --test-timeout=300000 dist/test/ || status=1
echo "== php tests"
phpunit -c php/phpunit.xml || status=1
exit $status
