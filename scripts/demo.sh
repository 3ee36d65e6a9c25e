#!/usr/bin/env bash
# Sets everything up, then runs Dusty on the bundled demo and shows it answering.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DUSTY_HOME="${DUSTY_HOME:-$PWD/.dusty-demo}"
dusty() { node bin/dusty.js "$@"; }
dusty config set specs_repo "$PWD/examples/specs" >/dev/null
dusty config set nginx_image dusty-nginx:local >/dev/null
dusty repos from examples/repos >/dev/null
dusty bundles activate web echo >/dev/null
dusty validate
dusty up
echo
echo "[demo] asking the demo through its host names:"
curl -fsS --resolve web.demo.test:80:127.0.0.1 http://web.demo.test/cgi-bin/hello
(printf 'ping\n'; sleep 1) | timeout 3 busybox nc 127.0.0.1 7777 | sed 's/^/echo.demo.test:7777 answered: /'
echo
dusty status
echo "[demo] state is in $DUSTY_HOME; try: DUSTY_HOME=$DUSTY_HOME npm run --silent dusty -- logs web"
