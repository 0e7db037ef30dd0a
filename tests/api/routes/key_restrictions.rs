//! A key's own restrictions on the API: the addresses it may be used from (through trusted
//! proxies only) and its requests per minute. Refusals are in its history, coalesced.

use diesel::prelude::*;
use mailrith::db::schema::{api_keys, audit_events, key_usage_daily};
use mailrith::domain::audit::AuditAction;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    an_allowlist_refuses_other_addresses_and_says_so,
    a_rate_limit_answers_429_with_its_headers,
);

async fn call_from(app: &TestApp, key: &str, ip: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/api/v1/key", app.base))
        .header("authorization", format!("Bearer {key}"))
        .header("x-forwarded-for", ip)
        .send()
        .await
        .unwrap()
}

async fn refusals(app: &TestApp) -> Vec<String> {
    app.db(|c| {
        audit_events::table
            .filter(audit_events::action.eq(AuditAction::ApiKeyRejected.as_str()))
            .order(audit_events::id.asc())
            .select(audit_events::details)
            .load(c)
            .unwrap()
    })
    .await
}

/// The key's requests counted so far (successful, refused), all days together.
async fn counted(app: &TestApp, name: &'static str) -> (i64, i64) {
    app.flush_last_used().await;
    app.db(move |c| {
        let rows: Vec<(i64, i64)> = key_usage_daily::table
            .inner_join(api_keys::table)
            .filter(api_keys::name.eq(name))
            .select((key_usage_daily::ok, key_usage_daily::refused))
            .load(c)
            .unwrap();
        rows.iter().fold((0, 0), |(a, b), (o, r)| (a + o, b + r))
    })
    .await
}

async fn an_allowlist_refuses_other_addresses_and_says_so(app: TestApp) {
    let app = app
        .respawn(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()])
        .await;
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    // Bad input is a field error and saves nothing.
    let (status, body, _) = generate(
        &app.client,
        &ws,
        "Office sync",
        &[("allowed_ips", "203.0.113.0/24, nonsense")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body.contains("&#34;nonsense&#34; is not an IP address or CIDR range"),
        "{body}"
    );
    let (status, _, secret) = generate(
        &app.client,
        &ws,
        "Office sync",
        &[("allowed_ips", "203.0.113.0/24\n2001:db8::/32")],
    )
    .await;
    assert_eq!(status, 200);
    let secret = secret.unwrap();
    assert_eq!(call_from(&app, &secret, "203.0.113.9").await.status(), 200);
    assert_eq!(call_from(&app, &secret, "2001:db8::7").await.status(), 200);
    let r = call_from(&app, &secret, "198.51.100.7").await;
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("This key may not be used from this address."),
        "{body}"
    );
    assert!(
        !body.contains("203.0.113"),
        "the allowed ranges are not told: {body}"
    );
    assert_eq!(
        refusals(&app).await,
        vec!["refused: address 198.51.100.7 not allowed".to_owned()]
    );
    // Refused again within the minute (this address or another): the same answer, counted,
    // and no second line in the history.
    for ip in ["198.51.100.7", "192.0.2.1", "2001:db9::1"] {
        let again = call_from(&app, &secret, ip).await;
        assert_eq!(again.status(), 403, "{ip}");
        assert_eq!(again.text().await.unwrap(), body, "{ip}");
    }
    assert_eq!(refusals(&app).await.len(), 1);
    assert_eq!(counted(&app, "Office sync").await, (2, 4));
    let pid = key_id_by_name(&app, "Office sync").await;
    let (_, page) = app.client.page(&format!("/settings/api-keys/{pid}")).await;
    assert!(page.contains("203.0.113.0/24, 2001:db8::/32"), "{page}");

    // Edit: any address again, at once.
    let r = app
        .client
        .post_form(
            &format!("/settings/api-keys/{pid}"),
            &[
                ("name", "Office sync"),
                ("purpose", ""),
                ("owner", &owner_of(&app).await),
                ("allowed_ips", ""),
                ("rate_limit", ""),
            ],
        )
        .await;
    assert_redirect_to(&r, &format!("/settings/api-keys/{pid}"));
    assert_eq!(call_from(&app, &secret, "198.51.100.7").await.status(), 200);
}

/// The admin's public id (the Edit form's owner).
async fn owner_of(app: &TestApp) -> String {
    app.db(|c| {
        use mailrith::db::schema::users;
        users::table
            .filter(users::email.eq(ADMIN_EMAIL))
            .select(users::public_id)
            .first::<String>(c)
            .unwrap()
    })
    .await
}

async fn a_rate_limit_answers_429_with_its_headers(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    let (status, body, _) = generate(&app.client, &ws, "Importer", &[("rate_limit", "0")]).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("Enter a whole number of requests a minute"),
        "{body}"
    );
    let (_, _, secret) = generate(&app.client, &ws, "Importer", &[("rate_limit", "3")]).await;
    let secret = secret.unwrap();
    // Answers within the limit say where the key stands, so a client can slow down in time.
    for left in (0..3).rev() {
        let r = call_from(&app, &secret, "203.0.113.1").await;
        assert_eq!(r.status(), 200);
        let h = r.headers();
        assert_eq!(h["ratelimit-limit"], "3");
        assert_eq!(h["ratelimit-remaining"], left.to_string().as_str());
        let reset: u64 = h["ratelimit-reset"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&reset), "{reset}");
    }
    // A key without a limit answers none.
    let (_, _, free) = generate(&app.client, &ws, "Unlimited", &[]).await;
    let r = call_from(&app, &free.unwrap(), "203.0.113.1").await;
    assert_eq!(r.status(), 200);
    assert!(!r.headers().contains_key("ratelimit-limit"));
    let r = call_from(&app, &secret, "203.0.113.1").await;
    assert_eq!(r.status(), 429);
    let h = r.headers();
    assert_eq!(h["ratelimit-limit"], "3");
    assert_eq!(h["ratelimit-remaining"], "0");
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    assert_eq!(h["ratelimit-reset"].to_str().unwrap(), retry.to_string());
    // More refusals within the minute: the same answer each time, each counted, one line in the
    // history.
    for _ in 0..5 {
        let r = call_from(&app, &secret, "203.0.113.1").await;
        assert_eq!(r.status(), 429);
        let h = r.headers();
        assert_eq!(
            (&h["ratelimit-limit"], &h["ratelimit-remaining"]),
            (&"3".parse().unwrap(), &"0".parse().unwrap())
        );
        let again: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=retry).contains(&again), "{again} after {retry}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rate_limited", "{body}");
        assert_eq!(
            body["error"]["message"],
            format!("This key may make 3 requests a minute. Retry after {again} seconds."),
        );
    }
    assert_eq!(
        refusals(&app).await,
        vec!["refused: over its limit of 3 requests a minute".to_owned()]
    );
    assert_eq!(counted(&app, "Importer").await, (3, 6));
}
