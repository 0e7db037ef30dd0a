#!/usr/bin/env bash
set -euo pipefail
# Lighthouse (best practices and accessibility, desktop preset) on sign-in, API Keys, Team Members
# and Authorized Apps, signed in as a demo Owner (the session cookie goes in --extra-headers).
# Needs Chromium and Node (npx fetches lighthouse@12.2.3). Usage: bench/lighthouse.sh
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=target/release/mailrith
DIR=$(mktemp -d); DB="sqlite://$DIR/lh.db"; PORT=18610
PASSWORD=$($BIN --database-url "$DB" demo 2>/dev/null | sed -n 's/^Password for every demo account: //p')
RUST_LOG=warn $BIN --database-url "$DB" serve --bind "127.0.0.1:$PORT" --workers 2 >"$DIR/out" 2>"$DIR/err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
JAR="$DIR/jar"; BASE="http://127.0.0.1:$PORT"
csrf() { sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1; }
TOKEN=$(curl -s -c "$JAR" -b "$JAR" "$BASE/login" | csrf)
curl -s -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "email=olivia.owner@demo.mailrith.test" --data-urlencode "password=$PASSWORD" --data-urlencode "csrf_token=$TOKEN" -H "Origin: $BASE" "$BASE/login"
COOKIE=$(awk '!/^#/ && NF>=7 {printf "%s=%s; ", $6, $7} /^#HttpOnly_/ {split($0,a,"\t"); printf "%s=%s; ", a[6], a[7]}' "$JAR")
echo "cookie names: $(echo "$COOKIE" | grep -o '[A-Za-z_-]*=' | tr -d '=' | tr '\n' ' ')"
for page in /login /settings/api-keys /settings/team-members /settings/authorized-apps; do
  name=$(echo "$page" | tr '/' '_')
  hdr=$([ "$page" = /login ] && echo '{}' || printf '{"Cookie":"%s"}' "$COOKIE")
  CHROME_PATH=$(which chromium) npx -y lighthouse@12.2.3 "$BASE$page" --preset=desktop \
    --only-categories=best-practices,accessibility --extra-headers="$hdr" \
    --chrome-flags="--headless --no-sandbox --disable-gpu --user-data-dir=$DIR/chrome$name" \
    --output=json --output-path="$DIR/lh$name.json" --quiet || echo "lighthouse failed for $page"
  python3 - "$page" "$DIR/lh$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
cats = r["categories"]
print(f'{sys.argv[1]:22} final URL {r["finalDisplayedUrl"]}: best practices {cats["best-practices"]["score"]*100:.0f}, accessibility {cats["accessibility"]["score"]*100:.0f}')
for k, a in r["audits"].items():
    if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") in ("binary", "numeric"):
        print("   failing:", k, a.get("title"))
PY
done
