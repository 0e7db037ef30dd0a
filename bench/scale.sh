#!/usr/bin/env bash
# A million keys, measured: seeds N keys (default 1,000,000) across 50 workspaces and 200 owners
# with realistic names and states, serves them with the release build, and prints p50/p95 server
# time (the Server-Timing header) for the API Keys list, each sort, each filter, searches by name,
# owner email, workspace, purpose and no match, a deep page by cursor, and 8 concurrent viewers,
# for the owner of the biggest workspace and for the admin of all 50; RSS before and after; RSS
# after 100,000 distinct keys each called the API; and wrk figures for /api/v1/contacts?limit=10
# and /api/v1/key against /api/v1/ping in the same run; the whole inventory exported as CSV with
# the server's RSS sampled as it streams.
#
# Usage: [PARTS=console,export,api,revocation] [ONLY=word,...] [VIEWERS=owner|admin] [BIN=build]
#        bench/scale.sh [sqlite|postgres] [N]
# PARTS picks what runs (all by default); ONLY keeps the console scenarios whose label holds one of
# the words (and skips the deep page unless "deep" is one); VIEWERS measures one viewer.
# The seeded database is kept (in $SCALE_DIR, default /tmp/mailrith-scale, or the PostgreSQL
# database mailrith_scale_N) and reused by the next run; RESEED=1 seeds it again.
# PostgreSQL: TEST_DATABASE_URL names a role that may create databases (as for the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${1:-sqlite}
N=${2:-1000000}
PORT=${PORT:-18556}
SCALE_DIR=${SCALE_DIR:-/tmp/mailrith-scale}
PASSWORD="scale benchmark passphrase 2026"
STATE="$SCALE_DIR/$BACKEND-$N"
mkdir -p "$STATE"

command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/mailrith
fi
PARTS=${PARTS:-console,export,api,revocation}
part() { [[ ",$PARTS," == *",$1,"* ]]; }

case "$BACKEND" in
  sqlite) DB="sqlite://$STATE/keys.db" ;;
  postgres)
    ADMIN_URL=${TEST_DATABASE_URL:-postgres://mailrith_ci:mailrith_ci@127.0.0.1:5432/postgres}
    # PG_DB names another copy of the seeded database (e.g. one without a later migration, to
    # measure the build before it side by side).
    NAME=${PG_DB:-mailrith_scale_$N}
    DB="${ADMIN_URL%/*}/$NAME"
    if [ "${RESEED:-0}" = 1 ] || [ ! -f "$STATE/state.json" ]; then
      psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $NAME" && psql "$ADMIN_URL" -qc "CREATE DATABASE $NAME"
    fi ;;
  *) echo "usage: bench/scale.sh [sqlite|postgres] [N]" >&2; exit 2 ;;
esac

if [ "${RESEED:-0}" = 1 ] || [ ! -f "$STATE/state.json" ]; then
  [ "$BACKEND" = sqlite ] && rm -f "$STATE"/keys.db*
  $BIN --database-url "$DB" migrate >/dev/null
  echo "$PASSWORD" | $BIN --database-url "$DB" admin create --email ada.admin@example.com \
    --name "Ada Admin" --workspace "Northwind Traders" >/dev/null
  echo "$PASSWORD" | $BIN --database-url "$DB" admin create --email olivia.owner@example.com \
    --name "Olivia Owner" --workspace "Northwind Traders" >/dev/null
  echo "seeding $N keys on $BACKEND (kept in $STATE for the next run)"
  python3 bench/scale.py seed --db "$DB" --n "$N" --state "$STATE"
fi

RUST_LOG=warn $BIN --database-url "$DB" serve --bind "127.0.0.1:$PORT" --workers 2 \
  --insecure-cookies >"$STATE/out" 2>"$STATE/err" &
SERVER=$!
# What the server wrote to stderr (warnings, errors, a panic) is printed at the end: the file is
# overwritten by the next run.
server_log() { [ -s "$STATE/err" ] && { echo "server stderr ($STATE/err), last lines:"; tail -n 20 "$STATE/err"; }; true; }
trap 'kill $SERVER 2>/dev/null || true; server_log' EXIT
BASE="http://127.0.0.1:$PORT"
# (The first start after an update may build indexes on every key: it may take minutes.)
for _ in $(seq 1 3000); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done

echo "== $BACKEND, $(printf "%'d" "$N") keys, release build, 2 workers"
part console && python3 bench/scale.py measure --base "$BASE" --state "$STATE" --pid "$SERVER" --password "$PASSWORD"

# --- The whole inventory as CSV, streamed ---------------------------------------------------------
part export && python3 bench/scale.py export --base "$BASE" --password "$PASSWORD" --pid "$SERVER"

# --- The API: 100,000 distinct keys, then contacts and key against ping ------------------------
if part api; then
python3 bench/scale.py api-walk --base "$BASE" --state "$STATE" --pid "$SERVER"

KEY=$(head -n 1 "$STATE/secrets.txt")
rps() { wrk -t2 -c32 -d"${API_SECONDS:-5}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
declare -A total=([ping]=0 [key]=0 [contacts]=0)
ROUNDS=${ROUNDS:-3}
for round in $(seq 1 "$ROUNDS"); do
  p=$(rps "$BASE/api/v1/ping")
  k=$(rps -H "Authorization: Bearer $KEY" "$BASE/api/v1/key")
  c=$(rps -H "Authorization: Bearer $KEY" "$BASE/api/v1/contacts?limit=10")
  printf 'round %d: ping %8.0f req/s   key %8.0f req/s   contacts %8.0f req/s\n' "$round" "$p" "$k" "$c"
  total[ping]=$(echo "${total[ping]} + $p" | bc -l)
  total[key]=$(echo "${total[key]} + $k" | bc -l)
  total[contacts]=$(echo "${total[contacts]} + $c" | bc -l)
done
printf 'mean: /api/v1/key %.0f%% of ping (target >= 90%%), /api/v1/contacts?limit=10 %.0f%% of ping (target >= 30%%)\n' \
  "$(echo "100 * ${total[key]} / ${total[ping]}" | bc -l)" "$(echo "100 * ${total[contacts]} / ${total[ping]}" | bc -l)"
echo "RSS at the end: $(python3 bench/scale.py rss --pid "$SERVER") MB"
fi
part revocation || exit 0

# --- Revocation seen by a second process -----------------------------------------------------
# PostgreSQL: the second process polls its feed once a minute, so only NOTIFY can tell it in time.
# SQLite: the 200 ms poll.
POLL=$([ "$BACKEND" = postgres ] && echo 60000 || echo 200)
RUST_LOG=warn $BIN --database-url "$DB" serve --bind "127.0.0.1:$((PORT + 1))" --workers 1 \
  --insecure-cookies --key-feed-poll-ms "$POLL" --trusted-proxy 127.0.0.1 >/dev/null 2>&1 &
OTHER=$!
trap 'kill $SERVER $OTHER 2>/dev/null || true; server_log' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((PORT + 1))/healthz" >/dev/null && break; sleep 0.1; done
python3 bench/scale.py revocation --base "$BASE" --other "http://127.0.0.1:$((PORT + 1))" \
  --password "$PASSWORD" --poll-ms "$POLL"
