//! The JSON API under /api/v1: Bearer keys, access levels, immediate revocation, last used.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use mailrith::db::schema::{api_keys, audit_events, contacts};
use mailrith::domain::key::PlainKey;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::*;

/// Generates a key through the console and returns (secret, public id).
pub(crate) async fn new_key(
    app: &TestApp,
    name: &str,
    access: &str,
    expiration: &str,
) -> (String, String) {
    let ws = workspace_id(app, WORKSPACE).await;
    let (status, _, secret) = generate(
        &app.client,
        &ws,
        name,
        &[("access_level", access), ("expiration", expiration)],
    )
    .await;
    assert_eq!(status, 200);
    (secret.unwrap(), key_id_by_name(app, name).await)
}

pub(crate) async fn call(
    base: &str,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let http = reqwest::Client::new();
    let mut req = http
        .request(method, format!("{base}{path}"))
        .header("user-agent", "crm-sync/2.1");
    if let Some(k) = key {
        req = req.header("authorization", format!("Bearer {k}"));
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let (s, h) = (r.status(), r.headers().clone());
    (s, h, r.text().await.unwrap())
}

pub(crate) async fn history(app: &TestApp, pid: &str) -> Vec<String> {
    let pid = pid.to_owned();
    app.db(move |c| {
        audit_events::table
            .filter(audit_events::subject.eq(pid))
            .select(audit_events::details)
            .load(c)
            .unwrap()
    })
    .await
}

async fn ping_needs_no_key(app: TestApp) {
    let (s, h, body) = call(&app.base, Method::GET, "/api/v1/ping", None, None).await;
    assert_eq!(s, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"ok": true})
    );
    assert_eq!(h.get("cache-control").unwrap(), "no-store");
    assert!(h.get("set-cookie").is_none(), "the API sets no cookie");
}

async fn the_key_endpoint_describes_the_calling_key(app: TestApp) {
    app.setup_admin().await;
    let (secret, pid) = new_key(&app, "Reporting dashboard", "read_only", "30").await;
    let (s, h, body) = call(&app.base, Method::GET, "/api/v1/key", Some(&secret), None).await;
    assert_eq!(s, 200);
    assert_eq!(h.get("cache-control").unwrap(), "no-store");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["id"], pid);
    assert_eq!(v["name"], "Reporting dashboard");
    assert_eq!(v["workspace"]["name"], WORKSPACE);
    assert_eq!(v["access_level"], "read_only");
    assert!(v["expires_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-12-27T09:00:00"));
    assert!(!body.contains(&secret));
}

/// Missing, malformed, unknown, revoked, rotated-out and expired keys: one identical 401; the
/// key's history says which it was.
async fn every_failure_is_the_same_401(app: TestApp) {
    app.setup_admin().await;
    let (revoked, revoked_id) = new_key(&app, "Revoked one", "read_only", "90").await;
    let (rotated_old, rotated_id) = new_key(&app, "Rotated one", "read_only", "90").await;
    // Use them once so they are cached: the changes below must still win.
    for k in [&revoked, &rotated_old] {
        assert_eq!(
            call(&app.base, Method::GET, "/api/v1/key", Some(k), None)
                .await
                .0,
            200
        );
    }
    assert_redirect_to(
        &app.client
            .post_form(&format!("/settings/api-keys/{revoked_id}/revoke"), &[])
            .await,
        &format!("/settings/api-keys/{revoked_id}"),
    );
    assert_eq!(
        app.client
            .rotate_key(&rotated_id, &[("expiration", "keep")])
            .await
            .status(),
        200
    );

    let unknown = PlainKey::generate();
    let mut wrong_checksum = revoked.clone();
    wrong_checksum.replace_range(39..40, if revoked.ends_with('A') { "B" } else { "A" });
    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing", None),
        ("wrong prefix", Some(revoked.replacen("mlr_", "sk_l", 1))),
        ("too short", Some(revoked[..30].to_owned())),
        ("bad checksum", Some(wrong_checksum)),
        ("unknown", Some(unknown.expose().to_owned())),
        ("revoked", Some(revoked.clone())),
        ("rotated out", Some(rotated_old.clone())),
    ];
    let mut bodies = Vec::new();
    for (what, key) in &cases {
        let (s, h, body) = call(&app.base, Method::GET, "/api/v1/key", key.as_deref(), None).await;
        assert_eq!(s, 401, "{what}");
        assert_eq!(
            h.get("www-authenticate").unwrap(),
            "Bearer realm=\"Mailrith API\", error=\"invalid_token\"",
            "{what}: one and the same RFC 6750 challenge"
        );
        bodies.push(body);
    }
    // A key sent with another scheme is no key.
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/key", app.base))
        .header("authorization", format!("Basic {revoked}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    bodies.push(r.text().await.unwrap());
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "one identical body: {bodies:?}"
    );
    let v: Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(v["error"]["code"], "unauthorized");

    assert!(history(&app, &revoked_id)
        .await
        .iter()
        .any(|d| d.starts_with("revoked key used")));
    assert!(history(&app, &rotated_id)
        .await
        .iter()
        .any(|d| d.starts_with("old secret used after rotation")));
}

