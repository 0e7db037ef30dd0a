#!/usr/bin/env bash
# Load test of the API on loopback, in one run against one server (SQLite, release build):
#   GET /api/v1/ping            no key, no database
#   GET /api/v1/key             a valid key (parse + hash + cache + last-used tracking)
#   GET /api/v1/key             a key with an IP allowlist and a rate limit (100,000 a minute, the
#                               most allowed: past its bucket most answers are 429, which is the
#                               same checks plus a refusal; the run counts them)
#   GET /api/v1/contacts?limit=10   a valid key and a database query
# Each is measured ROUNDS times, interleaved, so that noise on this shared machine hits all three.
# Usage: [BIN=build] [ROUNDS=3] bench/load.sh [seconds per run, default 10] [connections, default 32]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
CONNECTIONS=${2:-32}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18555}

if ! command -v wrk >/dev/null; then
  echo "installing wrk"; apt-get install -y -qq wrk >/dev/null
fi
# BIN=path/to/mailrith measures that build instead (to compare two versions side by side).
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/mailrith
fi
DIR=$(mktemp -d)
DB="sqlite://$DIR/bench.db"
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DIR"' EXIT

PASSWORD=$($BIN --database-url "$DB" demo 2>/dev/null | sed -n 's/^Password for every demo account: //p')
RUST_LOG=warn $BIN --database-url "$DB" serve --bind "127.0.0.1:$PORT" --workers 2 >"$DIR/out" 2>"$DIR/err" &
SERVER=$!
for _ in $(seq 1 50); do curl -sf "http://localhost:$PORT/healthz" >/dev/null && break; sleep 0.1; done

# Sign in and generate a Read Only key through the console, as a person would.
JAR="$DIR/jar"; BASE="http://localhost:$PORT"
csrf() { sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1; }
TOKEN=$(curl -s -c "$JAR" -b "$JAR" "$BASE/login" | csrf)
curl -s -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "email=olivia.owner@demo.mailrith.test" \
  --data-urlencode "password=$PASSWORD" --data-urlencode "csrf_token=$TOKEN" "$BASE/login"
FORM=$(curl -s -c "$JAR" -b "$JAR" "$BASE/settings/api-keys/new")
TOKEN=$(echo "$FORM" | csrf)
WS=$(echo "$FORM" | sed -n 's/.*<option value="\(ws_[^"]*\)".*/\1/p' | head -n 1)
KEY=$(curl -s -c "$JAR" -b "$JAR" --data-urlencode "workspace=$WS" --data-urlencode "name=Load test $$" \
  --data-urlencode "access_level=read_only" --data-urlencode "expiration=30" --data-urlencode "csrf_token=$TOKEN" \
  "$BASE/settings/api-keys" | grep -o 'mlr_[A-Za-z0-9]\{36\}' | head -n 1)
[ -n "$KEY" ] || { echo "could not generate a key" >&2; exit 1; }
curl -sf -H "Authorization: Bearer $KEY" "$BASE/api/v1/key" >/dev/null
# The same, with restrictions: loopback only, 100,000 requests a minute.
FORM=$(curl -s -c "$JAR" -b "$JAR" "$BASE/settings/api-keys/new")
TOKEN=$(echo "$FORM" | csrf)
LIMITED=$(curl -s -c "$JAR" -b "$JAR" --data-urlencode "workspace=$WS" --data-urlencode "name=Restricted load test $$" \
  --data-urlencode "access_level=read_only" --data-urlencode "expiration=30" --data-urlencode "csrf_token=$TOKEN" \
  --data-urlencode "allowed_ips=127.0.0.1/32, ::1/128" --data-urlencode "rate_limit=100000" \
  "$BASE/settings/api-keys" | grep -o 'mlr_[A-Za-z0-9]\{36\}' | head -n 1)
[ -n "$LIMITED" ] || { echo "could not generate the restricted key" >&2; exit 1; }
curl -sf -H "Authorization: Bearer $LIMITED" "$BASE/api/v1/key" >/dev/null

