#!/usr/bin/env python3
"""Seeds a Mailrith database with N API keys and measures the console and the API against a
running server. Driven by bench/scale.sh; standard library only (SQLite through `sqlite3`,
PostgreSQL through `psql` and COPY).

  scale.py seed    --db URL --n N --state DIR
  scale.py measure --base URL --state DIR --pid PID [--requests 30]
"""

import argparse
import csv
import hashlib
import http.client
import io
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib
from datetime import datetime, timedelta

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
WORKSPACES = [
    "Northwind Traders", "Acme Marketing", "Globex Newsletter", "Initech Events", "Umbrella Health",
    "Stark Retail", "Wayne Foundation", "Wonka Sweets", "Hooli Cloud", "Pied Piper",
    "Soylent Foods", "Cyberdyne Labs", "Tyrell Corp", "Vandelay Imports", "Massive Dynamic",
    "Oscorp Digital", "Gringotts Finance", "Monarch Travel", "Blue Sun", "Virtucon",
    "Dunder Mifflin", "Sterling Cooper", "Prestige Worldwide", "Bluth Company", "Los Pollos",
    "Krusty Krab", "Planet Express", "Aperture Science", "Black Mesa", "Nakatomi Trading",
    "Oceanic Airlines", "Paper Street", "Duff Beverages", "Gekko Partners", "Stratton Oakmont",
    "Pawnee Parks", "Lacuna Inc", "Weyland Yutani", "InGen Bio", "Rekall Memories",
    "Omni Consumer", "Spacely Sprockets", "Cogswell Cogs", "Ollivanders", "Zorg Industries",
    "Yoyodyne", "Sirius Cybernetics", "Frobozz Magic", "Bubba Gump", "Kramerica",
]
FIRST = ["Maria", "James", "Wei", "Aisha", "Lucas", "Priya", "Noah", "Sofia", "Kenji", "Amara",
         "Liam", "Elena", "Omar", "Chloe", "Mateo", "Zara", "Ivan", "Hana", "Diego", "Fatima"]
LAST = ["Garcia", "Smith", "Chen", "Okafor", "Muller", "Patel", "Kim", "Rossi", "Tanaka", "Silva"]
INTEGRATIONS = ["Zapier", "HubSpot", "Salesforce", "Segment", "Shopify", "WordPress", "Typeform",
                "Stripe", "Intercom", "Airtable", "Webflow", "Pipedrive", "Zendesk", "Mixpanel",
                "Snowflake", "BigQuery", "Make", "n8n", "Retool", "Notion", "Slack", "Calendly",
                "Eventbrite", "Unbounce", "Gravity Forms", "Magento", "WooCommerce", "Chargebee",
                "Recurly", "Braze", "Amplitude", "Looker", "Tableau", "dbt", "Fivetran", "Airbyte",
                "Census", "Hightouch", "Clearbit", "Apollo"]
FUNCTIONS = ["sign-up form", "CRM sync", "import script", "webhook", "nightly export",
             "lead capture", "reporting", "checkout hook", "backfill", "newsletter sync",
             "event feed", "audience sync", "staging", "mobile app", "partner feed",
             "survey results", "billing sync", "QA", "data warehouse", "preference center"]
PURPOSES = ["", "", "", "Syncs new subscribers from the website form",
            "Nightly export to the data warehouse", "Used by the mobile app",
            "Owned by the growth team", "Imports contacts from the trade show",
            "Pushes unsubscribes back to the CRM", "Temporary, for the migration",
            "Feeds the weekly dashboard", "Partner integration, see the contract",
            "Checkout flow adds buyers", "Webinar registrations", "Staging environment only"]

NOW = datetime(2026, 12, 1, 12, 0, 0)


def stamp(t):
    return t.strftime("%Y-%m-%d %H:%M:%S")


def plain_key(rng):
    secret = "".join(rng.choice(BASE62) for _ in range(30))
    n = zlib.crc32(secret.encode())
    check = []
    for _ in range(6):
        check.append(BASE62[n % 62])
        n //= 62
    return "mlr_" + secret + "".join(reversed(check))


