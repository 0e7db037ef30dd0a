use diesel::prelude::*;

mod api_keys;
mod exports;
mod key_search;
mod lifecycle;
mod policies;
mod reminders;
mod rotation;
pub(crate) mod team_members;

use mailrith::db::schema::{audit_events, users, workspaces};
use mailrith::domain::workspace::Role;

use crate::backend_tests;
use crate::helpers::*;

async fn admin_name(app: &TestApp) -> String {
    app.db(|c| {
        users::table
            .filter(users::email.eq(ADMIN_EMAIL))
            .select(users::name)
            .first(c)
            .unwrap()
    })
    .await
}

async fn settings_has_the_four_tabs_and_a_sidebar(app: TestApp) {
    assert_redirect_to(&app.client.get("/settings/profile").await, "/login");
    app.setup_admin().await;
    assert_redirect_to(&app.client.get("/").await, "/settings/api-keys");
    assert_redirect_to(&app.client.get("/settings").await, "/settings/api-keys");
    let (status, body) = app.client.page("/settings/api-keys").await;
    assert_eq!(status, 200);
    for text in [
        "Settings",
        "Profile",
        "API Keys",
        "Team Members",
        "Authorized Apps",
        "Integration Credentials",
        "Sign out",
    ] {
        assert!(body.contains(text), "{text}");
    }
    for path in [
        "/settings/profile",
        "/settings/team-members",
        "/settings/authorized-apps",
        "/settings/workspaces",
    ] {
        assert_eq!(app.client.get(path).await.status(), 200, "{path}");
    }
}

