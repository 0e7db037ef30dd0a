//! What authenticating one API request costs: parse the presented key (prefix, length, alphabet,
//! CRC32), hash it (SHA-256), and find it, in the in-process cache (the usual case) or in SQLite
//! (the first request after a change). Run: `cargo bench --bench key_lookup`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use mailrith::api::cache::KeyCache;
use mailrith::clock::{Clock, SystemClock};
use mailrith::db::{self, DatabaseUrl};
use mailrith::domain::key::PlainKey;
use mailrith::models::api_keys::{self, NewApiKey};
use mailrith::models::workspaces;

fn setup() -> (db::AnyConnection, Vec<PlainKey>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("mailrith-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bench.db");
    let _ = std::fs::remove_file(&path);
    let url = DatabaseUrl::Sqlite(path.to_string_lossy().into_owned());
    let mut conn = db::connect(&url).unwrap();
    db::run_migrations(&mut conn).unwrap();
    let now = SystemClock.now();
    let ws = workspaces::create(&mut conn, "Bench", now).unwrap();
    let keys: Vec<PlainKey> = (0..1000).map(|_| PlainKey::generate()).collect();
    conn.write_transaction::<_, diesel::result::Error, _>(|c| {
        for (i, k) in keys.iter().enumerate() {
            api_keys::insert(
                c,
                &NewApiKey {
                    public_id: &format!("key_bench{i}"),
                    workspace_id: ws.id,
                    name: &format!("Key {i}"),
                    purpose: "",
                    access_level: mailrith::domain::key::AccessLevel::ReadOnly,
                    owner_id: None,
                    created_by: None,
                    created_at: now,
                    expires_at: None,
                    key_hash: k.hash().as_str(),
                    hint: &k.hint(),
                    request_id: None,
                    allowed_ips: None,
                    rate_limit_per_minute: None,
                    created_via: None,
                },
            )?;
        }
        Ok(())
    })
    .unwrap();
    (conn, keys, dir)
}

fn bench(c: &mut Criterion) {
    let (mut conn, keys, dir) = setup();
    let presented: Vec<String> = keys.iter().map(|k| k.expose().to_owned()).collect();
    let cache = KeyCache::default();
    for k in &keys {
        let row = api_keys::find_by_hash(&mut conn, k.hash().as_str())
            .unwrap()
            .unwrap();
        cache.insert(k.digest(), std::sync::Arc::new(row), cache.generation());
    }

    let mut i = 0usize;
    let mut next = || {
        i = (i + 1) % presented.len();
        presented[i].as_str()
    };

    c.bench_function("parse", |b| {
        b.iter(|| PlainKey::parse(black_box(next())).unwrap())
    });
    c.bench_function("parse + sha256", |b| {
        b.iter(|| PlainKey::parse(black_box(next())).unwrap().hash())
    });
    c.bench_function("parse + sha256 + cache lookup", |b| {
        b.iter(|| {
            let d = PlainKey::parse(black_box(next())).unwrap().digest();
            cache.get(&d).unwrap()
        })
    });
    // What a cache hit cost before the cache was keyed by the digest and shared its rows: the
    // hash as hex, decoded again for the lookup, and the row copied out.
    c.bench_function("parse + sha256 + cache lookup (hex key, row copied)", |b| {
        b.iter(|| {
            let h = PlainKey::parse(black_box(next())).unwrap().hash();
            let mut d = [0u8; 32];
            hex::decode_to_slice(h.as_str(), &mut d).unwrap();
            (*cache.get(&d).unwrap()).clone()
        })
    });
    c.bench_function("parse + sha256 + SQLite lookup", |b| {
        b.iter(|| {
            let h = PlainKey::parse(black_box(next())).unwrap().hash();
            api_keys::find_by_hash(&mut conn, h.as_str())
                .unwrap()
                .unwrap()
        })
    });
    c.bench_function("reject a malformed key", |b| {
        b.iter(|| PlainKey::parse(black_box("mlr_notavalidkeyatallbutlongenough00000")).is_err())
    });
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