def public_id(prefix, rng):
    return prefix + "_" + "".join(rng.choice(BASE62) for _ in range(16))


# --- Seeding -------------------------------------------------------------------------------------

def plan(n, rng):
    """Workspaces, people, memberships and a generator of key rows."""
    biggest = round(n * 0.186169)
    weights = [1 / (i + 1) ** 0.8 for i in range(len(WORKSPACES) - 1)]
    rest = n - biggest
    sizes = [biggest] + [int(rest * w / sum(weights)) for w in weights]
    sizes[1] += n - sum(sizes)
    people = []
    for i in range(200):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        people.append({"name": f"{first} {last}", "email": f"{first}.{last}{i // 200 or ''}.{i}@example.com".lower()})
    # Home workspace by size; 10 people left (no membership), 3 are disabled.
    members = {w: [] for w in range(len(WORKSPACES))}
    for i, p in enumerate(people):
        p["disabled"] = i in (7, 77, 177)
        if i % 20 == 19:
            p["home"] = None
            continue
        home = rng.choices(range(len(WORKSPACES)), weights=sizes)[0]
        p["home"] = home
        members[home].append(i)
        for extra in rng.sample(range(len(WORKSPACES)), rng.choice([0, 0, 1, 2])):
            if i not in members[extra]:
                members[extra].append(i)
    gone = [i for i, p in enumerate(people) if p["home"] is None]
    for w in members:
        if not members[w]:
            members[w].append(rng.randrange(len(people)))
    return sizes, people, members, gone


def key_rows(sizes, members, gone, rng, secrets_out, with_secret):
    serial = 0
    for w, size in enumerate(sizes):
        for _ in range(size):
            serial += 1
            r = rng.random()
            if r < 0.005:
                owner = None
            elif r < 0.025:
                owner = rng.choice(gone)
            else:
                owner = rng.choice(members[w])
            name = f"{rng.choice(INTEGRATIONS)} {rng.choice(FUNCTIONS)} {serial}"
            purpose = rng.choice(PURPOSES)
            created = NOW - timedelta(seconds=rng.randrange(3 * 365 * 86400))
            last_used = None
            if rng.random() < 0.65:
                last_used = NOW - timedelta(seconds=rng.randrange(90 * 86400))
            expires = None
            if rng.random() < 0.35:
                expires = NOW + timedelta(days=rng.randrange(-60, 365))
            revoked = None
            if rng.random() < 0.12:
                revoked = created + timedelta(days=rng.randrange(1, 300))
                if revoked > NOW:
                    revoked = NOW - timedelta(hours=1)
            access = "read_write" if rng.random() < 0.3 else "read_only"
            # Successful requests this week: keys used in the last 7 days, a long tail.
            week = 0
            if last_used is not None and NOW - last_used < timedelta(days=7):
                week = int(rng.paretovariate(1.2) * 10)
            active = revoked is None and (expires is None or expires > NOW)
            if with_secret(serial) and active:
                secret = plain_key(rng)
                secrets_out.append(secret)
                key_hash = hashlib.sha256(secret.encode()).hexdigest()
            else:
                secret = None
                key_hash = hashlib.sha256(f"seed-{serial}".encode()).hexdigest()
            yield {
                "public_id": public_id("key", rng),
                "workspace": w,
                "name": name,
                "purpose": purpose,
                "access_level": access,
                "owner": owner,
                "created_at": stamp(created),
                "expires_at": stamp(expires) if expires else None,
                "last_used_at": stamp(last_used) if last_used else None,
                "revoked_at": stamp(revoked) if revoked else None,
                "key_hash": key_hash,
                "hint": "mlr_…" + (secret[-4:] if secret else key_hash[:4]),
                "requests_7d": week,
            }


def migration_sql(backend):
    """The migrations that index the keys for search (from 2026-12-01 on), as one script."""
    here = os.path.dirname(os.path.abspath(__file__))
    folder = os.path.join(here, "..", "migrations", backend)
    parts = []
    for d in sorted(os.listdir(folder)):
        if d >= "2026-12-01":
            with open(os.path.join(folder, d, "up.sql")) as f:
                parts.append(f.read())
    if not parts:
        raise SystemExit("the key_search migration is missing")
    return "\n".join(parts)


