use std::time::Instant;

use diesel::prelude::*;
use mailrith::db::schema::{sessions, users};

use crate::backend_tests;
use crate::helpers::*;

async fn sign_in_renews_the_session_id(app: TestApp) {
    app.setup_admin().await;
    app.client.post_form("/logout", &[]).await;
    let _ = app.client.csrf().await;
    let before = app
        .client
        .cookie("__Host-mailrith")
        .expect("anonymous session for the form's token");
    let r = app.client.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_redirect_to(&r, "/settings/api-keys");
    let after = app.client.cookie("__Host-mailrith").unwrap();
    assert_ne!(before, after, "a new session id at sign-in");
    assert_eq!(app.client.get("/settings/profile").await.status(), 200);

    // The pre-login cookie is dead.
    let old = app.client.fresh();
    old.set_cookie("__Host-mailrith", &before);
    assert_redirect_to(&old.get("/settings/profile").await, "/login");

    // Sign-in is case-insensitive in the email.
    let other = app.client.fresh();
    assert_redirect_to(
        &other.login("  ADA@Example.com ", ADMIN_PASSWORD).await,
        "/settings/api-keys",
    );
}

/// Unknown email, wrong password and a disabled account look the same: same status, same message.
async fn failures_are_generic(app: TestApp) {
    app.setup_admin().await;
    let disabled = app
        .create_user("dis@example.com", ADMIN_PASSWORD, false, None)
        .await;
    app.db(move |c| mailrith::models::users::set_disabled(c, disabled, true).unwrap())
        .await;

    let c = app.client.fresh();
    let mut bodies = Vec::new();
    for (email, password) in [
        ("nobody@example.com", ADMIN_PASSWORD),
        (ADMIN_EMAIL, "wrong password entirely"),
        ("dis@example.com", ADMIN_PASSWORD),
    ] {
        let r = c.login(email, password).await;
        assert_eq!(r.status(), 401, "{email}");
        let body = r.text().await.unwrap();
        assert!(body.contains("Incorrect email or password."));
        bodies.push(
            body.replace(email, "EMAIL")
                .replace(&extract_csrf(&body).unwrap(), "TOKEN"),
        );
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[1], bodies[2]);
}

/// About the same time for an unknown email and a wrong password: both pay for one Argon2id
/// verification. Compares the fastest of five of each (the least disturbed by other load),
/// with loose bounds, since this machine is shared.
async fn failures_take_about_the_same_time(app: TestApp) {
    app.setup_admin().await;
    let c = app.client.fresh();
    let _ = c.csrf().await;
    assert_eq!(c.login("warm-up@example.com", "x").await.status(), 401);
    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    // Four wrong passwords for the account stay under its limit of five.
    for i in 0..4 {
        let t = Instant::now();
        assert_eq!(
            c.login(&format!("nobody{i}@example.com"), "x")
                .await
                .status(),
            401
        );
        unknown.push(t.elapsed());
        let t = Instant::now();
        assert_eq!(
            c.login(ADMIN_EMAIL, &format!("wrong-{i}")).await.status(),
            401
        );
        wrong.push(t.elapsed());
    }
    let u = unknown.iter().min().unwrap().as_secs_f64();
    let w = wrong.iter().min().unwrap().as_secs_f64();
    assert!(
        u > w * 0.5 && w > u * 0.5,
        "unknown {u:.3}s vs wrong password {w:.3}s"
    );
}

async fn five_failures_lock_the_account_for_at_most_15_minutes(app: TestApp) {
    app.setup_admin().await;
    let attacker = app.client.fresh();
    for _ in 0..5 {
        assert_eq!(attacker.login(ADMIN_EMAIL, "guess").await.status(), 401);
    }
    // Even the right password is refused now, from anywhere, with Retry-After.
    let admin = app.client.fresh();
    let r = admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Too many failed sign-in attempts"));

    // Attempts while locked do not extend the lock.
    app.clock.advance(time::Duration::minutes(10));
    for _ in 0..5 {
        assert_eq!(attacker.login(ADMIN_EMAIL, "guess").await.status(), 429);
    }
    app.clock
        .advance(time::Duration::minutes(5) + time::Duration::seconds(1));
    assert_redirect_to(
        &admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await,
        "/settings/api-keys",
    );
}

