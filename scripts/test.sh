#!/usr/bin/env bash
# Every check and test, after the same set-up the demo uses.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo '[test] lint and format'
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --list-different .; exit 1; }
echo '[test] types'
npx tsc -p src-renderer/tsconfig.json
npx tsc -p tsconfig.test.json
echo '[test] unit and end-to-end'
npx vitest run