def seed(args):
    rng = random.Random(20261201)
    sizes, people, members, gone = plan(args.n, rng)
    secrets = []
    take_secret = lambda serial: len(secrets) < 100_000 and serial % 5 == 0
    os.makedirs(args.state, exist_ok=True)
    postgres = args.db.startswith("postgres")
    db = Db(args.db)
    # The two viewers made by `mailrith admin create`: their password hash is everyone's.
    admin = db.one("SELECT id, password_hash FROM users WHERE email = 'ada.admin@example.com'")
    owner = db.one("SELECT id FROM users WHERE email = 'olivia.owner@example.com'")
    big = db.one("SELECT id FROM workspaces WHERE name = %s" % q(WORKSPACES[0]))[0]
    ws_ids = [big]
    for name in WORKSPACES[1:]:
        db.exec(f"INSERT INTO workspaces (public_id, name, created_at) VALUES ({q(public_id('ws', rng))}, {q(name)}, {q(stamp(NOW))})")
        ws_ids.append(db.one(f"SELECT id FROM workspaces WHERE name = {q(name)}")[0])
    for w in ws_ids:
        db.exec(f"INSERT INTO memberships (user_id, workspace_id, role, created_at, api_keys_permission, apps_permission) "
                f"SELECT {admin[0]}, {w}, 'owner', {q(stamp(NOW))}, 'manage', 'manage' "
                f"WHERE NOT EXISTS (SELECT 1 FROM memberships WHERE user_id = {admin[0]} AND workspace_id = {w})")
    user_ids = []
    for p in people:
        disabled = "TRUE" if postgres and p["disabled"] else ("FALSE" if postgres else str(int(p["disabled"])))
        is_admin = "FALSE" if postgres else "0"
        db.exec(f"INSERT INTO users (public_id, email, name, password_hash, is_admin, disabled, created_at) VALUES "
                f"({q(public_id('usr', rng))}, {q(p['email'])}, {q(p['name'])}, {q(admin[1])}, {is_admin}, {disabled}, {q(stamp(NOW))})")
        user_ids.append(db.one(f"SELECT id FROM users WHERE email = {q(p['email'])}")[0])
    for w, ms in members.items():
        for i in ms:
            db.exec(f"INSERT INTO memberships (user_id, workspace_id, role, created_at, api_keys_permission, apps_permission) "
                    f"VALUES ({user_ids[i]}, {ws_ids[w]}, 'member', {q(stamp(NOW))}, 'manage', 'view')")
    # Contacts for the API benchmark, in the biggest workspace.
    for i in range(1000):
        db.exec(f"INSERT INTO contacts (public_id, workspace_id, email, name, status, created_at, updated_at) VALUES "
                f"({q(public_id('ct', rng))}, {big}, {q(f'contact{i}@example.org')}, {q(f'Contact {i}')}, 'subscribed', {q(stamp(NOW))}, {q(stamp(NOW))})")
    db.commit()

    rows = key_rows(sizes, members, gone, rng, secrets, take_secret)
    columns = ["public_id", "workspace_id", "name", "purpose", "access_level", "owner_id", "created_at",
               "expires_at", "last_used_at", "revoked_at", "key_hash", "hint", "requests_7d"]

    def tuples():
        for r in rows:
            yield (r["public_id"], ws_ids[r["workspace"]], r["name"], r["purpose"], r["access_level"],
                   user_ids[r["owner"]] if r["owner"] is not None else None, r["created_at"], r["expires_at"],
                   r["last_used_at"], r["revoked_at"], r["key_hash"], r["hint"], r["requests_7d"])

    started = time.time()
    db.bulk_keys(columns, tuples(), migration_sql("postgres" if postgres else "sqlite"))
    print(f"seeded {args.n:,} keys in {time.time() - started:.0f}s", file=sys.stderr)
    with open(os.path.join(args.state, "secrets.txt"), "w") as f:
        f.write("\n".join(secrets) + "\n")
    # Names the searches look for, taken from the data.
    probe = db.one(f"SELECT name FROM api_keys WHERE workspace_id = {big} ORDER BY id LIMIT 1 OFFSET 1234")[0]
    owner_email = db.one(f"SELECT u.email FROM users u JOIN memberships m ON m.user_id = u.id "
                         f"WHERE m.workspace_id = {big} AND u.email LIKE '%@example.com' AND u.disabled = {'FALSE' if postgres else '0'} "
                         f"AND u.is_admin = {'FALSE' if postgres else '0'} ORDER BY u.id LIMIT 1")[0]
    owner_public = db.one(f"SELECT public_id FROM users WHERE email = {q(owner_email)}")[0]
    state = {"n": args.n, "name": probe, "owner_email": owner_email.split("@")[0], "owner": owner_public,
             "workspace": WORKSPACES[0], "keys_in_biggest": sizes[0]}
    with open(os.path.join(args.state, "state.json"), "w") as f:
        json.dump(state, f)
    db.close()


