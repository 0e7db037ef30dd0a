use diesel::prelude::*;
use mailrith::db::schema::{memberships, users, workspaces};

use crate::backend_tests;
use crate::helpers::*;

async fn first_run_setup_creates_the_admin_and_workspace_once(app: TestApp) {
    let token = app
        .setup_token
        .clone()
        .expect("no admin yet, so a setup token");

    // The login page tells a newcomer where to go.
    let (_, body) = app.client.page("/login").await;
    assert!(body.contains("one-time setup link"));

    // No token, or a wrong one: nothing to see.
    assert_eq!(app.client.get("/setup").await.status(), 404);
    assert_eq!(app.client.get("/setup?token=wrong").await.status(), 404);

    // The right token is exchanged for a session mark and dropped from the address bar.
    let r = app.client.get(&format!("/setup?token={token}")).await;
    assert_redirect_to(&r, "/setup");
    let (status, body) = app.client.page("/setup").await;
    assert_eq!(status, 200);
    assert!(body.contains("Create admin account"));
    assert!(!body.contains(&token));

    // Invalid input: 422, messages per field, nothing saved.
    let r = app
        .client
        .post_form(
            "/setup",
            &[
                ("name", " "),
                ("email", "not-an-email"),
                ("workspace", ""),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("Name is required."));
    assert!(body.contains("Enter an email address"));
    assert!(body.contains("Workspace name is required."));
    assert!(body.contains("Use at least 12 characters."));
    assert!(
        body.contains("value=\"not-an-email\""),
        "typed values are kept"
    );
    let count: i64 = app
        .db(|c| users::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(count, 0);

    app.setup_admin().await;
    let (status, body) = app.client.page("/settings/api-keys").await;
    assert_eq!(status, 200);
    assert!(body.contains(ADMIN_NAME));
    assert!(body.contains("Welcome to Mailrith"));

    let (is_admin, role, ws_name): (bool, String, String) = app
        .db(|c| {
            users::table
                .inner_join(memberships::table.inner_join(workspaces::table))
                .select((users::is_admin, memberships::role, workspaces::name))
                .first(c)
                .unwrap()
        })
        .await;
    assert!(is_admin);
    assert_eq!(role, "owner");
    assert_eq!(ws_name, WORKSPACE);

    // Once only: the token is spent, and a second browser cannot use it.
    let other = app.client.fresh();
    assert_eq!(
        other.get(&format!("/setup?token={token}")).await.status(),
        404
    );
    let r = app
        .client
        .post_form(
            "/setup",
            &[
                ("name", "Eve"),
                ("email", "eve@example.com"),
                ("workspace", "X"),
                ("password", ADMIN_PASSWORD),
                ("password_confirm", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), 404);
    let count: i64 = app
        .db(|c| users::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(count, 1);
}

/// A restarted server over a database that has an admin offers no setup link.
async fn no_setup_link_once_an_admin_exists(app: TestApp) {
    app.setup_admin().await;
    let again = spawn_app_on(
        app.backend,
        app.database.clone(),
        None,
        app.clock.clone(),
        |_| {},
    )
    .await;
    assert!(again.setup_token.is_none());
    let (_, body) = again.client.page("/login").await;
    assert!(!body.contains("one-time setup link"));
}

backend_tests!(
    first_run_setup_creates_the_admin_and_workspace_once,
    no_setup_link_once_an_admin_exists
);