# The server's CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
TICK=$(getconf CLK_TCK)
# Server CPU microseconds per request of the last run, by endpoint (a measure that the other
# processes on this shared machine disturb less than throughput).
declare -A cpu_us=([ping]=0 [key]=0 [contacts]=0 [limited]=0)
# wrk: requests per second, how many answers were not 2xx, server CPU µs per request.
measure() {
  local before after
  before=$(cpu_ticks)
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$@" >"$DIR/wrk"
  after=$(cpu_ticks)
  awk -v t="$((after - before))" -v hz="$TICK" '/Non-2xx/ {n=$5} /requests in/ {q=$1} /Requests\/sec/ {r=$2}
    END {printf "%s %d %.2f\n", r, n + 0, (q > 0 ? t / hz * 1e6 / q : 0)}' "$DIR/wrk"
}
declare -A total=([ping]=0 [key]=0 [contacts]=0 [limited]=0)
for round in $(seq 1 "$ROUNDS"); do
  read -r p _ pu < <(measure "$BASE/api/v1/ping")
  read -r k _ ku < <(measure -H "Authorization: Bearer $KEY" "$BASE/api/v1/key")
  read -r l refused lu < <(measure -H "Authorization: Bearer $LIMITED" "$BASE/api/v1/key")
  read -r c _ cu < <(measure -H "Authorization: Bearer $KEY" "$BASE/api/v1/contacts?limit=10")
  printf 'round %d: ping %8.0f req/s   key %8.0f req/s   restricted key %8.0f req/s (%s refused)   contacts %8.0f req/s\n' \
    "$round" "$p" "$k" "$l" "$refused" "$c"
  printf '         server CPU per request: ping %.1f µs   key %.1f µs   restricted %.1f µs   contacts %.1f µs\n' \
    "$pu" "$ku" "$lu" "$cu"
  cpu_us[ping]=$(echo "${cpu_us[ping]} + $pu" | bc -l)
  cpu_us[key]=$(echo "${cpu_us[key]} + $ku" | bc -l)
  cpu_us[limited]=$(echo "${cpu_us[limited]} + $lu" | bc -l)
  cpu_us[contacts]=$(echo "${cpu_us[contacts]} + $cu" | bc -l)
  total[limited]=$(echo "${total[limited]} + $l" | bc -l)
  total[ping]=$(echo "${total[ping]} + $p" | bc -l)
  total[key]=$(echo "${total[key]} + $k" | bc -l)
  total[contacts]=$(echo "${total[contacts]} + $c" | bc -l)
done
printf '\nmean over %d rounds of %ss, %d connections, SQLite, last-used tracking on:\n' "$ROUNDS" "$DURATION" "$CONNECTIONS"
printf '  /api/v1/ping      %8.0f req/s\n' "$(echo "${total[ping]} / $ROUNDS" | bc -l)"
printf '  /api/v1/key       %8.0f req/s   (%.0f%% of ping; target >= 90%%)\n' "$(echo "${total[key]} / $ROUNDS" | bc -l)" "$(echo "100 * ${total[key]} / ${total[ping]}" | bc -l)"
printf '  /api/v1/key, allowlist + rate limit %8.0f req/s   (%.0f%% of ping; target >= 85%%)\n' "$(echo "${total[limited]} / $ROUNDS" | bc -l)" "$(echo "100 * ${total[limited]} / ${total[ping]}" | bc -l)"
printf '  /api/v1/contacts  %8.0f req/s   (%.0f%% of ping; target >= 30%%)\n' "$(echo "${total[contacts]} / $ROUNDS" | bc -l)" "$(echo "100 * ${total[contacts]} / ${total[ping]}" | bc -l)"
printf '\nserver CPU per request (mean): ping %.1f µs, key %.1f µs, restricted key %.1f µs, contacts %.1f µs\n' \
  "$(echo "${cpu_us[ping]} / $ROUNDS" | bc -l)" "$(echo "${cpu_us[key]} / $ROUNDS" | bc -l)" \
  "$(echo "${cpu_us[limited]} / $ROUNDS" | bc -l)" "$(echo "${cpu_us[contacts]} / $ROUNDS" | bc -l)"