def q(s):
    return "'" + str(s).replace("'", "''") + "'"


# key_owners, as its triggers would have kept it (they are off while the keys are loaded).
OWNERS_SQL = """DELETE FROM key_owners;
INSERT INTO key_owners (workspace_id, owner_id, keys, unrevoked)
    SELECT workspace_id, owner_id, count(*), SUM_UNREVOKED
    FROM api_keys WHERE owner_id IS NOT NULL GROUP BY workspace_id, owner_id;"""


class Db:
    def __init__(self, url):
        self.url = url
        self.postgres = url.startswith("postgres")
        if self.postgres:
            self.pending = []
        else:
            path = url[len("sqlite://"):] if url.startswith("sqlite://") else url
            self.conn = sqlite3.connect(path)
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = OFF")

    def psql(self, sql, stdin=None):
        out = subprocess.run(["psql", self.url, "-v", "ON_ERROR_STOP=1", "-qtA", "-F", "\t", "-c", sql],
                             input=stdin, capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(out.stderr)
        return out.stdout

    def exec(self, sql):
        if self.postgres:
            self.pending.append(sql)
        else:
            self.conn.execute(sql)

    def commit(self):
        if self.postgres:
            if self.pending:
                script = "BEGIN;\n" + ";\n".join(self.pending) + ";\nCOMMIT;\n"
                out = subprocess.run(["psql", self.url, "-v", "ON_ERROR_STOP=1", "-q"], input=script,
                                     capture_output=True, text=True)
                if out.returncode != 0:
                    raise SystemExit(out.stderr)
                self.pending = []
        else:
            self.conn.commit()

    def one(self, sql):
        if self.postgres:
            self.commit()
            line = self.psql(sql).strip().split("\n")[0]
            return [int(v) if v.isdigit() else v for v in line.split("\t")]
        return self.conn.execute(sql).fetchone()

    def bulk_keys(self, columns, tuples, up_sql):
        """Loads the keys with the search indexes dropped, then builds them as the migration does."""
        # The last definition of each index wins (a later migration may redefine one).
        latest = {}
        for m in re.finditer(r"CREATE INDEX (api_keys_\w+) ON api_keys[^;]*;", up_sql):
            latest[m.group(1)] = m.group(0)
        indexes = list(latest)
        creates = list(latest.values())
        if self.postgres:
            self.psql("; ".join(f"DROP INDEX IF EXISTS {i}" for i in indexes))
            buf = io.StringIO()
            w = csv.writer(buf)
            for t in tuples:
                w.writerow(["\\N" if v is None else v for v in t])
            self.psql("ALTER TABLE api_keys DISABLE TRIGGER key_owners_track")
            copy = f"\\copy api_keys ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
            out = subprocess.run(["psql", self.url, "-v", "ON_ERROR_STOP=1", "-q", "-c", copy],
                                 input=buf.getvalue(), capture_output=True, text=True)
            if out.returncode != 0:
                raise SystemExit(out.stderr)
            for c in creates:
                self.psql("SET maintenance_work_mem = '256MB'; " + c)
            self.psql("ALTER TABLE api_keys ENABLE TRIGGER key_owners_track")
            self.psql(OWNERS_SQL.replace("SUM_UNREVOKED", "count(*) FILTER (WHERE revoked_at IS NULL)"))
            self.psql("VACUUM ANALYZE")
        else:
            triggers = re.findall(r"CREATE TRIGGER .*?END;", up_sql, re.S)
            for name in re.findall(r"CREATE TRIGGER (\w+)", up_sql):
                self.conn.execute(f"DROP TRIGGER IF EXISTS {name}")
            for i in indexes:
                self.conn.execute(f"DROP INDEX IF EXISTS {i}")
            self.conn.executemany(
                f"INSERT INTO api_keys ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", tuples)
            self.conn.commit()
            for c in creates:
                self.conn.execute(c)
            self.conn.execute("INSERT INTO api_keys_search (api_keys_search) VALUES ('rebuild')")
            for t in triggers:
                self.conn.execute(t)
            self.conn.executescript(OWNERS_SQL.replace("SUM_UNREVOKED", "sum(revoked_at IS NULL)"))
            self.conn.commit()
            self.conn.execute("ANALYZE")
            self.conn.commit()

    def close(self):
        if self.postgres:
            self.commit()
        else:
            self.conn.close()


# --- Measuring ------------------------------------------------------------------------------------

class Browser:
    """A signed-in person: one keep-alive connection, the session cookie, server times."""

    def __init__(self, base, email, password):
        u = urllib.parse.urlparse(base)
        self.host, self.port = u.hostname, u.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.cookies = {}
        page = self.get("/login")[2]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        status, _, _ = self.post("/login", {"email": email, "password": password, "csrf_token": token})
        if status != 303:
            raise SystemExit(f"could not sign in as {email}: {status}")

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        # "#htmx": asked as htmx asks for the results alone (search as you type, sort, paging).
        if path.endswith("#htmx"):
            path = path[: -len("#htmx")]
            h.update({"HX-Request": "true", "HX-Target": "keys-results"})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read().decode("utf-8", "replace")
        wall = (time.perf_counter() - started) * 1000
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";")[0]
        timing = r.getheader("server-timing") or ""
        m = re.search(r"dur=([\d.]+)", timing)
        server = float(m.group(1)) if m else wall
        return r.status, server, data, wall

    def get(self, path):
        s, server, data, _ = self.request("GET", path)
        return s, server, data

    def post(self, path, fields):
        body = urllib.parse.urlencode(fields)
        s, server, data, _ = self.request("POST", path, body, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"http://{self.host}:{self.port}"})
        return s, server, data


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def next_link(page):
    m = re.search(r'rel="next" href="([^"]+)"', page)
    return m.group(1).replace("&#38;", "&").replace("&amp;", "&") if m else None