async fn twenty_failures_from_one_address_are_throttled(app: TestApp) {
    app.setup_admin().await;
    let c = app.client.fresh();
    for i in 0..20 {
        // A spoofed X-Forwarded-For is ignored: no proxy is trusted by default.
        let token = c.csrf().await;
        let email = format!("user{i}@example.com");
        let fake_ip = format!("10.0.0.{i}");
        let r = c
            .post_raw(
                "/login",
                &[("email", &email), ("password", "x"), ("csrf_token", &token)],
                &[("x-forwarded-for", &fake_ip)],
            )
            .await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    let r = c.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
}

/// Behind a configured proxy, the forwarded address is the one throttled.
async fn forwarded_for_is_trusted_only_when_configured(app: TestApp) {
    let behind = spawn_app_on(
        app.backend,
        app.database.clone(),
        None,
        app.clock.clone(),
        |s| {
            s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        },
    )
    .await;
    let c = behind.client.fresh();
    for i in 0..20 {
        let token = c.csrf().await;
        let email = format!("user{i}@example.com");
        let r = c
            .post_raw(
                "/login",
                &[("email", &email), ("password", "x"), ("csrf_token", &token)],
                &[("x-forwarded-for", "203.0.113.7")],
            )
            .await;
        assert_eq!(r.status(), 401);
    }
    let token = c.csrf().await;
    let from_blocked = c
        .post_raw(
            "/login",
            &[
                ("email", "z@example.com"),
                ("password", "x"),
                ("csrf_token", &token),
            ],
            &[("x-forwarded-for", "203.0.113.7")],
        )
        .await;
    assert_eq!(from_blocked.status(), 429);
    let from_other = c
        .post_raw(
            "/login",
            &[
                ("email", "z@example.com"),
                ("password", "x"),
                ("csrf_token", &token),
            ],
            &[("x-forwarded-for", "203.0.113.8")],
        )
        .await;
    assert_eq!(
        from_other.status(),
        401,
        "another client behind the proxy is not blocked"
    );
}

async fn sign_out_ends_the_session_on_the_server(app: TestApp) {
    app.setup_admin().await;
    let cookie = app.client.cookie("__Host-mailrith").unwrap();
    let r = app.client.post_form("/logout", &[]).await;
    assert_redirect_to(&r, "/login");
    let rows: i64 = app
        .db(|c| {
            sessions::table
                .filter(sessions::user_id.is_not_null())
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(rows, 0, "no signed-in session left in the database");

    // The old cookie, replayed, is rejected.
    let replay = app.client.fresh();
    replay.set_cookie("__Host-mailrith", &cookie);
    assert_redirect_to(&replay.get("/settings/profile").await, "/login");
}

async fn disabling_a_user_ends_their_sessions_at_once(app: TestApp) {
    app.setup_admin().await;
    let id = app
        .create_user("bob@example.com", ADMIN_PASSWORD, false, None)
        .await;
    let bob = app.client.fresh();
    assert_redirect_to(
        &bob.login("bob@example.com", ADMIN_PASSWORD).await,
        "/settings/api-keys",
    );
    assert_eq!(bob.get("/settings/profile").await.status(), 200);
    app.db(move |c| {
        diesel::update(users::table.find(id))
            .set(users::disabled.eq(true))
            .execute(c)
            .unwrap();
    })
    .await;
    assert_redirect_to(&bob.get("/settings/profile").await, "/login");
}

backend_tests!(
    sign_in_renews_the_session_id,
    failures_are_generic,
    failures_take_about_the_same_time,
    five_failures_lock_the_account_for_at_most_15_minutes,
    twenty_failures_from_one_address_are_throttled,
    forwarded_for_is_trusted_only_when_configured,
    sign_out_ends_the_session_on_the_server,
    disabling_a_user_ends_their_sessions_at_once,
);
