//! The management API (`/api/v1/keys`): an authorized app with the scope `keys:manage` lists,
//! creates, edits, rotates and revokes keys as the person who connected it, with that person's
//! permission at every call; a plain API key never manages keys.

use mailrith::domain::key::PlainKey;
use mailrith::domain::workspace::{Access, Role, WorkspaceAccess};
use oauth2::{AuthType, AuthorizationCode, CsrfToken, PkceCodeChallenge, Scope, TokenResponse};
use reqwest::Method;
use serde_json::{json, Value};

use super::oauth::{consent, http, oauth_client, query, register};
use super::settings::team_members::{person, signed_in};
use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    an_app_manages_keys_as_the_person_who_connected_it,
    the_management_api_refuses_what_it_must,
    an_app_stops_when_its_person_may_no_longer_manage_keys,
    the_openapi_document_and_the_quickstart_describe_the_management_api,
);

/// A call with a bearer credential: status, headers and JSON body (null when there is none).
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    call_with(app, method, path, token, &[], body).await
}

/// The same, with more headers.
async fn call_with(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut r = reqwest::Client::new()
        .request(method, format!("{}{path}", app.base))
        .header("authorization", format!("Bearer {token}"));
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    let text = resp.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// The consent page's text for these scopes, as `person` sees it.
async fn consent_page(person: &Client, client_id: &str, scopes: &[&str]) -> String {
    let c = oauth2::basic::BasicClient::new(oauth2::ClientId::new(client_id.to_owned()))
        .set_auth_uri(oauth2::AuthUrl::new("http://x/oauth/authorize".into()).unwrap())
        .set_redirect_uri(oauth2::RedirectUrl::new(super::oauth::REDIRECT.into()).unwrap());
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let mut req = c
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge);
    for s in scopes {
        req = req.add_scope(Scope::new((*s).to_owned()));
    }
    let (url, _) = req.url();
    person
        .page(&format!("{}?{}", url.path(), url.query().unwrap()))
        .await
        .1
}

/// Registers "Zapline" (as the admin), lets `person` connect it with `scopes`, and returns an
/// access token.
async fn connect(app: &TestApp, person: &Client, scopes: &[&str]) -> String {
    let (id, secret) = register(app, "Zapline", false).await;
    let c = oauth_client(app, &id, secret.as_deref(), AuthType::BasicAuth);
    let (location, verifier, _) = consent(app, person, &c, scopes, true).await;
    let code = query(&location, "code").expect("a code");
    let tokens = c
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    tokens.access_token().secret().clone()
}

/// `connect`, choosing the workspace on the consent page.
async fn connect_to(app: &TestApp, person: &Client, scopes: &[&str], workspace: &str) -> String {
    let (id, secret) = register(app, "Zapline", false).await;
    let c = oauth_client(app, &id, secret.as_deref(), AuthType::BasicAuth);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = c
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge);
    for s in scopes {
        req = req.add_scope(Scope::new((*s).to_owned()));
    }
    let (url, state) = req.url();
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let r = person
        .post_form(
            "/oauth/authorize",
            &[
                ("client_id", q["client_id"].as_str()),
                ("redirect_uri", q["redirect_uri"].as_str()),
                ("scope", q["scope"].as_str()),
                ("state", state.secret().as_str()),
                ("code_challenge", q["code_challenge"].as_str()),
                ("workspace", workspace),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let tokens = c
        .exchange_code(AuthorizationCode::new(query(&location, "code").unwrap()))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    tokens.access_token().secret().clone()
}

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or_default()
}

