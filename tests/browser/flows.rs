//! Every flow a person clicks through, with JavaScript and without, by keyboard alone, checked
//! with axe-core in every page, drawer and dialog state, and against the JSON API after each action.

use reqwest::Method;
use serde_json::json;

use super::{api, browser, lock, Browser};
use crate::helpers::*;

const KEY_RE_LEN: usize = 40;

/// First-run setup in the browser; leaves it signed in as the admin.
async fn setup_in_browser(app: &TestApp, b: &Browser) {
    let token = app.setup_token.clone().unwrap();
    b.goto(&format!("/setup?token={token}")).await;
    b.wait_text("Set up Mailrith").await;
    b.assert_accessible("the setup page").await;
    b.fill("Your name", ADMIN_NAME).await;
    b.fill("Email", ADMIN_EMAIL).await;
    b.fill("Workspace", WORKSPACE).await;
    b.fill("Password", ADMIN_PASSWORD).await;
    b.fill("Confirm password", ADMIN_PASSWORD).await;
    b.click("Create admin account").await;
    b.wait_text("Integration Credentials").await;
    assert_eq!(b.path().await, "/settings/api-keys");
}

/// Generates a key through the drawer (or the full page without JavaScript); returns the secret.
async fn generate_in_browser(
    b: &Browser,
    name: &str,
    access: &str,
    expiration: &str,
    javascript: bool,
) -> String {
    b.goto("/settings/api-keys").await;
    b.click("Generate API Key").await;
    if javascript {
        b.wait("#drawer [role=dialog]").await;
    } else {
        b.wait_text("Generate API Key").await;
        assert_eq!(
            b.path().await,
            "/settings/api-keys/new",
            "a whole page without JavaScript"
        );
    }
    b.select("Workspace", WORKSPACE).await;
    b.fill("Name", name).await;
    b.choose(access).await;
    b.choose(expiration).await;
    b.click("Generate").await;
    b.wait_text("Save Your API Key").await;
    let secret = b.value("#new-key").await;
    assert_eq!(secret.len(), KEY_RE_LEN);
    assert!(secret.starts_with("mlr_"));
    secret
}