def scenarios(state, only=True, combos=True):
    enc = urllib.parse.quote
    s = [
        ("list (default)", "/settings/api-keys"),
        ("sort name", "/settings/api-keys?sort=name&dir=asc"),
        ("sort created (oldest)", "/settings/api-keys?sort=created&dir=asc"),
        ("sort last used", "/settings/api-keys?sort=last_used&dir=desc"),
        ("sort expires", "/settings/api-keys?sort=expires&dir=asc"),
        ("sort most used (7 days)", "/settings/api-keys?sort=used"),
        ("filter active", "/settings/api-keys?status=active"),
        ("filter expired", "/settings/api-keys?status=expired"),
        ("filter revoked", "/settings/api-keys?status=revoked"),
        ("filter expiring soon", "/settings/api-keys?status=expiring"),
        ("filter unused", "/settings/api-keys?status=unused"),
        ("filter read and write", "/settings/api-keys?access=read_write"),
        ("filter owner", f"/settings/api-keys?owner={state['owner']}"),
        ("filter owner removed", "/settings/api-keys?owner=removed"),
        ("search name (exact)", f"/settings/api-keys?q={enc(state['name'])}"),
        ("search name (common word)", "/settings/api-keys?q=zapier"),
        ("search owner email", f"/settings/api-keys?q={enc(state['owner_email'])}"),
        ("search workspace", f"/settings/api-keys?q={enc(state['workspace'])}"),
        ("search purpose", "/settings/api-keys?q=warehouse"),
        ("search no match", "/settings/api-keys?q=qqxxzz"),
        ("search 2 chars (prefix)", "/settings/api-keys?q=hu"),
        ("htmx results: search common word", "/settings/api-keys?q=zapier#htmx"),
        ("htmx results: sort name", "/settings/api-keys?sort=name&dir=asc#htmx"),
        ("Team Members page", "/settings/team-members"),
    ]
    # A filter with a sort that holds its keys last, or bounds them by a range (timed one at a
    # time; the 8 concurrent viewers keep the mix above, as in every earlier run).
    if combos:
        s += [
            ("expired by expiry (latest)", "/settings/api-keys?status=expired&sort=expires&dir=desc"),
            ("expiring soon by expiry", "/settings/api-keys?status=expiring&sort=expires&dir=asc"),
            ("expiring soon by last used", "/settings/api-keys?status=expiring&sort=last_used&dir=desc"),
            ("revoked by last used", "/settings/api-keys?status=revoked&sort=last_used&dir=desc"),
            ("expired by most used", "/settings/api-keys?status=expired&sort=used"),
            ("active by expiry", "/settings/api-keys?status=active&sort=expires&dir=asc"),
            ("unused by last used", "/settings/api-keys?status=unused&sort=last_used&dir=desc"),
            ("unused by most used", "/settings/api-keys?status=unused&sort=used"),
            ("read only by most used", "/settings/api-keys?access=read_only&sort=used"),
        ]
    # ONLY="expiring,common" keeps the scenarios whose label holds one of these words.
    words = [w for w in os.environ.get("ONLY", "").split(",") if w] if only else []
    return [x for x in s if not words or any(w in x[0] for w in words)]