async fn an_app_manages_keys_as_the_person_who_connected_it(app: TestApp) {
    app.setup_admin().await;
    let acme = workspace_id(&app, WORKSPACE).await;
    let (_, _, console_secret) = generate(&app.client, &acme, "Console CRM", &[]).await;
    let console_secret = console_secret.unwrap();

    // The consent page says what the scope allows, in the workspace.
    let (client_id, _) = register(&app, "Zapline", false).await;
    let page = consent_page(&app.client, &client_id, &["keys:manage"]).await;
    assert!(
        page.contains("Create, rotate and revoke API keys in Acme Marketing"),
        "{page}"
    );
    let token = connect(&app, &app.client, &["keys:manage"]).await;

    // The app's own view of itself; no contacts without a contacts scope.
    let (s, _, me) = call(&app, Method::GET, "/api/v1/key", &token, None).await;
    assert_eq!(
        (s, me["scope"].as_str()),
        (200, Some("keys:manage")),
        "{me}"
    );
    assert_eq!(me["access_level"], "none");
    let (s, _, e) = call(&app, Method::GET, "/api/v1/contacts", &token, None).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (403, Some("insufficient_scope"))
    );

    // Create: the secret once, no-store, a Location; the secret works at once.
    let (s, h, created) = call(
        &app,
        Method::POST,
        "/api/v1/keys",
        &token,
        Some(json!({"name": "CRM sync", "purpose": "Nightly CRM import", "access_level": "read_write", "expiration": "30", "rate_limit_per_minute": 600})),
    )
    .await;
    assert_eq!(s, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(PlainKey::parse(&secret).is_ok());
    let id = created["key"]["id"].as_str().unwrap().to_owned();
    assert_eq!(h["location"], format!("/api/v1/keys/{id}").as_str());
    assert!(h["cache-control"].to_str().unwrap().contains("no-store"));
    assert_eq!(created["key"]["created_via"], "Zapline");
    assert_eq!(created["key"]["owner"]["name"], ADMIN_NAME);
    assert_eq!(created["key"]["access_level"], "read_write");
    assert_eq!(created["key"]["rate_limit_per_minute"], 600);
    assert_eq!(
        created["key"]["hint"].as_str().unwrap(),
        format!("mlr_…{}", &secret[secret.len() - 4..])
    );
    let (s, _, who) = call(&app, Method::GET, "/api/v1/key", &secret, None).await;
    assert_eq!((s, who["name"].as_str()), (200, Some("CRM sync")));

    // The console shows who created it, through which app; Activity says "<person> via <app>".
    let (_, list) = app.client.page("/settings/api-keys").await;
    assert!(list.contains("created via Zapline"), "{list}");
    let (_, detail) = app.client.page(&format!("/settings/api-keys/{id}")).await;
    assert!(detail.contains("by Ada Lovelace via Zapline"), "{detail}");
    let (_, activity) = app
        .client
        .page(&format!("/settings/activity?workspace={acme}"))
        .await;
    assert!(activity.contains("Ada Lovelace via Zapline"), "{activity}");

    // The Authorized Apps tab and the Profile list the grant with this scope.
    for path in ["/settings/authorized-apps", "/settings/profile"] {
        let (_, p) = app.client.page(path).await;
        assert!(
            p.contains("Create, rotate and revoke API keys in Acme Marketing")
                && p.contains("Manages API keys"),
            "{path}: {p}"
        );
    }

    // List: the console's search, filters, sorts and cursor; never a secret.
    let (s, _, all) = call(&app, Method::GET, "/api/v1/keys", &token, None).await;
    assert_eq!(s, 200, "{all}");
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    let text = all.to_string();
    assert!(!text.contains(&secret) && !text.contains(&console_secret));
    assert!(!text.contains("key_hash") && !text.contains("\"secret\""));
    let (_, _, found) = call(&app, Method::GET, "/api/v1/keys?q=nightly", &token, None).await;
    assert_eq!(found["data"][0]["id"], id.as_str(), "search by purpose");
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    let (_, _, rw) = call(
        &app,
        Method::GET,
        "/api/v1/keys?access=read_only",
        &token,
        None,
    )
    .await;
    assert_eq!(rw["data"][0]["name"], "Console CRM");
    assert_eq!(rw["data"].as_array().unwrap().len(), 1);
    let (_, _, first) = call(
        &app,
        Method::GET,
        "/api/v1/keys?sort=name&limit=1",
        &token,
        None,
    )
    .await;
    assert_eq!(first["data"][0]["name"], "Console CRM");
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let (_, _, second) = call(
        &app,
        Method::GET,
        &format!("/api/v1/keys?sort=name&limit=1&cursor={cursor}"),
        &token,
        None,
    )
    .await;
    assert_eq!(second["data"][0]["name"], "CRM sync");
    assert!(second["next_cursor"].is_null());

    // Get, edit (only what is sent changes), and the restrictions.
    let (s, _, one) = call(
        &app,
        Method::GET,
        &format!("/api/v1/keys/{id}"),
        &token,
        None,
    )
    .await;
    assert_eq!(
        (s, one["purpose"].as_str()),
        (200, Some("Nightly CRM import"))
    );
    assert!(one.get("secret").is_none());
    let (s, _, edited) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/keys/{id}"),
        &token,
        Some(json!({"name": "CRM sync v2", "expiration": "never", "allowed_ips": ["203.0.113.0/24", "2001:db8::/32"], "rate_limit_per_minute": null})),
    )
    .await;
    assert_eq!(s, 200, "{edited}");
    assert_eq!(edited["name"], "CRM sync v2");
    assert_eq!(edited["purpose"], "Nightly CRM import", "unchanged");
    assert!(edited["expires_at"].is_null() && edited["rate_limit_per_minute"].is_null());
    assert_eq!(
        edited["allowed_ips"],
        json!(["203.0.113.0/24", "2001:db8::/32"])
    );
    let (s, _, _) = call(&app, Method::GET, "/api/v1/key", &secret, None).await;
    assert_eq!(s, 403, "the new allowlist holds at once");
    let (s, _, cleared) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/keys/{id}"),
        &token,
        Some(json!({"allowed_ips": null})),
    )
    .await;
    assert_eq!((s, cleared["allowed_ips"].clone()), (200, json!([])));
    let (_, detail) = app.client.page(&format!("/settings/api-keys/{id}")).await;
    assert!(
        detail.contains("expiration: ") && detail.contains("Ada Lovelace via Zapline"),
        "the edit is in the key's history, by the person via the app: {detail}"
    );

    // Rotate with an overlap, for the secret last read (If-Match its ETag): both secrets work
    // until it ends; the new one is shown once. A retry of that rotation rotates nothing.
    let (_, h, _) = call(
        &app,
        Method::GET,
        &format!("/api/v1/keys/{id}"),
        &token,
        None,
    )
    .await;
    let etag = h["etag"].to_str().unwrap().to_owned();
    let rotate = |etag: String| {
        let path = format!("/api/v1/keys/{id}/rotate");
        let (app, token) = (&app, &token);
        async move {
            call_with(
                app,
                Method::POST,
                &path,
                token,
                &[("if-match", &etag)],
                Some(json!({"overlap": "1h"})),
            )
            .await
        }
    };
    let (s, h, rotated) = rotate(etag.clone()).await;
    assert_eq!(s, 200, "{rotated}");
    assert_ne!(
        h["etag"].to_str().unwrap(),
        etag,
        "a new secret, a new ETag"
    );
    let (s, _, retry) = rotate(etag.clone()).await;
    assert_eq!(s, 409, "{retry}");
    assert!(
        retry["error"]["message"]
            .as_str()
            .unwrap()
            .contains("rotated by Ada Lovelace via Zapline")
            && !retry.to_string().contains("mlr_"),
        "{retry}"
    );
    let (s, _, e) = rotate("\"nonsense\"".to_owned()).await;
    assert_eq!((s, field(&e)), (422, "If-Match"));
    assert!(h["cache-control"].to_str().unwrap().contains("no-store"));
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(rotated["key"]["old_secret_works_until"].is_string());
    for s in [&secret, &new_secret] {
        assert_eq!(call(&app, Method::GET, "/api/v1/key", s, None).await.0, 200);
    }

    // Revoke: both secrets stop at once; a second revoke and a rotation of it are conflicts.
    let (s, _, revoked) = call(
        &app,
        Method::POST,
        &format!("/api/v1/keys/{id}/revoke"),
        &token,
        None,
    )
    .await;
    assert_eq!((s, revoked["status"].as_str()), (200, Some("revoked")));
    for s in [&secret, &new_secret] {
        assert_eq!(call(&app, Method::GET, "/api/v1/key", s, None).await.0, 401);
    }
    for (m, path) in [
        (Method::POST, format!("/api/v1/keys/{id}/revoke")),
        (Method::POST, format!("/api/v1/keys/{id}/rotate")),
    ] {
        let (s, _, e) = call(&app, m, &path, &token, None).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (409, Some("conflict")),
            "{path}"
        );
    }
    let (s, _, _) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/keys/{id}"),
        &token,
        Some(json!({"name": "Again"})),
    )
    .await;
    assert_eq!(s, 409);
    let (_, activity) = app
        .client
        .page(&format!("/settings/activity?workspace={acme}"))
        .await;
    assert!(activity.contains("Ada Lovelace via Zapline"), "{activity}");
    // Each action through the app is one audit row, as the person via the app, with no secret.
    let rows: Vec<(String, Option<i64>, String)> = app
        .db(|c| {
            use diesel::prelude::*;
            use mailrith::db::schema::audit_events as a;
            a::table
                .filter(a::via_app.eq("Zapline"))
                .order(a::id)
                .select((a::action, a::actor_id, a::details))
                .load::<(String, Option<i64>, String)>(c)
                .unwrap()
        })
        .await;
    let actions: Vec<&str> = rows.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "api_key.generate",
            "api_key.edit",
            "api_key.edit",
            "api_key.rotate",
            // The revocation ends the rotation's overlap: the old secret stops too.
            "api_key.retire_old_secret",
            "api_key.revoke"
        ]
    );
    assert!(rows.iter().all(|(_, actor, _)| actor.is_some()));
    for (_, _, details) in &rows {
        assert!(
            !details.contains(&secret)
                && !details.contains(&new_secret)
                && !details.contains("mlr_")
        );
    }
}