async fn sign_in(b: &Browser, email: &str, password: &str) {
    b.goto("/login").await;
    b.fill("Email", email).await;
    b.fill("Password", password).await;
    b.click("Sign in").await;
    b.wait_text("Integration Credentials").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_sign_in_and_sign_out() {
    let _one = lock().await;
    let app = spawn_app(Backend::Sqlite).await;
    let Some(b) = browser(&app.client.base, true).await else {
        return;
    };
    b.goto("/login").await;
    b.wait_text("one-time setup link").await;
    b.assert_accessible("the sign-in page").await;
    setup_in_browser(&app, &b).await;
    b.assert_accessible("the empty API Keys tab").await;
    b.click("Sign out").await;
    b.wait_text("Sign in").await;
    assert_eq!(b.path().await, "/login");
    b.fill("Email", ADMIN_EMAIL).await;
    b.fill("Password", "not the password").await;
    b.click("Sign in").await;
    b.wait_text("Incorrect email or password.").await;
    b.assert_accessible("a failed sign-in").await;
    sign_in(&b, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for path in [
        "/settings/profile",
        "/settings/workspaces",
        "/settings/authorized-apps",
        "/developers/quickstart",
        "/settings/activity",
    ] {
        b.goto(path).await;
        b.wait("main").await;
        b.assert_accessible(path).await;
    }
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_keys_flow_with_javascript() {
    let _one = lock().await;
    let app = spawn_app(Backend::Sqlite).await;
    let Some(b) = browser(&app.client.base, true).await else {
        return;
    };
    setup_in_browser(&app, &b).await;

    // The drawer: opens, is accessible, generates.
    b.click("Generate API Key").await;
    b.wait("#drawer [role=dialog]").await;
    b.assert_accessible("the Generate API Key drawer").await;
    b.screenshots("generate-drawer").await;
    b.select("Workspace", WORKSPACE).await;
    b.fill("Name", "Website sign-up form").await;
    b.fill(
        "Purpose (optional)",
        "Adds subscribers from the footer form",
    )
    .await;
    b.choose("Read and Write").await;
    b.choose("30 days").await;
    b.click("Generate").await;
    b.wait_text("Save Your API Key").await;
    let secret = b.value("#new-key").await;
    assert!(secret.starts_with("mlr_") && secret.len() == KEY_RE_LEN);
    b.assert_accessible("the Save Your API Key dialog").await;
    b.click("Copy").await;
    b.wait_text("Copied").await;
    b.screenshots("save-your-api-key").await;
    assert_eq!(
        api(&b.base, Method::GET, "/api/v1/key", &secret, None).await,
        200
    );
    assert_eq!(
        api(
            &b.base,
            Method::POST,
            "/api/v1/contacts",
            &secret,
            Some(json!({"email": "ada@example.com"}))
        )
        .await,
        201
    );

    b.click("I have saved the key").await;
    b.wait("tr.highlight").await;
    assert!(b
        .wait("tr.highlight")
        .await
        .text()
        .await
        .unwrap()
        .contains("Website sign-up form"));
    assert!(
        !b.client.source().await.unwrap().contains(&secret),
        "the secret is gone from the page"
    );

    // Two more keys, then Search API keys as one types.
    let reporting =
        generate_in_browser(&b, "Reporting dashboard", "Read Only", "90 days", true).await;
    b.click("I have saved the key").await;
    b.wait("tr.highlight").await;
    assert_eq!(
        api(
            &b.base,
            Method::POST,
            "/api/v1/contacts",
            &reporting,
            Some(json!({"email": "x@example.com"}))
        )
        .await,
        403,
        "Read Only cannot write"
    );
    b.assert_accessible("the API Keys list").await;
    b.screenshots("api-keys").await;

    b.fill("Search API keys", "sign-up").await;
    for _ in 0..50 {
        if b.path().await.contains("q=sign-up") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        b.path().await.contains("q=sign-up"),
        "the URL follows the search"
    );
    b.wait_text("1 key").await;
    let results = b.wait("#keys-results").await.text().await.unwrap();
    assert!(results.contains("Website sign-up form") && !results.contains("Reporting dashboard"));
    b.screenshots("api-keys-search").await;
    b.client.refresh().await.unwrap();
    b.wait_text("1 key").await;
    assert_eq!(
        b.value("#key-search").await,
        "sign-up",
        "reloading keeps the search"
    );
    for (q, expect) in [("lovelace", 2), ("acme", 2), ("reporting", 1)] {
        b.fill("Search API keys", q).await;
        let want = if expect == 1 {
            "1 key".to_owned()
        } else {
            format!("{expect} keys")
        };
        b.wait_text(&want).await;
    }

    // Rotate: a new secret, shown once, differs; the old one stops at once.
    b.goto("/settings/api-keys?q=sign-up").await;
    b.click("Website sign-up form").await;
    b.wait_text("History").await;
    b.assert_accessible("a key's detail page").await;
    b.click("Rotate").await;
    b.wait("#drawer [role=alertdialog]").await;
    b.assert_accessible("the Rotate dialog").await;
    b.click("Rotate").await;
    b.wait_text("Save Your API Key").await;
    let rotated = b.value("#new-key").await;
    assert_ne!(rotated, secret);
    assert_eq!(
        api(&b.base, Method::GET, "/api/v1/key", &secret, None).await,
        401
    );
    assert_eq!(
        api(&b.base, Method::GET, "/api/v1/key", &rotated, None).await,
        200
    );
    b.click("I have saved the key").await;
    b.wait("tr.highlight").await;

    // Revoke: shown as revoked, no Rotate, and the API refuses the key.
    b.click("Website sign-up form").await;
    b.wait_text("History").await;
    b.click("Revoke").await;
    b.wait("#drawer [role=alertdialog]").await;
    b.assert_accessible("the Revoke dialog").await;
    b.click("Revoke").await;
    b.wait_text("It stopped working immediately.").await;
    assert!(b.body_text().await.contains("Revoked"));
    assert!(
        !b.has_control("Rotate").await,
        "a revoked key has no Rotate"
    );
    assert_eq!(
        api(&b.base, Method::GET, "/api/v1/key", &rotated, None).await,
        401
    );

    // The whole pages that serve browsers without JavaScript, audited here where axe can run.
    let key = b.path().await;
    b.goto("/settings/api-keys/new").await;
    b.wait_text("Generate API Key").await;
    b.assert_accessible("the Generate API Key page").await;
    b.select("Workspace", WORKSPACE).await;
    b.fill("Name", "Whole page").await;
    b.click("Generate").await;
    b.wait_text("Save Your API Key").await;
    assert_eq!(
        b.path().await,
        "/settings/api-keys",
        "the whole page posts as a plain form"
    );
    b.assert_accessible("the Save Your API Key page").await;
    let whole = crate::helpers::key_id_by_name(&app, "Whole page").await;
    for (path, state) in [
        ("edit", "the Edit page"),
        ("rotate", "the Rotate page"),
        ("revoke", "the Revoke page"),
    ] {
        b.goto(&format!("/settings/api-keys/{whole}/{path}")).await;
        b.wait("main form").await;
        b.assert_accessible(state).await;
    }
    let _ = key;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_keys_flow_without_javascript() {
    let _one = lock().await;
    let app = spawn_app(Backend::Sqlite).await;
    let Some(b) = browser(&app.client.base, false).await else {
        return;
    };
    setup_in_browser(&app, &b).await;
    let secret = generate_in_browser(&b, "CRM sync", "Read and Write", "60 days", false).await;
    b.assert_accessible("the Save page without JavaScript")
        .await;
    assert_eq!(
        api(&b.base, Method::GET, "/api/v1/key", &secret, None).await,
        200
    );
    b.click("I have saved the key").await;
    b.wait("tr.highlight").await;
    b.fill("Search API keys", "crm").await;
    b.click("Search").await;
    b.wait_text("1 key").await;
    assert!(b.path().await.contains("q=crm"));
    b.click("CRM sync").await;
    b.wait_text("History").await;
    b.click("Rotate").await;
    b.wait_text("The old secret stops working immediately")
        .await;
    assert!(
        b.path().await.ends_with("/rotate"),
        "a whole page without JavaScript"
    );
    b.click("Rotate").await;
    b.wait_text("Save Your API Key").await;
    let rotated = b.value("#new-key").await;
    assert_ne!(rotated, secret);
    assert_eq!(
        api(&b.base, Method::GET, "/api/v1/key", &secret, None).await,
        401
    );
    b.click("I have saved the key").await;
    b.wait("tr.highlight").await;
    b.click("CRM sync").await;
    b.wait_text("History").await;
    b.click("Revoke").await;
    b.wait_text("cannot be undone").await;
    b.click("Revoke").await;
    b.wait_text("It stopped working immediately.").await;
    assert_eq!(
        api(&b.base, Method::GET, "/api/v1/key", &rotated, None).await,
        401
    );
    b.close().await;
}

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
const SPACE: &str = "\u{E00D}";

/// Tabs forward until the focused element has this id (or text).
async fn tab_to(b: &Browser, target: &str) {
    for _ in 0..60 {
        if b.active_id().await == target {
            return;
        }
        b.keys(TAB).await;
    }
    panic!(
        "Tab never reached {target}; focus is on {}",
        b.active_id().await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_api_keys_flow_by_keyboard_alone() {
    let _one = lock().await;
    let app = spawn_app(Backend::Sqlite).await;
    let Some(b) = browser(&app.client.base, true).await else {
        return;
    };
    setup_in_browser(&app, &b).await;
    b.goto("/settings/api-keys").await;
    b.wait("#generate-key").await;
    b.client
        .execute("document.body.focus()", vec![])
        .await
        .unwrap();
    tab_to(&b, "generate-key").await;
    b.keys(ENTER).await;
    b.wait("#drawer [role=dialog]").await;
    assert!(
        b.active_inside("#drawer [role=dialog]").await,
        "focus moves into the drawer"
    );
    for _ in 0..30 {
        b.keys(TAB).await;
        assert!(
            b.active_inside("#drawer [role=dialog]").await,
            "focus stays inside the drawer"
        );
    }
    b.keys(ESCAPE).await;
    b.wait_gone("#drawer [role=dialog]").await;
    assert_eq!(
        b.active_id().await,
        "generate-key",
        "focus returns to the button that opened it"
    );

    b.keys(ENTER).await;
    b.wait("#drawer [role=dialog]").await;
    tab_to(&b, "gen-name").await;
    b.keys("Keyboard import").await;
    tab_to(&b, "Generate").await;
    b.keys(ENTER).await;
    b.wait_text("Save Your API Key").await;
    assert!(b.active_inside("#drawer [role=dialog]").await);
    let secret = b.value("#new-key").await;
    tab_to(&b, "Copy").await;
    b.keys(SPACE).await;
    b.wait_text("Copied").await;
    tab_to(&b, "I have saved the key").await;
    b.keys(ENTER).await;
    b.wait("tr.highlight").await;
    assert_eq!(
        api(&b.base, Method::GET, "/api/v1/key", &secret, None).await,
        200
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_members_invite_accept_change_and_remove() {
    let _one = lock().await;
    let app = spawn_app(Backend::Sqlite).await;
    let Some(admin) = browser(&app.client.base, true).await else {
        return;
    };
    setup_in_browser(&app, &admin).await;
    admin.goto("/settings/team-members").await;
    admin.wait_text("Invite a team member").await;
    admin.assert_accessible("the Team Members tab").await;
    admin.fill("Email", "maya@example.com").await;
    admin.select("Role", "Member").await;
    admin.select("API Keys (Members)", "View").await;
    admin.click("Create invitation link").await;
    let link = admin.value("#invite-link").await;
    assert!(link.contains("/invitations/"));
    admin.assert_accessible("a new invitation link").await;

    // A second browser session accepts it.
    let Some(maya) = browser(&app.client.base, true).await else {
        return;
    };
    maya.client.goto(&link).await.unwrap();
    maya.wait_text("Join Acme Marketing").await;
    maya.assert_accessible("the invitation page").await;
    maya.fill("Your name", "Maya Member").await;
    maya.fill("Password", "maya's long password").await;
    maya.fill("Confirm password", "maya's long password").await;
    maya.click("Create account and join").await;
    maya.wait_text("Integration Credentials").await;
    assert!(
        !maya.has_control("Generate API Key").await,
        "View cannot generate"
    );

    // The admin gives her Manage; her next page has Generate.
    admin.goto("/settings/team-members").await;
    admin.wait_text("Maya Member").await;
    admin.screenshots("team-members").await;
    let xpath = "//tr[contains(., 'maya@example.com')]//a[normalize-space(.)='Change access']";
    admin
        .client
        .find(fantoccini::Locator::XPath(xpath))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    admin.wait("#drawer [role=dialog]").await;
    admin.assert_accessible("the Change access dialog").await;
    admin.select("API Keys", "Manage").await;
    admin.click("Save access").await;
    admin.wait_text("Access changed").await;
    maya.goto("/settings/api-keys").await;
    maya.wait_text("Integration Credentials").await;
    assert!(
        maya.has_control("Generate API Key").await,
        "Manage can generate"
    );
    let secret = generate_in_browser(&maya, "Maya's sync", "Read Only", "30 days", true).await;
    assert_eq!(
        api(&maya.base, Method::GET, "/api/v1/key", &secret, None).await,
        200
    );
    maya.click("I have saved the key").await;
    maya.wait("tr.highlight").await;

    // Removed: her browser is signed out on its next click, and the review revokes her key.
    admin.goto("/settings/team-members").await;
    admin
        .client
        .find(fantoccini::Locator::XPath(xpath))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    admin.wait("#drawer [role=dialog]").await;
    admin.click("Remove from Acme Marketing").await;
    admin.wait_text("Offboarding review").await;
    admin.assert_accessible("the offboarding review").await;
    maya.click("Profile").await;
    maya.wait_text("Sign in").await;
    assert_eq!(maya.path().await, "/login");
    admin.click("Revoke all 1 keys").await;
    admin.wait_text("Nothing left to review").await;
    assert_eq!(
        api(&admin.base, Method::GET, "/api/v1/key", &secret, None).await,
        401
    );
    maya.close().await;
    admin.close().await;
}

/// Choosing a Role or a permission in the Invite form keeps the typed email (the search form's
/// trigger used to catch every select on the page and reload the panel), and changing the
/// Generate drawer's Workspace does not reload the API Keys list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn choosing_in_one_form_never_reloads_another() {
    let _one = lock().await;
    let app = spawn_app(Backend::Sqlite).await;
    let Some(b) = browser(&app.client.base, true).await else {
        return;
    };
    setup_in_browser(&app, &b).await;
    let now = app.clock_now();
    app.db(move |c| {
        use mailrith::models::{users, workspaces};
        let admin = users::find_by_email(c, ADMIN_EMAIL).unwrap().unwrap();
        let ws = workspaces::create(c, "Second Workspace", now).unwrap();
        let owner = workspaces::default_access(mailrith::domain::workspace::Role::Owner);
        workspaces::add_member(c, ws.id, admin.id, owner, now).unwrap();
    })
    .await;

    b.goto("/settings/team-members").await;
    b.wait_text("Invite a team member").await;
    b.fill("Email", "grace@example.com").await;
    b.select("Role", "Admin").await;
    b.select("Role", "Member").await;
    b.select("API Keys (Members)", "Manage").await;
    b.select("Authorized Apps (Members)", "None").await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(
        b.value("#invite-email").await,
        "grace@example.com",
        "the typed email survives choosing Role and permissions"
    );
    b.click("Create invitation link").await;
    b.wait_text("Invitation link for grace@example.com").await;
    assert!(b.value("#invite-link").await.contains("/invitations/"));

    generate_in_browser(&b, "Listed key", "Read Only", "90 days", true).await;
    b.click("I have saved the key").await;
    b.wait("tr.highlight").await;
    b.click("Generate API Key").await;
    b.wait("#drawer [role=dialog]").await;
    b.client
        .execute(
            "document.getElementById('keys-results').dataset.marker = 'still here'; return true;",
            vec![],
        )
        .await
        .unwrap();
    b.wait("#drawer #gen-name")
        .await
        .send_keys("Typed before choosing")
        .await
        .unwrap();
    // The drawer's own Workspace (the filters above have a Workspace too).
    b.wait("#drawer #gen-workspace")
        .await
        .select_by_label("Second Workspace")
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let marker = b
        .client
        .execute(
            "return document.getElementById('keys-results').dataset.marker || '';",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(marker, "still here", "the list was not reloaded");
    assert_eq!(b.value("#gen-name").await, "Typed before choosing");
    b.close().await;
}

/// A rotation with a 1-hour overlap, as an admin does it: the list shows the old secret still in
/// use, the integration switches to the new one, and "Retire old secret now" finishes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_with_a_one_hour_overlap() {
    let _one = lock().await;
    let app = spawn_app(Backend::Sqlite).await;
    let Some(b) = browser(&app.client.base, true).await else {
        return;
    };
    setup_in_browser(&app, &b).await;
    let old = generate_in_browser(&b, "CRM sync", "Read and Write", "90 days", true).await;
    b.click("I have saved the key").await;
    b.wait("tr.highlight").await;
    b.click("CRM sync").await;
    b.wait_text("History").await;
    b.click("Rotate").await;
    b.wait("#drawer [role=alertdialog]").await;
    b.choose("In 1 hour").await;
    b.assert_accessible("the Rotate dialog with an overlap chosen")
        .await;
    b.click("Rotate").await;
    b.wait_text("keeps working until").await;
    let new = b.value("#new-key").await;
    assert_ne!(new, old);

    // The integration has not switched yet: it still calls with the old secret.
    assert_eq!(
        api(&b.base, Method::GET, "/api/v1/key", &old, None).await,
        200
    );
    app.flush_last_used().await;
    b.click("I have saved the key").await;
    b.wait_text("old secret still used").await;
    assert!(b.has_control("Retire old secret now").await);
    b.assert_accessible("the list with a rotation in progress")
        .await;

    // It switches: the new secret is used, the old one no more.
    app.clock.advance(time::Duration::minutes(2));
    assert_eq!(
        api(&b.base, Method::GET, "/api/v1/key", &new, None).await,
        200
    );
    app.flush_last_used().await;
    b.click("CRM sync").await;
    b.wait_text("old secret not used since the new one was first used")
        .await;
    assert!(b.body_text().await.contains("Rotation in progress"));
    b.assert_accessible("a key page with a rotation in progress")
        .await;

    // Retire old secret now finishes the rotation: only the new secret works.
    b.click("Retire old secret now").await;
    b.wait_text("Only the new secret works now").await;
    assert!(!b.body_text().await.contains("Rotation in progress"));
    assert!(b.body_text().await.contains("Retired the old secret"));
    assert_eq!(
        api(&b.base, Method::GET, "/api/v1/key", &old, None).await,
        401
    );
    assert_eq!(
        api(&b.base, Method::GET, "/api/v1/key", &new, None).await,
        200
    );

    // The workspace's Policies: set a maximum lifetime; the page lists the longer key.
    b.goto("/settings/workspaces").await;
    b.click(&format!("Policies of {WORKSPACE}")).await;
    b.wait_text("Maximum key lifetime").await;
    b.assert_accessible("the Policies page").await;
    b.choose("30 days").await;
    b.click("Save policies").await;
    b.wait_text("Policies saved.").await;
    b.wait_text("Keys longer than 30 days").await;
    b.assert_accessible("the Policies page with longer keys")
        .await;
    b.close().await;
}

/// A key a secret scanner reported: the list and its page say "Leaked" and where (axe clean).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaked_key_is_marked_where_people_look() {
    use crate::routes::secret_scanning::{leak_report, report, sign, signing_key, trusted};
    let _one = lock().await;
    let github = signing_key(1);
    let keys = trusted(&github);
    let app = spawn_app(Backend::Sqlite)
        .await
        .respawn(move |s| s.secret_scanning = Some(keys))
        .await;
    let Some(b) = browser(&app.client.base, true).await else {
        return;
    };
    setup_in_browser(&app, &b).await;
    let secret = generate_in_browser(
        &b,
        "Website sign-up form",
        "Read and Write",
        "90 days",
        true,
    )
    .await;
    let body = leak_report(&secret);
    let (status, _) = report(&app, &body, Some("github-1"), Some(&sign(&github, &body))).await;
    assert_eq!(status, 200);
    b.goto("/settings/api-keys").await;
    b.wait_text("Leaked").await;
    b.assert_accessible("the list with a leaked key").await;
    b.click("Website sign-up form").await;
    b.wait_text("Reported public").await;
    assert!(b.body_text().await.contains("It was revoked at once"));
    b.assert_accessible("a leaked key's page").await;
    assert_eq!(
        api(&b.base, Method::GET, "/api/v1/key", &secret, None).await,
        401
    );
    b.close().await;
}

/// A key's use: "Top keys this week" on the list, and on its page the chart, its summary and its
/// table (axe clean, the table opened).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keys_use_is_charted_and_ranked() {
    let _one = lock().await;
    let app = spawn_app(Backend::Sqlite).await;
    let Some(b) = browser(&app.client.base, true).await else {
        return;
    };
    setup_in_browser(&app, &b).await;
    let secret = generate_in_browser(&b, "CRM sync", "Read Only", "90 days", true).await;
    for _ in 0..4 {
        assert_eq!(
            api(&b.base, Method::GET, "/api/v1/key", &secret, None).await,
            200
        );
    }
    app.flush_last_used().await;
    b.goto("/settings/api-keys").await;
    b.wait_text("Top keys this week").await;
    assert!(b.body_text().await.contains("4 requests"));
    b.assert_accessible("the list with Top keys this week")
        .await;
    b.click("See every key by Most used (7 days)").await;
    b.wait_text("REQUESTS (7 DAYS)").await;
    b.click("CRM sync").await;
    b.wait_text("4 requests in the last 7 days").await;
    b.client
        .find(fantoccini::Locator::XPath(
            "//summary[normalize-space(.)='Requests per day as a table']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait_text("SUCCESSFUL").await;
    b.assert_accessible("a key's usage chart and table").await;
    b.close().await;
}

/// The icon is linked from the layout and served, as is `/favicon.ico` (no failed request on a
/// first visit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_icon_is_linked_and_served() {
    let _one = lock().await;
    let app = spawn_app(Backend::Sqlite).await;
    let Some(b) = browser(&app.client.base, true).await else {
        return;
    };
    b.goto("/login").await;
    b.wait_text("Sign in").await;
    let statuses = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const link = document.querySelector('link[rel=icon]');
             if (!link) { done(['no icon link']); return; }
             Promise.all([link.href, '/favicon.ico'].map(u => fetch(u).then(r => r.status + ' ' + r.headers.get('content-type'))))
               .then(done, e => done(['failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    let statuses: Vec<String> = serde_json::from_value(statuses).unwrap();
    assert_eq!(
        statuses,
        vec!["200 image/svg+xml", "200 image/x-icon"],
        "icon link and /favicon.ico"
    );
    b.close().await;
}

/// Closing a browser ends Chromium too: nothing started with its profile keeps running. (The
/// suite used to leave every Chromium it started behind.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_browser_leaves_no_chromium_behind() {
    let _one = lock().await;
    let app = spawn_app(Backend::Sqlite).await;
    for close in [true, false] {
        let Some(b) = browser(&app.client.base, true).await else {
            return;
        };
        b.goto("/login").await;
        b.wait_text("Sign in").await;
        let profile = b.profile.0.display().to_string();
        assert!(
            !super::processes_mentioning(&profile).is_empty(),
            "Chromium runs with its own profile"
        );
        if close {
            b.close().await;
        } else {
            drop(b); // as when a flow panics
        }
        let mut left = Vec::new();
        for _ in 0..50 {
            left = super::processes_mentioning(&profile);
            if left.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(left.is_empty(), "still running (close: {close}): {left:#?}");
    }
}
