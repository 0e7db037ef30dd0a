use diesel::prelude::*;
use mailrith::db::schema::sessions;

use crate::backend_tests;
use crate::helpers::*;

async fn idle_sessions_end_after_30_minutes(app: TestApp) {
    app.setup_admin().await;
    // Activity keeps the session alive...
    for _ in 0..3 {
        app.clock.advance(time::Duration::minutes(25));
        assert_eq!(app.client.get("/settings/profile").await.status(), 200);
    }
    // ...31 idle minutes end it.
    app.clock.advance(time::Duration::minutes(31));
    assert_redirect_to(&app.client.get("/settings/profile").await, "/login");
}

async fn sessions_end_12_hours_after_sign_in_however_active(app: TestApp) {
    app.setup_admin().await;
    for _ in 0..(12 * 60 / 20) {
        app.clock.advance(time::Duration::minutes(20));
        if app.client.get("/settings/profile").await.status() != 200 {
            panic!("ended before 12 hours");
        }
    }
    app.clock.advance(time::Duration::minutes(20));
    assert_redirect_to(&app.client.get("/settings/profile").await, "/login");
}

async fn timeouts_are_configurable(app: TestApp) {
    let short = spawn_app_on(
        app.backend,
        app.database.clone(),
        None,
        app.clock.clone(),
        |s| {
            s.session.idle_timeout = std::time::Duration::from_secs(5 * 60);
        },
    )
    .await;
    let token = short.setup_token.clone().unwrap();
    assert_redirect_to(
        &short.client.get(&format!("/setup?token={token}")).await,
        "/setup",
    );
    let r = short
        .client
        .post_form(
            "/setup",
            &[
                ("name", ADMIN_NAME),
                ("email", ADMIN_EMAIL),
                ("workspace", WORKSPACE),
                ("password", ADMIN_PASSWORD),
                ("password_confirm", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_redirect_to(&r, "/settings/api-keys");
    short.clock.advance(time::Duration::minutes(6));
    assert_redirect_to(&short.client.get("/settings/profile").await, "/login");
}

async fn only_hashes_of_session_ids_are_stored(app: TestApp) {
    app.setup_admin().await;
    let cookie = app.client.cookie("__Host-mailrith").unwrap();
    let hashes: Vec<String> = app
        .db(|c| sessions::table.select(sessions::key_hash).load(c).unwrap())
        .await;
    assert!(!hashes.is_empty());
    let decoded = cookie.replace("%3D", "=");
    for h in &hashes {
        assert_eq!(h.len(), 64, "a SHA-256 in hex");
        assert!(!decoded.contains(h.as_str()));
    }
    // The cookie's session id part is not stored in any column.
    let states: Vec<String> = app
        .db(|c| sessions::table.select(sessions::state).load(c).unwrap())
        .await;
    for s in states {
        assert!(!s.contains(&decoded[decoded.len().saturating_sub(64)..]));
    }
}

async fn session_cookie_has_the_right_attributes(app: TestApp) {
    app.setup_admin().await;
    let _ = app.client.fresh().csrf().await;
    let c = app.client.fresh();
    let r = c.get("/login").await;
    let set = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set.starts_with("__Host-mailrith="), "{set}");
    for attr in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "{attr} missing in {set}");
    }
    assert!(!set.to_ascii_lowercase().contains("domain="), "{set}");
}

/// Two server processes on one database share sessions: signed in through one, the cookie works
/// on the other, and signing out through the other ends it on both.
async fn servers_sharing_a_database_share_sessions(app: TestApp) {
    app.setup_admin().await;
    let second = spawn_app_on(
        app.backend,
        app.database.clone(),
        None,
        app.clock.clone(),
        |_| {},
    )
    .await;
    let cookie = app.client.cookie("__Host-mailrith").unwrap();
    second.client.set_cookie("__Host-mailrith", &cookie);
    let (status, body) = second.client.page("/settings/profile").await;
    assert_eq!(status, 200);
    assert!(body.contains(ADMIN_NAME));
    assert_redirect_to(&second.client.post_form("/logout", &[]).await, "/login");
    assert_redirect_to(&app.client.get("/settings/profile").await, "/login");
}

/// Reading pages writes nothing to the session: actix-session marks a session changed on any
/// `remove`, present or not, and taking the (absent) flash message on every page made every page
/// view an UPDATE of the session row (a committed write, on SQLite the write lock).
async fn reading_pages_does_not_write_the_session(app: TestApp) {
    app.setup_admin().await;
    assert_eq!(app.client.get("/settings/api-keys").await.status(), 200);
    let row = || async {
        app.db(|c| {
            sessions::table
                .select((sessions::state, sessions::last_seen_at))
                .load::<(String, time::PrimitiveDateTime)>(c)
                .unwrap()
        })
        .await
    };
    let before = row().await;
    assert_eq!(before.len(), 1);
    // Within the 30 s in which last_seen_at is not touched again.
    app.clock.advance(time::Duration::seconds(10));
    for path in [
        "/settings/api-keys",
        "/settings/team-members",
        "/settings/profile",
    ] {
        assert_eq!(app.client.get(path).await.status(), 200, "{path}");
    }
    assert_eq!(row().await, before, "a page view rewrote the session");
}

backend_tests!(
    reading_pages_does_not_write_the_session,
    servers_sharing_a_database_share_sessions,
    idle_sessions_end_after_30_minutes,
    sessions_end_12_hours_after_sign_in_however_active,
    timeouts_are_configurable,
    only_hashes_of_session_ids_are_stored,
    session_cookie_has_the_right_attributes,
);