async fn the_management_api_refuses_what_it_must(app: TestApp) {
    app.setup_admin().await;
    let acme = workspace_id(&app, WORKSPACE).await;
    let (_, _, key) = generate(&app.client, &acme, "Console CRM", &[]).await;
    let key = key.unwrap();
    let token = connect(&app, &app.client, &["contacts:read", "keys:manage"]).await;
    let console_id = key_id_by_name(&app, "Console CRM").await;

    // A plain API key never manages keys; an app without keys:manage may not either.
    for path in ["/api/v1/keys", &format!("/api/v1/keys/{console_id}")] {
        let (s, _, e) = call(&app, Method::GET, path, &key, None).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (403, Some("insufficient_access")),
            "{path}"
        );
    }
    let (s, _, _) = call(
        &app,
        Method::POST,
        &format!("/api/v1/keys/{console_id}/revoke"),
        &key,
        None,
    )
    .await;
    assert_eq!(s, 403, "a key cannot revoke itself");
    let (_, _, rw) = generate(
        &app.client,
        &acme,
        "Console writer",
        &[("access_level", "read_write")],
    )
    .await;
    let (s, _, _) = call(
        &app,
        Method::POST,
        "/api/v1/keys",
        &rw.unwrap(),
        Some(json!({"name": "By a key"})),
    )
    .await;
    assert_eq!(s, 403, "not even a Read and Write key");
    let contacts_only = connect(&app, &app.client, &["contacts:read"]).await;
    let (s, _, e) = call(&app, Method::GET, "/api/v1/keys", &contacts_only, None).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (403, Some("insufficient_scope"))
    );

    // Field-named 422s, for the query and the body.
    for (q, f) in [
        ("status=bogus", "status"),
        ("sort=bogus", "sort"),
        ("dir=up", "dir"),
        ("access=admin", "access"),
        ("limit=0", "limit"),
        ("workspace=ws_other", "workspace"),
        ("cursor=not-a-cursor", "cursor"),
    ] {
        let (s, _, e) = call(
            &app,
            Method::GET,
            &format!("/api/v1/keys?{q}"),
            &token,
            None,
        )
        .await;
        assert_eq!((s, field(&e)), (422, f), "{q}: {e}");
    }
    for (body, f) in [
        (json!({}), "name"),
        (json!({"name": 5}), "name"),
        (json!({"name": "Console CRM"}), "name"),
        (
            json!({"name": "X", "access_level": "admin"}),
            "access_level",
        ),
        (json!({"name": "X", "expiration": "tomorrow"}), "expiration"),
        (
            json!({"name": "X", "expiration": "2001-01-01"}),
            "expiration",
        ),
        (json!({"name": "X", "allowed_ips": ["nope"]}), "allowed_ips"),
        (
            json!({"name": "X", "rate_limit_per_minute": 0}),
            "rate_limit_per_minute",
        ),
        (json!({"name": "X", "owner": "usr_nobody"}), "owner"),
        (json!({"name": "X", "secret": "mlr_mine"}), "body"),
    ] {
        let (s, _, e) = call(
            &app,
            Method::POST,
            "/api/v1/keys",
            &token,
            Some(body.clone()),
        )
        .await;
        assert_eq!((s, field(&e)), (422, f), "{body}: {e}");
    }
    // An Idempotency-Key makes a retried create safe: one key, and the retry is told which.
    let create = |key: &'static str| {
        reqwest::Client::new()
            .post(format!("{}/api/v1/keys", app.base))
            .header("authorization", format!("Bearer {token}"))
            .header("idempotency-key", key)
            .json(&json!({"name": "Retried"}))
            .send()
    };
    let first = create("deploy-42").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let retry = create("deploy-42").await.unwrap();
    assert_eq!(retry.status(), 409);
    let retry = retry.text().await.unwrap();
    let id = first["key"]["id"].as_str().unwrap();
    assert!(retry.contains(id) && !retry.contains("mlr_"), "{retry}");
    let (_, _, found) = call(&app, Method::GET, "/api/v1/keys?q=Retried", &token, None).await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1, "one key");
    let bad = create("has space").await.unwrap();
    assert_eq!(bad.status(), 422);
    let bad: Value = bad.json().await.unwrap();
    assert_eq!(field(&bad), "Idempotency-Key");

    // An edit: what it may change, each error by field; an empty edit changes nothing.
    let patch = format!("/api/v1/keys/{console_id}");
    for (body, f) in [
        (json!({"access_level": "read_write"}), "body"),
        (json!({"owner": "usr_nobody"}), "owner"),
        (json!({"name": ""}), "name"),
        (
            json!({"rate_limit_per_minute": "fast"}),
            "rate_limit_per_minute",
        ),
        (json!({"allowed_ips": "203.0.113.1"}), "allowed_ips"),
        (json!({"expiration": "yesterday"}), "expiration"),
    ] {
        let (s, _, e) = call(&app, Method::PATCH, &patch, &token, Some(body.clone())).await;
        assert_eq!((s, field(&e)), (422, f), "{body}: {e}");
    }
    let (s, _, same) = call(&app, Method::PATCH, &patch, &token, Some(json!({}))).await;
    assert_eq!((s, same["name"].as_str()), (200, Some("Console CRM")));

    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/keys", app.base))
        .header("authorization", format!("Bearer {token}"))
        .body("name=X")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let (s, _, e) = call(
        &app,
        Method::POST,
        &format!("/api/v1/keys/{console_id}/rotate"),
        &token,
        Some(json!({"overlap": "2h"})),
    )
    .await;
    assert_eq!((s, field(&e)), (422, "overlap"));

    // Another workspace's key is not there for the app, even though its person can see it.
    let r = app
        .client
        .post_form("/settings/workspaces", &[("name", "Beta Corp")])
        .await;
    assert!(r.status().is_success() || r.status().is_redirection());
    let beta = workspace_id(&app, "Beta Corp").await;
    generate(&app.client, &beta, "Beta key", &[]).await;
    let beta_key = key_id_by_name(&app, "Beta key").await;
    for (m, path) in [
        (Method::GET, format!("/api/v1/keys/{beta_key}")),
        (Method::PATCH, format!("/api/v1/keys/{beta_key}")),
        (Method::POST, format!("/api/v1/keys/{beta_key}/rotate")),
        (Method::POST, format!("/api/v1/keys/{beta_key}/revoke")),
        (Method::GET, "/api/v1/keys/key_nothing".to_owned()),
    ] {
        let body = (m == Method::PATCH).then(|| json!({"name": "Taken over"}));
        let (s, _, e) = call(&app, m, &path, &token, body).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
    let (_, _, all) = call(&app, Method::GET, "/api/v1/keys", &token, None).await;
    assert!(
        !all.to_string().contains("Beta key"),
        "the list is the app's workspace only"
    );

    // An Idempotency-Key is the app's own: the same one from an app in Beta creates Beta's key.
    let (client_id, _) = register(&app, "Zapline", false).await;
    let page = consent_page(&app.client, &client_id, &["keys:manage"]).await;
    assert!(
        page.contains("Create, rotate and revoke API keys in the workspace you choose below"),
        "two workspaces to choose from"
    );
    let beta_token = connect_to(&app, &app.client, &["keys:manage"], &beta).await;
    let made = reqwest::Client::new()
        .post(format!("{}/api/v1/keys", app.base))
        .header("authorization", format!("Bearer {beta_token}"))
        .header("idempotency-key", "deploy-42")
        .json(&json!({"name": "Beta retried"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        made.status(),
        201,
        "deploy-42 was Acme's app's, not this one's"
    );
    let made: Value = made.json().await.unwrap();
    assert_eq!(made["key"]["workspace"]["id"], beta.as_str());
    let (s, _, e) = call(
        &app,
        Method::GET,
        &format!("/api/v1/keys?workspace={beta}"),
        &token,
        None,
    )
    .await;
    assert_eq!((s, field(&e)), (422, "workspace"));
    // Nothing changed the Beta key.
    let (_, detail) = app
        .client
        .page(&format!("/settings/api-keys/{beta_key}"))
        .await;
    assert!(detail.contains("Beta key") && !detail.contains("Taken over"));
}

async fn an_app_stops_when_its_person_may_no_longer_manage_keys(app: TestApp) {
    app.setup_admin().await;
    let manager = WorkspaceAccess::new(Role::Member, Access::Manage, Access::Manage);
    let mia_id = person(&app, "mia@example.com", Some(manager)).await;
    let mia = signed_in(&app, "mia@example.com").await;
    let token = connect(&app, &mia, &["keys:manage"]).await;
    let (s, _, created) = call(
        &app,
        Method::POST,
        "/api/v1/keys",
        &token,
        Some(json!({"name": "Mia's sync"})),
    )
    .await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["key"]["owner"]["id"], mia_id.as_str());
    assert_eq!(
        created["key"]["access_level"], "read_only",
        "least access by default"
    );

    // Her API Keys permission drops to View: the app's next call is refused.
    let set = |keys: Access| {
        let mia_id = mia_id.clone();
        app.db(move |c| {
            let ws = mailrith::models::workspaces::find_by_name(c, WORKSPACE)
                .unwrap()
                .unwrap();
            let user = mailrith::models::users::find_by_public_id(c, &mia_id)
                .unwrap()
                .unwrap();
            mailrith::models::workspaces::set_access(
                c,
                ws.id,
                user.id,
                WorkspaceAccess::new(Role::Member, keys, Access::Manage),
            )
            .unwrap();
        })
    };
    set(Access::View).await;
    let key = created["key"]["id"].as_str().unwrap().to_owned();
    // Every route, and a request that would be refused for its body too: 403 comes first.
    for (m, path, body) in [
        (Method::GET, "/api/v1/keys".to_owned(), None),
        (
            Method::POST,
            "/api/v1/keys".to_owned(),
            Some(json!({"name": "Another"})),
        ),
        (
            Method::POST,
            "/api/v1/keys".to_owned(),
            Some(json!({"bogus": 1})),
        ),
        (Method::GET, format!("/api/v1/keys/{key}"), None),
        (
            Method::PATCH,
            format!("/api/v1/keys/{key}"),
            Some(json!({"name": "Renamed"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/keys/{key}"),
            Some(json!({"name": 5})),
        ),
        (Method::POST, format!("/api/v1/keys/{key}/rotate"), None),
        (
            Method::POST,
            format!("/api/v1/keys/{key}/rotate"),
            Some(json!({"overlap": "2h"})),
        ),
        (Method::POST, format!("/api/v1/keys/{key}/revoke"), None),
    ] {
        let (s, _, e) = call(&app, m, &path, &token, body).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (403, Some("insufficient_access")),
            "{path}"
        );
        assert!(e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("may no longer manage"));
    }
    // Someone without API Keys: Manage cannot grant keys:manage at all.
    let (client_id, _) = register(&app, "Zapline", false).await;
    let page = consent_page(&mia, &client_id, &["keys:manage"]).await;
    assert!(
        page.contains("You may not connect an app that manages API keys"),
        "{page}"
    );
    let acme = workspace_id(&app, WORKSPACE).await;
    let r = mia
        .post_form(
            "/oauth/authorize",
            &[
                ("client_id", &client_id),
                ("redirect_uri", super::oauth::REDIRECT),
                ("scope", "keys:manage"),
                ("state", "s"),
                ("code_challenge", &"a".repeat(43)),
                ("workspace", &acme),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);

    // Back to Manage, then disabled, then removed from the workspace: refused each time.
    set(Access::Manage).await;
    assert_eq!(
        call(&app, Method::GET, "/api/v1/keys", &token, None)
            .await
            .0,
        200
    );
    let disable = |on: bool| {
        let mia_id = mia_id.clone();
        app.db(move |c| {
            let user = mailrith::models::users::find_by_public_id(c, &mia_id)
                .unwrap()
                .unwrap();
            mailrith::models::users::set_disabled(c, user.id, on).unwrap();
        })
    };
    disable(true).await;
    let (s, _, _) = call(&app, Method::GET, "/api/v1/keys", &token, None).await;
    assert_eq!(s, 403, "disabled");
    disable(false).await;
    let mia_for_removal = mia_id.clone();
    app.db(move |c| {
        let ws = mailrith::models::workspaces::find_by_name(c, WORKSPACE)
            .unwrap()
            .unwrap();
        let user = mailrith::models::users::find_by_public_id(c, &mia_for_removal)
            .unwrap()
            .unwrap();
        mailrith::models::workspaces::remove_member(c, ws.id, user.id).unwrap();
    })
    .await;
    let (s, _, e) = call(&app, Method::GET, "/api/v1/keys", &token, None).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (403, Some("insufficient_access")),
        "removed"
    );

    // Her key now has no owner in the workspace: an admin's app still edits it, leaving the
    // owner as it is when the edit does not name one.
    let admin = connect(&app, &app.client, &["keys:manage"]).await;
    let (s, _, e) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/keys/{key}"),
        &admin,
        Some(json!({"allowed_ips": ["203.0.113.0/24"]})),
    )
    .await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(
        (e["owner_removed"].as_bool(), e["owner"]["id"].as_str()),
        (Some(true), Some(mia_id.as_str()))
    );
    let (s, _, e) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/keys/{key}"),
        &admin,
        Some(json!({"owner": mia_id})),
    )
    .await;
    assert_eq!(
        (s, field(&e)),
        (422, "owner"),
        "a former member cannot be made owner"
    );
}

/// The OpenAPI document describes the management API (its paths, the OAuth scope it needs, the
/// secret only in create and rotate), and so does the Quickstart. (`api_v1` validates the whole
/// document with an independent validator.)
async fn the_openapi_document_and_the_quickstart_describe_the_management_api(app: TestApp) {
    let r = reqwest::get(format!("{}/api/v1/openapi.json", app.base))
        .await
        .unwrap();
    let doc: Value = r.json().await.unwrap();
    for (path, methods) in [
        ("/api/v1/keys", vec!["get", "post"]),
        ("/api/v1/keys/{id}", vec!["get", "patch"]),
        ("/api/v1/keys/{id}/rotate", vec!["post"]),
        ("/api/v1/keys/{id}/revoke", vec!["post"]),
    ] {
        for m in methods {
            let op = &doc["paths"][path][m];
            assert_eq!(
                op["security"][0]["oauth"],
                json!(["keys:manage"]),
                "{m} {path}"
            );
            for status in ["401", "403", "429"] {
                assert!(op["responses"][status].is_object(), "{m} {path} {status}");
            }
        }
    }
    let list = &doc["paths"]["/api/v1/keys"]["get"]["parameters"];
    for p in [
        "q",
        "workspace",
        "owner",
        "status",
        "access",
        "sort",
        "dir",
        "cursor",
        "limit",
    ] {
        assert!(
            list.as_array().unwrap().iter().any(|x| x["name"] == p),
            "list takes {p}"
        );
    }
    let created = &doc["paths"]["/api/v1/keys"]["post"]["responses"]["201"];
    assert!(created["headers"]["Location"].is_object());
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["ApiKeyOut"]["properties"]["secret"].is_null());
    assert!(schemas["ApiKeyWithSecret"]["properties"]["secret"].is_object());
    assert_eq!(schemas["KeyCreateIn"]["additionalProperties"], false);
    let flow = &doc["components"]["securitySchemes"]["oauth"]["flows"]["authorizationCode"];
    assert_eq!(
        flow["authorizationUrl"],
        format!("{}/oauth/authorize", app.base).as_str()
    );
    assert!(flow["scopes"]["keys:manage"].is_string());

    // The Developer Quickstart: "Manage keys from a script", with an app token, on this server.
    app.setup_admin().await;
    let (_, qs) = app.client.page("/developers/quickstart").await;
    assert!(qs.contains("Manage keys from a script"), "{qs}");
    for example in [
        format!("curl -sS -X POST {}/api/v1/keys ", app.base),
        "-H \"Authorization: Bearer $MAILRITH_APP_TOKEN\"".to_owned(),
        format!("{}/api/v1/keys/key_…/rotate", app.base),
    ] {
        assert!(qs.contains(&example), "{example}");
    }
}
