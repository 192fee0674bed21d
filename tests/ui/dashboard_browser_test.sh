#!/usr/bin/env bash
# The dashboard in a real headless Chromium against a running engine: `gauntlet run --feed
# replay --port 0` replays ten days of real Binance bars (three pairs) at two market hours a wall
# second, and web/tests/dashboard.test.mjs (playwright-core driving Debian's chromium) logs in,
# checks both charts, sorts and collapses tables, waits for a WebSocket update, kills spot through
# the confirmation dialog and checks that actions without the token are refused. The screenshot
# is left in the test's build directory.
#
#   dashboard_browser_test.sh GAUNTLET_BINARY SOURCE_DIR WEB_ROOT OUTPUT_DIR
#
# Exit 77 (skipped) without the shared data, unless GAUNTLET_REQUIRE_SHARED_DATA=1.
set -euo pipefail

binary=$1
source_dir=$2
web_root=$3
out=$4

data=${GAUNTLET_SHARED_DATA:-$source_dir/../shared/data}
spot=$data/crypto/binance_spot
if [ ! -d "$spot" ]; then
  echo "dashboard browser test: no shared data at $spot"
  if [ "${GAUNTLET_REQUIRE_SHARED_DATA:-0}" = 1 ]; then exit 1; fi
  exit 77
fi
if [ ! -f "$web_root/index.html" ]; then
  echo "dashboard browser test: the dashboard is not built in $web_root (cmake target web)"
  exit 1
fi

work=$(mktemp -d)
gauntlet_pid=""
cleanup() {
  if [ -n "$gauntlet_pid" ] && kill -0 "$gauntlet_pid" 2>/dev/null; then
    kill -TERM "$gauntlet_pid" 2>/dev/null || true
    wait "$gauntlet_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/files" "$out"
for pair in BTC ETH XRP; do ln -s "$spot/${pair}_USDT-1m.json.gz" "$work/files/"; done
"$binary" data import --data-root "$work/store" "$work/files"/* >"$work/import.log"

"$binary" run --config "$source_dir/config/paper.yaml" --search-space \
  "$source_dir/config/ml_search.json" --feed replay --data-root "$work/store" --state "$work/state" \
  --from 2021-04-21 --to 2021-05-01 --replay-speed 7200 --port 0 --web-root "$web_root" \
  --status-interval 1h >"$work/run.log" 2>&1 &
gauntlet_pid=$!

# The login URL carries the token: http://127.0.0.1:PORT/login?token=T
login=""
for _ in $(seq 1 300); do
  login=$(grep -o 'http://127\.0\.0\.1:[0-9]*/login?token=[0-9a-f]*' "$work/run.log" | head -1 || true)
  [ -n "$login" ] && break
  if ! kill -0 "$gauntlet_pid" 2>/dev/null; then cat "$work/run.log"; exit 1; fi
  sleep 0.2
done
if [ -z "$login" ]; then
  echo "gauntlet run printed no login URL"; cat "$work/run.log"; exit 1
fi
url=${login%%/login*}
token=${login##*token=}

# Wait for a History table worth sorting: at least 3 closed trades.
for _ in $(seq 1 600); do
  trades=$(curl -sf -H "Authorization: Bearer $token" "$url/status" |
    sed -n 's/.*"closed_trades":\([0-9]*\).*/\1/p' | head -1 || true)
  [ "${trades:-0}" -ge 3 ] && break
  sleep 0.2
done
echo "dashboard browser test: $url with ${trades:-0} closed trades"

node "$source_dir/web/tests/dashboard.test.mjs" --url "$url" --token "$token" \
  --screenshot "$out/dashboard.png" --chromium "${CHROMIUM:-/usr/bin/chromium}"