async fn expiry_takes_effect_on_the_next_request(app: TestApp) {
    app.setup_admin().await;
    let (secret, pid) = new_key(&app, "Short lived", "read_only", "30").await;
    assert_eq!(
        call(&app.base, Method::GET, "/api/v1/key", Some(&secret), None)
            .await
            .0,
        200
    );
    app.clock.advance(time::Duration::days(30));
    let (s, _, _) = call(&app.base, Method::GET, "/api/v1/key", Some(&secret), None).await;
    assert_eq!(s, 401);
    assert!(history(&app, &pid)
        .await
        .iter()
        .any(|d| d.starts_with("expired key used")));
}

/// Revoke and rotate through the console; the very next API request sees it, even though the key
/// was cached by the request before.
async fn revoke_and_rotate_take_effect_at_once(app: TestApp) {
    app.setup_admin().await;
    let (secret, pid) = new_key(&app, "CRM sync", "read_write", "90").await;
    assert_eq!(
        call(&app.base, Method::GET, "/api/v1/key", Some(&secret), None)
            .await
            .0,
        200
    );
    let r = app.client.rotate_key(&pid, &[("expiration", "keep")]).await;
    let new = secret_in(&r.text().await.unwrap()).unwrap();
    assert_eq!(
        call(&app.base, Method::GET, "/api/v1/key", Some(&secret), None)
            .await
            .0,
        401,
        "the old secret stops at once"
    );
    assert_eq!(
        call(&app.base, Method::GET, "/api/v1/key", Some(&new), None)
            .await
            .0,
        200
    );
    app.client
        .post_form(&format!("/settings/api-keys/{pid}/revoke"), &[])
        .await;
    assert_eq!(
        call(&app.base, Method::GET, "/api/v1/key", Some(&new), None)
            .await
            .0,
        401,
        "revocation is immediate"
    );
}