async fn csrf_is_required_on_every_unsafe_request(app: TestApp) {
    app.setup_admin().await;
    let token = app.client.csrf().await;
    // No token, a wrong token, a token from another session: 403, nothing changed.
    let other = app.client.fresh();
    let foreign = other.csrf().await;
    for bad in [None, Some("wrong"), Some(foreign.as_str())] {
        let mut fields = vec![("name", "Mallory")];
        if let Some(t) = bad {
            fields.push(("csrf_token", t));
        }
        let r = app.client.post_raw("/settings/profile", &fields, &[]).await;
        assert_eq!(r.status(), 403, "{bad:?}");
    }
    // The right token from another site is refused too.
    let r = app
        .client
        .post_raw(
            "/settings/profile",
            &[("name", "Mallory"), ("csrf_token", &token)],
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .client
        .post_raw(
            "/settings/profile",
            &[("name", "Mallory"), ("csrf_token", &token)],
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(admin_name(&app).await, ADMIN_NAME);
    // The htmx header is accepted in place of the field.
    let r = app
        .client
        .post_raw(
            "/settings/profile",
            &[("name", "Ada King")],
            &[("x-csrf-token", &token)],
        )
        .await;
    assert_redirect_to(&r, "/settings/profile");
    assert_eq!(admin_name(&app).await, "Ada King");
    // Sign-in and sign-out are protected as well.
    let c = app.client.fresh();
    let _ = c.csrf().await;
    let r = c
        .post_raw(
            "/login",
            &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
            &[],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app.client.post_raw("/logout", &[], &[]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.client.get("/settings/profile").await.status(),
        200,
        "still signed in"
    );
}

async fn profile_changes_name_with_field_errors(app: TestApp) {
    app.setup_admin().await;
    let r = app
        .client
        .post_form("/settings/profile", &[("name", "   ")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Name is required."));
    assert_eq!(admin_name(&app).await, ADMIN_NAME);
    let r = app
        .client
        .post_form("/settings/profile", &[("name", "  Countess Ada  ")])
        .await;
    assert_redirect_to(&r, "/settings/profile");
    assert_eq!(admin_name(&app).await, "Countess Ada");
    let (_, body) = app.client.page("/settings/profile").await;
    assert!(body.contains("Your name was saved."));
    let (_, body) = app.client.page("/settings/profile").await;
    assert!(!body.contains("Your name was saved."), "a flash shows once");
}

async fn password_change_signs_out_other_sessions(app: TestApp) {
    app.setup_admin().await;
    let laptop = app.client.fresh();
    assert_redirect_to(
        &laptop.login(ADMIN_EMAIL, ADMIN_PASSWORD).await,
        "/settings/api-keys",
    );

    let r = app
        .client
        .post_form(
            "/settings/profile/password",
            &[
                ("current_password", "nope"),
                ("password", "a new long password"),
                ("password_confirm", "a new long password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("The current password is not correct."));
    let r = app
        .client
        .post_form(
            "/settings/profile/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("password", "a new long password"),
                ("password_confirm", "different"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .client
        .post_form(
            "/settings/profile/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("password", "a new long password"),
                ("password_confirm", "a new long password"),
            ],
        )
        .await;
    assert_redirect_to(&r, "/settings/profile");
    assert_eq!(
        app.client.get("/settings/profile").await.status(),
        200,
        "this session continues"
    );
    assert_redirect_to(&laptop.get("/settings/profile").await, "/login");
    let c = app.client.fresh();
    assert_eq!(c.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 401);
    assert_redirect_to(
        &c.login(ADMIN_EMAIL, "a new long password").await,
        "/settings/api-keys",
    );
}

async fn admins_create_and_rename_workspaces(app: TestApp) {
    app.setup_admin().await;
    let r = app
        .client
        .post_form("/settings/workspaces", &[("name", "")])
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .client
        .post_form("/settings/workspaces", &[("name", "Globex Newsletter")])
        .await;
    assert_redirect_to(&r, "/settings/workspaces");
    let (_, body) = app.client.page("/settings/workspaces").await;
    assert!(body.contains("Globex Newsletter") && body.contains("Owner"));

    let pid: String = app
        .db(|c| {
            workspaces::table
                .filter(workspaces::name.eq("Globex Newsletter"))
                .select(workspaces::public_id)
                .first(c)
                .unwrap()
        })
        .await;
    let r = app
        .client
        .post_form(
            &format!("/settings/workspaces/{pid}/rename"),
            &[("name", "Globex Weekly")],
        )
        .await;
    assert_redirect_to(&r, "/settings/workspaces");
    let names: Vec<String> = app
        .db(|c| {
            workspaces::table
                .select(workspaces::name)
                .order(workspaces::id)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(
        names,
        vec![WORKSPACE.to_owned(), "Globex Weekly".to_owned()]
    );
    let actions: Vec<String> = app
        .db(|c| {
            audit_events::table
                .select(audit_events::action)
                .load(c)
                .unwrap()
        })
        .await;
    assert!(
        actions.contains(&"workspace.create".to_owned())
            && actions.contains(&"workspace.rename".to_owned())
    );
}

async fn workspace_changes_are_scoped_and_checked(app: TestApp) {
    app.setup_admin().await;
    app.create_user(
        "member@example.com",
        ADMIN_PASSWORD,
        false,
        Some(Role::Member),
    )
    .await;
    app.create_user("outsider@example.com", ADMIN_PASSWORD, false, None)
        .await;
    let pid: String = app
        .db(|c| {
            workspaces::table
                .select(workspaces::public_id)
                .first(c)
                .unwrap()
        })
        .await;
    let rename = format!("/settings/workspaces/{pid}/rename");

    let member = app.client.fresh();
    assert_redirect_to(
        &member.login("member@example.com", ADMIN_PASSWORD).await,
        "/settings/api-keys",
    );
    assert_eq!(
        member
            .post_form(&rename, &[("name", "Hacked")])
            .await
            .status(),
        403
    );
    assert_eq!(
        member
            .post_form("/settings/workspaces", &[("name", "Mine")])
            .await
            .status(),
        403
    );

    let outsider = app.client.fresh();
    assert_redirect_to(
        &outsider.login("outsider@example.com", ADMIN_PASSWORD).await,
        "/settings/api-keys",
    );
    assert_eq!(
        outsider
            .post_form(&rename, &[("name", "Hacked")])
            .await
            .status(),
        404
    );
    let (_, body) = outsider.page("/settings/workspaces").await;
    assert!(
        !body.contains(WORKSPACE),
        "an outsider does not see the workspace"
    );

    let names: Vec<String> = app
        .db(|c| workspaces::table.select(workspaces::name).load(c).unwrap())
        .await;
    assert_eq!(names, vec![WORKSPACE.to_owned()]);
}

async fn user_input_is_escaped(app: TestApp) {
    app.setup_admin().await;
    let evil = "\"><img src=x onerror=alert(1)><script>alert(2)</script>{{7*7}}";
    assert_redirect_to(
        &app.client
            .post_form("/settings/profile", &[("name", evil)])
            .await,
        "/settings/profile",
    );
    assert_redirect_to(
        &app.client
            .post_form("/settings/workspaces", &[("name", evil)])
            .await,
        "/settings/workspaces",
    );
    for path in [
        "/settings/profile",
        "/settings/workspaces",
        "/settings/api-keys",
    ] {
        let (_, body) = app.client.page(path).await;
        assert!(
            !body.contains("<img src=x") && !body.contains("<script>alert"),
            "{path}"
        );
        assert!(
            body.contains("&lt;script&gt;") || body.contains("&#60;script&#62;"),
            "{path} shows it escaped"
        );
        assert!(!body.contains(">49<"));
    }
}

/// Common passwords, and passwords built from the person's own email or name, are refused with a
/// reason at setup, on Change password and when accepting an invitation (ASVS 6.2.4).
async fn common_passwords_are_refused_everywhere(app: TestApp) {
    let weak = ["password1234", "123456789012", "qwertyuiop123"];
    // First-run setup.
    let token = app.setup_token.clone().unwrap();
    app.client.get(&format!("/setup?token={token}")).await;
    for pw in weak {
        let r = app
            .client
            .post_form(
                "/setup",
                &[
                    ("name", ADMIN_NAME),
                    ("email", ADMIN_EMAIL),
                    ("workspace", WORKSPACE),
                    ("password", pw),
                    ("password_confirm", pw),
                ],
            )
            .await;
        assert_eq!(r.status(), 422, "setup with {pw}");
        let page = r.text().await.unwrap();
        assert!(
            page.contains("easy to guess") || page.contains("common"),
            "{pw}: {page}"
        );
    }
    let personal = "adalovelace1815";
    let r = app
        .client
        .post_form(
            "/setup",
            &[
                ("name", ADMIN_NAME),
                ("email", ADMIN_EMAIL),
                ("workspace", WORKSPACE),
                ("password", personal),
                ("password_confirm", personal),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("from your name or email address"));
    app.setup_admin().await;

    // Change password.
    for pw in weak.iter().chain([&personal]) {
        let r = app
            .client
            .post_form(
                "/settings/profile/password",
                &[
                    ("current_password", ADMIN_PASSWORD),
                    ("password", pw),
                    ("password_confirm", pw),
                ],
            )
            .await;
        assert_eq!(r.status(), 422, "change to {pw}");
        assert!(r.text().await.unwrap().contains("easy to guess"), "{pw}");
    }

    // Accepting an invitation.
    let ws = workspace_id(&app, WORKSPACE).await;
    let r = app
        .client
        .post_form(
            "/settings/team-members/invitations",
            &[
                ("workspace", &ws),
                ("email", "grace.hopper@example.com"),
                ("role", "member"),
                ("api_keys", "view"),
                ("apps", "view"),
            ],
        )
        .await;
    let body = r.text().await.unwrap();
    let start = body.find("/invitations/").unwrap();
    let link: String = body[start..].chars().take_while(|c| *c != '"').collect();
    let grace = app.client.fresh();
    for pw in ["password1234", "gracehopper1906"] {
        let r = grace
            .post_form(
                &link,
                &[
                    ("name", "Grace Hopper"),
                    ("password", pw),
                    ("password_confirm", pw),
                ],
            )
            .await;
        assert_eq!(r.status(), 422, "accept with {pw}");
        assert!(r.text().await.unwrap().contains("easy to guess"), "{pw}");
    }
    let long = "Zk3vQw8LmP2rTn6YbX4sHc9JdF7gKa1eUo5iWy0zRt3qVm8NxB2pCl6jGh4uDs9f".to_owned();
    let r = grace
        .post_form(
            &link,
            &[
                ("name", "Grace Hopper"),
                ("password", &long),
                ("password_confirm", &long),
            ],
        )
        .await;
    assert_redirect_to(&r, "/settings/api-keys");
}

backend_tests!(
    common_passwords_are_refused_everywhere,
    settings_has_the_four_tabs_and_a_sidebar,
    csrf_is_required_on_every_unsafe_request,
    profile_changes_name_with_field_errors,
    password_change_signs_out_other_sessions,
    admins_create_and_rename_workspaces,
    workspace_changes_are_scoped_and_checked,
    user_input_is_escaped,
);