def measure_viewer(base, email, password, state, requests):
    b = Browser(base, email, password)
    rows = []
    errors = 0
    for label, path in scenarios(state):
        times = []
        for i in range(requests + 3):
            status, server, page = b.get(path)
            if status != 200:
                errors += 1
            if i >= 3:
                times.append(server)
        rows.append((label, statistics.median(times), pct(times, 95), page))
    if os.environ.get("ONLY") and "deep" not in os.environ["ONLY"]:
        return rows, errors
    # A deep page: follow Next 200 times, then time the next 20 pages.
    path = "/settings/api-keys"
    for _ in range(200):
        status, _, page = b.get(path)
        path = next_link(page) or path
    times = []
    for _ in range(20):
        status, server, page = b.get(path)
        if status != 200:
            errors += 1
        times.append(server)
        path = next_link(page) or path
    rows.append(("deep page by cursor (page 200+)", statistics.median(times), pct(times, 95), page))
    return rows, errors


def concurrent(base, email, password, state, seconds=15, viewers=8):
    results, errors, lock, failed = [], [0], threading.Lock(), []
    # Whole pages only, as in every earlier run (the htmx fragments are lighter).
    # (All of them, whatever ONLY keeps of the one-at-a-time runs.)
    paths = [p for _, p in scenarios(state, only=False, combos=False) if not p.endswith("#htmx")]

    def run(k):
        b = Browser(base, email, password)
        deadline = time.time() + seconds
        i = k
        while time.time() < deadline:
            status, server, _, wall = b.request("GET", paths[i % len(paths)])
            i += 1
            with lock:
                results.append((server, wall))
                if status != 200:
                    errors[0] += 1
                    failed.append((status, paths[(i - 1) % len(paths)], round(wall)))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(viewers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for status, path, ms in failed:
        print(f"  answered {status} after {ms} ms: {path}")
    server = [r[0] for r in results]
    wall = [r[1] for r in results]
    return len(results), statistics.median(server), pct(server, 95), pct(wall, 95), errors[0]


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(args):
    with open(os.path.join(args.state, "state.json")) as f:
        state = json.load(f)
    password = args.password
    print(f"RSS at start: {rss_mb(args.pid):.0f} MB")
    viewers = [("owner of the biggest workspace", "olivia.owner@example.com"),
               ("admin of all 50 workspaces", "ada.admin@example.com")]
    # VIEWERS=admin (or owner) measures one of them.
    viewers = [v for v in viewers if os.environ.get("VIEWERS", "") in v[0]]
    all_errors = 0
    for title, email in viewers:
        rows, errors = measure_viewer(args.base, email, password, state, args.requests)
        all_errors += errors
        print(f"\n{title} ({email}), {args.requests} requests each, server time in ms:")
        print(f"  {'scenario':38} {'p50':>7} {'p95':>7}  shows")
        for label, p50, p95, page in rows:
            shown = re.search(r'results-count" role="status">([^<]*)<', page)
            print(f"  {label:38} {p50:7.2f} {p95:7.2f}  {shown.group(1) if shown else '-'}")
        n, p50, p95, wall95, errs = concurrent(args.base, email, password, state)
        all_errors += errs
        print(f"  {'8 concurrent viewers (15 s, all scenarios)':38} {p50:7.2f} {p95:7.2f}  "
              f"{n} requests, client p95 {wall95:.1f} ms, {errs} non-200")
    print(f"\nnon-200 answers: {all_errors}")
    print(f"RSS after the console scenarios: {rss_mb(args.pid):.0f} MB")


def api_walk(args):
    """Every seeded secret calls /api/v1/key once (4 connections), then RSS."""
    with open(os.path.join(args.state, "secrets.txt")) as f:
        secrets = [line.strip() for line in f if line.strip()]
    before = rss_mb(args.pid)
    u = urllib.parse.urlparse(args.base)
    counts, lock = {}, threading.Lock()

    def run(part):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        for secret in part:
            conn.request("GET", "/api/v1/key", headers={"Authorization": f"Bearer {secret}"})
            r = conn.getresponse()
            r.read()
            with lock:
                counts[r.status] = counts.get(r.status, 0) + 1

    started = time.time()
    threads = [threading.Thread(target=run, args=(secrets[k::4],)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.time() - started
    time.sleep(6)  # the last-used flusher writes what it holds
    print(f"\n{len(secrets):,} distinct keys called /api/v1/key in {took:.0f}s: {counts}")
    print(f"RSS before {before:.0f} MB, after {rss_mb(args.pid):.0f} MB")


def export(args):
    """The whole inventory as CSV for the admin of all 50 workspaces, read as it streams, with the
    server's RSS sampled every 100 ms: rows, seconds, RSS before / highest / after."""
    b = Browser(args.base, "ada.admin@example.com", args.password)
    before = rss_mb(args.pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(args.pid))
            time.sleep(0.1)

    t = threading.Thread(target=sample)
    t.start()
    started = time.time()
    h = {"Cookie": "; ".join(f"{k}={v}" for k, v in b.cookies.items())}
    b.conn.request("GET", "/settings/api-keys.csv", headers=h)
    r = b.conn.getresponse()
    lines, size = 0, 0
    while True:
        chunk = r.read(1 << 16)
        if not chunk:
            break
        size += len(chunk)
        lines += chunk.count(b"\n")
    took = time.time() - started
    done.set()
    t.join()
    print(f"\nCSV export of every key (admin of all 50 workspaces): status {r.status}, {lines - 1:,} rows, "
          f"{size / 1e6:.0f} MB in {took:.1f}s; RSS before {before:.0f} MB, highest {peak[0]:.0f} MB, "
          f"after {rss_mb(args.pid):.0f} MB")


def revocation(args):
    """Revocation seen by a second server process: a key cached there, revoked through the first,
    then called on the second every millisecond until it answers 401. Prints p50/p99."""
    a = Browser(args.base, "ada.admin@example.com", args.password)
    u = urllib.parse.urlparse(args.other)
    other = http.client.HTTPConnection(u.hostname, u.port, timeout=10)

    def call(secret, trial=[0]):
        # Each trial from its own address (the other process trusts this proxy): its 401s must not
        # add up to the invalid-key throttle of one client.
        other.request("GET", "/api/v1/key", headers={
            "Authorization": f"Bearer {secret}",
            "X-Forwarded-For": f"10.0.{trial[0] // 250}.{trial[0] % 250 + 1}"})
        r = other.getresponse()
        r.read()
        return r.status

    # The trials' keys go to the smallest workspace, its active-key cap (500 by default) raised.
    form = a.get("/settings/api-keys/new")[2]
    ws = re.findall(r'<option value="(ws_[^"]+)"', form)[-1]
    page = a.get(f"/settings/workspaces/{ws}/policies")[2]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    status, _, _ = a.post(f"/settings/workspaces/{ws}/policies", {
        "max_lifetime": "none", "revoke_unused": "off", "max_active_keys": "100000",
        "leak_response": "revoke", "csrf_token": token})
    assert status in (200, 303), status
    took = []
    for trial in range(args.trials):
        call.__defaults__[0][0] = trial
        form = a.get("/settings/api-keys/new")[2]
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        request_id = re.search(r'name="request_id" value="([^"]+)"', form)
        fields = {"workspace": ws, "name": f"Revocation trial {os.getpid()}-{trial}",
                  "access_level": "read_only", "expiration": "30", "csrf_token": token}
        if request_id:
            fields["request_id"] = request_id.group(1)
        status, _, page = a.post("/settings/api-keys", fields)
        found = re.search(r"mlr_[A-Za-z0-9]{36}", page)
        if not found:
            raise SystemExit(f"could not generate a key ({status}): {re.sub(r'<[^>]+>', ' ', page)[:2000]}")
        secret = found.group(0)
        key = re.search(r"highlight=(key_[A-Za-z0-9]+)", page).group(1)
        for _ in range(2):
            status = call(secret)
            if status != 200:
                raise SystemExit(f"the new key got {status} from the other process")
        detail = a.get(f"/settings/api-keys/{key}/revoke")[2]
        token = re.search(r'name="csrf_token" value="([^"]+)"', detail).group(1)
        status, _, _ = a.post(f"/settings/api-keys/{key}/revoke", {"csrf_token": token})
        assert status == 303, status
        revoked = time.perf_counter()
        while call(secret) != 401:
            if time.perf_counter() - revoked > 5:
                raise SystemExit("the other process never rejected the revoked key")
            time.sleep(0.001)
        took.append((time.perf_counter() - revoked) * 1000)
    print(f"\nrevocation seen by a second process ({args.trials} trials, its feed polled every "
          f"{args.poll_ms} ms): p50 {pct(took, 50):.1f} ms, p99 {pct(took, 99):.1f} ms, max {max(took):.1f} ms")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--db", required=True)
    s.add_argument("--n", type=int, default=1_000_000)
    s.add_argument("--state", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--base", required=True)
    m.add_argument("--state", required=True)
    m.add_argument("--pid", type=int, required=True)
    m.add_argument("--password", required=True)
    m.add_argument("--requests", type=int, default=30)
    w = sub.add_parser("api-walk")
    w.add_argument("--base", required=True)
    w.add_argument("--state", required=True)
    w.add_argument("--pid", type=int, required=True)
    e = sub.add_parser("export")
    e.add_argument("--base", required=True)
    e.add_argument("--password", required=True)
    e.add_argument("--pid", type=int, required=True)
    v = sub.add_parser("revocation")
    v.add_argument("--base", required=True)
    v.add_argument("--other", required=True)
    v.add_argument("--password", required=True)
    v.add_argument("--trials", type=int, default=30)
    v.add_argument("--poll-ms", type=int, default=60000)
    r = sub.add_parser("rss")
    r.add_argument("--pid", type=int, required=True)
    args = p.parse_args()
    if args.cmd == "seed":
        seed(args)
    elif args.cmd == "measure":
        measure(args)
    elif args.cmd == "export":
        export(args)
    elif args.cmd == "api-walk":
        api_walk(args)
    elif args.cmd == "revocation":
        revocation(args)
    else:
        print(f"{rss_mb(args.pid):.0f}")


if __name__ == "__main__":
    main()