async fn keys_outside_the_authorization_header_are_refused(app: TestApp) {
    app.setup_admin().await;
    let (secret, _) = new_key(&app, "Leaky", "read_write", "90").await;
    let http = reqwest::Client::new();
    for url in [
        format!("{}/api/v1/key?api_key={secret}", app.base),
        format!("{}/api/v1/key?access_token={secret}", app.base),
    ] {
        assert_eq!(http.get(url).send().await.unwrap().status(), 401);
    }
    let r = http
        .get(format!("{}/api/v1/key", app.base))
        .header("cookie", format!("api_key={secret}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .post(format!("{}/api/v1/contacts", app.base))
        .json(&json!({"api_key": secret, "email": "x@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

async fn read_only_keys_cannot_write(app: TestApp) {
    app.setup_admin().await;
    let (ro, _) = new_key(&app, "Reporting", "read_only", "90").await;
    let (rw, _) = new_key(&app, "Sync", "read_write", "90").await;
    let (s, _, body) = call(
        &app.base,
        Method::POST,
        "/api/v1/contacts",
        Some(&rw),
        Some(json!({"email": "ada@example.com"})),
    )
    .await;
    assert_eq!(s, 201);
    let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (s, _, body) = call(
        &app.base,
        Method::POST,
        "/api/v1/contacts",
        Some(&ro),
        Some(json!({"email": "eve@example.com"})),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"]["code"],
        "insufficient_access"
    );
    assert_eq!(
        call(
            &app.base,
            Method::PATCH,
            &format!("/api/v1/contacts/{id}"),
            Some(&ro),
            Some(json!({"name": "Eve"}))
        )
        .await
        .0,
        403
    );
    assert_eq!(
        call(
            &app.base,
            Method::DELETE,
            &format!("/api/v1/contacts/{id}"),
            Some(&ro),
            None
        )
        .await
        .0,
        403
    );
    // Nothing changed; reading works.
    let (s, _, body) = call(
        &app.base,
        Method::GET,
        &format!("/api/v1/contacts/{id}"),
        Some(&ro),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (v["email"].as_str(), v["name"].as_str()),
        (Some("ada@example.com"), Some(""))
    );
    let n: i64 = app
        .db(|c| contacts::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(n, 1);
}

async fn contacts_crud_is_scoped_to_the_keys_workspace(app: TestApp) {
    app.setup_admin().await;
    let (rw, _) = new_key(&app, "Sync", "read_write", "90").await;
    assert_redirect_to(
        &app.client
            .post_form("/settings/workspaces", &[("name", "Globex")])
            .await,
        "/settings/workspaces",
    );
    let globex = workspace_id(&app, "Globex").await;
    let (_, _, other) = generate(
        &app.client,
        &globex,
        "Globex sync",
        &[("access_level", "read_write")],
    )
    .await;
    let other = other.unwrap();

    let (s, _, body) = call(
        &app.base,
        Method::POST,
        "/api/v1/contacts",
        Some(&rw),
        Some(json!({"email": "Ada@Example.com", "name": "Ada", "status": "subscribed"})),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["email"], "ada@example.com");
    for i in 0..4 {
        let email = format!("person{i}@example.com");
        assert_eq!(
            call(
                &app.base,
                Method::POST,
                "/api/v1/contacts",
                Some(&rw),
                Some(json!({"email": email}))
            )
            .await
            .0,
            201
        );
    }
    // Pagination by cursor, and the email filter.
    let (_, _, body) = call(
        &app.base,
        Method::GET,
        "/api/v1/contacts?limit=2",
        Some(&rw),
        None,
    )
    .await;
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert!(page.get("total").is_none(), "no count on every page");
    let mut seen: Vec<String> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    let mut cursor = page["next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let (s, _, body) = call(
            &app.base,
            Method::GET,
            &format!("/api/v1/contacts?limit=2&cursor={c}"),
            Some(&rw),
            None,
        )
        .await;
        assert_eq!(s, 200);
        let page: Value = serde_json::from_str(&body).unwrap();
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned()),
        );
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 5, "every contact once: {seen:?}");
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique, seen);
    // An offset is refused by name rather than read as the first page forever; an unknown
    // cursor too.
    for (query, field) in [("offset=4", "offset"), ("cursor=ct_nope", "cursor")] {
        let (s, _, body) = call(
            &app.base,
            Method::GET,
            &format!("/api/v1/contacts?{query}"),
            Some(&rw),
            None,
        )
        .await;
        assert_eq!(s, 422, "{query}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap()["error"]["field"],
            field
        );
    }
    let (_, _, body) = call(
        &app.base,
        Method::GET,
        "/api/v1/contacts?email=ADA@example.com",
        Some(&rw),
        None,
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["data"][0]["id"],
        id
    );
    let (s, _, body) = call(
        &app.base,
        Method::GET,
        "/api/v1/contacts?limit=500",
        Some(&rw),
        None,
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"]["field"],
        "limit"
    );

    // Update and delete.
    let (s, _, body) = call(
        &app.base,
        Method::PATCH,
        &format!("/api/v1/contacts/{id}"),
        Some(&rw),
        Some(json!({"status": "unsubscribed"})),
    )
    .await;
    assert_eq!(s, 200);
    let updated: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (updated["status"].as_str(), updated["name"].as_str()),
        (Some("unsubscribed"), Some("Ada"))
    );

    // Another workspace's key sees none of it.
    for (m, p) in [
        (Method::GET, format!("/api/v1/contacts/{id}")),
        (Method::PATCH, format!("/api/v1/contacts/{id}")),
        (Method::DELETE, format!("/api/v1/contacts/{id}")),
    ] {
        let body = (m == Method::PATCH).then(|| json!({"name": "Hacked"}));
        assert_eq!(call(&app.base, m, &p, Some(&other), body).await.0, 404);
    }
    let (_, _, body) = call(
        &app.base,
        Method::GET,
        "/api/v1/contacts",
        Some(&other),
        None,
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["data"],
        json!([])
    );

    assert_eq!(
        call(
            &app.base,
            Method::DELETE,
            &format!("/api/v1/contacts/{id}"),
            Some(&rw),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(
        call(
            &app.base,
            Method::GET,
            &format!("/api/v1/contacts/{id}"),
            Some(&rw),
            None
        )
        .await
        .0,
        404
    );
}

async fn bad_json_and_fields_are_named(app: TestApp) {
    app.setup_admin().await;
    let (rw, _) = new_key(&app, "Sync", "read_write", "90").await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/api/v1/contacts", app.base))
        .header("authorization", format!("Bearer {rw}"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_json"
    );
    for (body, field) in [
        (json!({}), "email"),
        (json!({"email": "nope"}), "email"),
        (json!({"email": 42}), "email"),
        (
            json!({"email": "a@example.com", "status": "gone"}),
            "status",
        ),
        (
            json!({"email": "a@example.com", "name": "x".repeat(201)}),
            "name",
        ),
        (json!({"email": "a@example.com", "emial": "typo"}), "body"),
    ] {
        let (s, _, text) = call(
            &app.base,
            Method::POST,
            "/api/v1/contacts",
            Some(&rw),
            Some(body.clone()),
        )
        .await;
        assert_eq!(s, 422, "{body}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            (v["error"]["code"].as_str(), v["error"]["field"].as_str()),
            (Some("invalid_field"), Some(field)),
            "{body}"
        );
    }
    assert_eq!(
        call(
            &app.base,
            Method::POST,
            "/api/v1/contacts",
            Some(&rw),
            Some(json!([1, 2]))
        )
        .await
        .0,
        400
    );
    assert_eq!(
        call(
            &app.base,
            Method::POST,
            "/api/v1/contacts",
            Some(&rw),
            Some(json!({"email": "dup@example.com"}))
        )
        .await
        .0,
        201
    );
    let (s, _, text) = call(
        &app.base,
        Method::POST,
        "/api/v1/contacts",
        Some(&rw),
        Some(json!({"email": "DUP@example.com"})),
    )
    .await;
    assert_eq!(s, 409);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["error"]["field"],
        "email"
    );
    let n: i64 = app
        .db(|c| contacts::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(n, 1);
    assert_eq!(
        call(&app.base, Method::GET, "/api/v1/nope", Some(&rw), None)
            .await
            .0,
        404
    );
}

async fn last_used_is_tracked_and_shown(app: TestApp) {
    app.setup_admin().await;
    let (secret, pid) = new_key(&app, "CRM sync", "read_only", "90").await;
    let detail = app
        .client
        .page(&format!("/settings/api-keys/{pid}"))
        .await
        .1;
    assert!(detail.contains("never used"));
    for _ in 0..25 {
        assert_eq!(
            call(&app.base, Method::GET, "/api/v1/key", Some(&secret), None)
                .await
                .0,
            200
        );
    }
    let before: Option<time::PrimitiveDateTime> = {
        let pid = pid.clone();
        app.db(move |c| {
            api_keys::table
                .filter(api_keys::public_id.eq(pid))
                .select(api_keys::last_used_at)
                .first(c)
                .unwrap()
        })
        .await
    };
    assert!(
        before.is_none() || before == Some(app.clock_now()),
        "at most one write so far"
    );
    app.flush_last_used().await;
    let detail = app
        .client
        .page(&format!("/settings/api-keys/{pid}"))
        .await
        .1;
    assert!(
        detail.contains("just now")
            && detail.contains("127.0.0.1")
            && detail.contains("crm-sync/2.1"),
        "{detail}"
    );

    // After a rotation the console waits for the new secret's first use.
    let r = app.client.rotate_key(&pid, &[("expiration", "keep")]).await;
    let new = secret_in(&r.text().await.unwrap()).unwrap();
    let list = app.client.page("/settings/api-keys").await.1;
    assert!(list.contains("waiting for first use of the new secret"));
    app.clock.advance(time::Duration::seconds(5));
    assert_eq!(
        call(&app.base, Method::GET, "/api/v1/key", Some(&new), None)
            .await
            .0,
        200
    );
    app.flush_last_used().await;
    let list = app.client.page("/settings/api-keys").await.1;
    assert!(!list.contains("waiting for first use of the new secret"));
}

/// Repeated invalid keys from one client get 429; valid keys from other clients are untouched.
async fn invalid_keys_are_throttled_per_client(app: TestApp) {
    let proxied = spawn_app_on(
        app.backend,
        app.database.clone(),
        None,
        app.clock.clone(),
        |s| {
            s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        },
    )
    .await;
    proxied.setup_admin().await;
    let (good, _) = new_key(&proxied, "Good", "read_only", "90").await;
    let http = reqwest::Client::new();
    let get = |key: String, ip: &'static str| {
        let http = http.clone();
        let url = format!("{}/api/v1/key", proxied.base);
        async move {
            http.get(url)
                .header("authorization", format!("Bearer {key}"))
                .header("x-forwarded-for", ip)
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..mailrith::api::limiter::INVALID_LIMIT {
        assert_eq!(
            get(PlainKey::generate().expose().to_owned(), "198.51.100.7")
                .await
                .status(),
            401
        );
    }
    let r = get(PlainKey::generate().expose().to_owned(), "198.51.100.7").await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 60);
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    assert_eq!(
        get(good.clone(), "203.0.113.50").await.status(),
        200,
        "another client is not slowed"
    );
    proxied.clock.advance(time::Duration::seconds(61));
    proxied.sign_in_again().await;
    assert_eq!(
        get(good, "198.51.100.7").await.status(),
        200,
        "the window passes"
    );
}

async fn the_openapi_document_describes_every_endpoint(app: TestApp) {
    let (s, _, body) = call(&app.base, Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, 200);
    let spec = oas3::from_json(&body).expect("a valid OpenAPI 3 document");
    assert!(spec.openapi.starts_with("3."));
    let raw: Value = serde_json::from_str(&body).unwrap();
    for (path, methods) in [
        ("/api/v1/ping", vec!["get"]),
        ("/api/v1/key", vec!["get"]),
        ("/api/v1/contacts", vec!["get", "post"]),
        ("/api/v1/contacts/{id}", vec!["get", "patch", "delete"]),
    ] {
        for m in methods {
            let op = &raw["paths"][path][m];
            assert!(op.is_object(), "{m} {path}");
            if path != "/api/v1/ping" {
                assert!(
                    op["responses"]["401"].is_object(),
                    "{m} {path} documents 401"
                );
                // A key's own restrictions: its allowlist (403) and its rate limit (429).
                assert!(
                    op["responses"]["403"]["description"]
                        .as_str()
                        .is_some_and(|d| d.contains("IP allowlist")),
                    "{m} {path} documents the allowlist's 403"
                );
                let too_many = &op["responses"]["429"]["headers"];
                for h in [
                    "Retry-After",
                    "RateLimit-Limit",
                    "RateLimit-Remaining",
                    "RateLimit-Reset",
                ] {
                    assert!(too_many[h].is_object(), "{m} {path} documents {h} on 429");
                }
                assert_eq!(
                    op["security"][0]["bearer"],
                    json!([]),
                    "{m} {path} needs the bearer key"
                );
            }
        }
    }
    assert_eq!(
        raw["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for schema in [
        "KeyInfo",
        "ContactOut",
        "ContactList",
        "ContactIn",
        "ErrorBody",
    ] {
        assert!(raw["components"]["schemas"][schema].is_object(), "{schema}");
    }
}

async fn the_quickstart_shows_this_servers_address(app: TestApp) {
    assert_redirect_to(&app.client.get("/developers/quickstart").await, "/login");
    app.setup_admin().await;
    let (s, body) = app.client.page("/developers/quickstart").await;
    assert_eq!(s, 200);
    assert!(body.contains(&format!("curl -sS {}/api/v1/key", app.base)));
    for text in [
        "environment variable",
        "secret manager",
        "shared documents",
        "401",
        "403",
        "429",
        "Retry-After",
    ] {
        assert!(body.contains(text), "{text}");
    }
}

/// A second `mailrith serve` process on the app's database (real clock), polling the key change
/// feed every `poll_ms`: the child (kill it at the end) and its base URL.
pub(crate) fn second_process(app: &TestApp, poll_ms: &str) -> (std::process::Child, String) {
    let url = match &app.database {
        mailrith::db::DatabaseUrl::Sqlite(p) => format!("sqlite://{p}"),
        mailrith::db::DatabaseUrl::Postgres(u) => u.clone(),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailrith"))
        .args([
            "--database-url",
            &url,
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--key-feed-poll-ms",
            poll_ms,
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let other = std::thread::spawn(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| {
                l.strip_prefix("Mailrith Keys is serving on ")
                    .map(|r| r.split_whitespace().next().unwrap().to_owned())
            })
    })
    .join()
    .unwrap()
    .expect("the second process serves");
    (child, other)
}

/// Two server processes on one database: revoke through one, and the other rejects the key within
/// one second although it had the key cached. On PostgreSQL the other process polls the change
/// feed only once a minute, so only NOTIFY can tell it in time.
async fn a_second_process_rejects_a_revoked_key_within_a_second(app: TestApp) {
    app.setup_admin().await;
    let (secret, pid) = new_key(&app, "Shared", "read_only", "90").await;
    let (mut child, other) = second_process(
        &app,
        if app.backend == Backend::Postgres {
            "60000"
        } else {
            "200"
        },
    );
    assert_eq!(
        call(&other, Method::GET, "/api/v1/key", Some(&secret), None)
            .await
            .0,
        200,
        "cached in the other process"
    );
    assert_redirect_to(
        &app.client
            .post_form(&format!("/settings/api-keys/{pid}/revoke"), &[])
            .await,
        &format!("/settings/api-keys/{pid}"),
    );
    let revoked_at = Instant::now();
    let mut rejected_after = None;
    while revoked_at.elapsed() < Duration::from_secs(3) {
        if call(&other, Method::GET, "/api/v1/key", Some(&secret), None)
            .await
            .0
            == 401
        {
            rejected_after = Some(revoked_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let took = rejected_after.expect("the other process rejects the revoked key");
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

/// More than one `Authorization` header is no credential at all, whatever the first one holds.
async fn two_authorization_headers_are_refused(app: TestApp) {
    app.setup_admin().await;
    let (secret, _) = new_key(&app, "Doubled", "read_write", "90").await;
    for second in [
        secret.clone(),
        "Bearer mlr_garbage".to_owned(),
        "Basic eDp5".to_owned(),
    ] {
        let r = reqwest::Client::new()
            .get(format!("{}/api/v1/key", app.base))
            .header("authorization", format!("Bearer {secret}"))
            .header("authorization", second.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "second header {second:?}");
    }
    let (s, _, _) = call(&app.base, Method::GET, "/api/v1/key", Some(&secret), None).await;
    assert_eq!(s, 200, "one header still works");
}

/// A JSON body must be sent as JSON: `text/plain` (what a CSRF form can send) gets 415.
async fn json_bodies_need_the_json_content_type(app: TestApp) {
    app.setup_admin().await;
    let (secret, _) = new_key(&app, "Writer", "read_write", "90").await;
    let body = r#"{"email":"plain@example.com"}"#;
    for (content_type, expected) in [
        (Some("text/plain"), 415),
        (Some("application/x-www-form-urlencoded"), 415),
        (None, 415),
        (Some("application/json; charset=utf-8"), 201),
    ] {
        let mut r = reqwest::Client::new()
            .post(format!("{}/api/v1/contacts", app.base))
            .bearer_auth(&secret)
            .body(body);
        if let Some(ct) = content_type {
            r = r.header("content-type", ct);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), expected, "{content_type:?}");
        if expected == 415 {
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["error"]["code"], "unsupported_media_type");
            assert_eq!(v["error"]["field"], "body");
        }
    }
    let (_, _, list) = call(
        &app.base,
        Method::GET,
        "/api/v1/contacts",
        Some(&secret),
        None,
    )
    .await;
    let v: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(
        v["data"].as_array().unwrap().len(),
        1,
        "only the JSON request created a contact"
    );
}

/// The served document is valid for an independent validator, and says what the server does:
/// query parameters in the query, numbers as integers, no empty strings the server refuses, 429s.
async fn the_openapi_document_is_valid_and_matches_the_server(app: TestApp) {
    let (s, _, body) = call(&app.base, Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, 200);
    let raw: Value = serde_json::from_str(&body).unwrap();
    let params = raw["paths"]["/api/v1/contacts"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for (name, ty) in [
        ("limit", "integer"),
        ("cursor", "string"),
        ("email", "string"),
    ] {
        let p = params
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(p["in"], "query", "{name}");
        assert_ne!(p["required"], true, "{name} is optional");
        assert_eq!(p["schema"]["type"], ty, "{name}: {p}");
    }
    let contact_in = &raw["components"]["schemas"]["ContactIn"];
    assert_eq!(
        contact_in["properties"]["email"]["type"], "string",
        "{contact_in}"
    );
    assert!(contact_in["properties"]["email"]["minLength"].as_u64() >= Some(1));
    assert_eq!(contact_in["additionalProperties"], false);
    let status = &raw["components"]["schemas"]["ContactStatusName"];
    assert_eq!(
        status["enum"],
        json!(["subscribed", "unsubscribed", "bounced"]),
        "{status}"
    );
    for (path, method) in [
        ("/api/v1/key", "get"),
        ("/api/v1/contacts", "get"),
        ("/api/v1/contacts", "post"),
        ("/api/v1/contacts/{id}", "get"),
        ("/api/v1/contacts/{id}", "patch"),
        ("/api/v1/contacts/{id}", "delete"),
    ] {
        assert!(
            raw["paths"][path][method]["responses"]["429"].is_object(),
            "{method} {path} documents 429"
        );
    }
    validate_with_an_independent_validator(&body);
}

/// Runs `openapi-spec-validator` (Python; `.ci/run` installs it in a virtual environment and
/// names it in `MAILRITH_OPENAPI_VALIDATOR`) on the served document.
fn validate_with_an_independent_validator(document: &str) {
    let Ok(validator) = std::env::var("MAILRITH_OPENAPI_VALIDATOR") else {
        if std::env::var("MAILRITH_REQUIRE_OPENAPI_VALIDATOR").is_ok() {
            panic!(
                "MAILRITH_REQUIRE_OPENAPI_VALIDATOR is set but MAILRITH_OPENAPI_VALIDATOR is not"
            );
        }
        eprintln!("skipping the independent OpenAPI validation: set MAILRITH_OPENAPI_VALIDATOR");
        return;
    };
    let dir = TempDir::new();
    let file = dir.0.join("openapi.json");
    std::fs::write(&file, document).unwrap();
    let out = std::process::Command::new(&validator)
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {validator}: {e}"));
    assert!(
        out.status.success(),
        "openapi-spec-validator refuses the document:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

backend_tests!(
    the_openapi_document_is_valid_and_matches_the_server,
    two_authorization_headers_are_refused,
    json_bodies_need_the_json_content_type,
    ping_needs_no_key,
    the_key_endpoint_describes_the_calling_key,
    every_failure_is_the_same_401,
    expiry_takes_effect_on_the_next_request,
    revoke_and_rotate_take_effect_at_once,
    keys_outside_the_authorization_header_are_refused,
    read_only_keys_cannot_write,
    contacts_crud_is_scoped_to_the_keys_workspace,
    bad_json_and_fields_are_named,
    last_used_is_tracked_and_shown,
    invalid_keys_are_throttled_per_client,
    the_openapi_document_describes_every_endpoint,
    the_quickstart_shows_this_servers_address,
    a_second_process_rejects_a_revoked_key_within_a_second,
);
