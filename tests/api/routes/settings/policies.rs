//! Workspace policies: Owners and Admins set them (audited); new keys and rotations follow the
//! maximum lifetime and the cap on active keys (refusals audited); keys unused for the chosen
//! number of days are revoked once, whoever runs the job.

use diesel::prelude::*;
use mailrith::db::schema::{api_keys, audit_events};
use mailrith::domain::audit::AuditAction;
use mailrith::domain::workspace::{Access, Role, WorkspaceAccess};
use reqwest::Method;

use super::team_members::{person, signed_in};
use crate::backend_tests;
use crate::helpers::*;
use crate::routes::api_v1::{call, new_key};

backend_tests!(
    owners_and_admins_set_policies_and_keys_follow_them,
    unused_keys_are_revoked_by_the_policy_once,
);

async fn audit_details(app: &TestApp, action: AuditAction) -> Vec<String> {
    app.db(move |c| {
        audit_events::table
            .filter(audit_events::action.eq(action.as_str()))
            .order(audit_events::id.asc())
            .select(audit_events::details)
            .load(c)
            .unwrap()
    })
    .await
}

async fn key_count(app: &TestApp) -> i64 {
    app.db(|c| api_keys::table.count().get_result(c).unwrap())
        .await
}

async fn owners_and_admins_set_policies_and_keys_follow_them(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    let url = format!("/settings/workspaces/{ws}/policies");
    let (s, page) = app.client.page(&url).await;
    assert_eq!(s, 200);
    for text in [
        "Maximum key lifetime",
        "Revoke keys unused for",
        "Active keys allowed",
        "value=\"500\"",
    ] {
        assert!(page.contains(text), "{text}");
    }
    let (_, list) = app.client.page("/settings/workspaces").await;
    assert!(list.contains(&url), "linked from Workspaces");

    // A member who manages keys does not set policies.
    person(
        &app,
        "carl@example.com",
        Some(WorkspaceAccess::new(
            Role::Member,
            Access::Manage,
            Access::None,
        )),
    )
    .await;
    let carl = signed_in(&app, "carl@example.com").await;
    assert_eq!(carl.get(&url).await.status(), 403);
    let r = carl
        .post_form(
            &url,
            &[
                ("max_lifetime", "30"),
                ("revoke_unused", "off"),
                ("max_active_keys", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);

    new_key(&app, "Forever", "read_only", "never").await;
    // Bad input names its field and saves nothing.
    let r = app
        .client
        .post_form(
            &url,
            &[
                ("max_lifetime", "45"),
                ("revoke_unused", "off"),
                ("max_active_keys", "0"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Choose a maximum key lifetime.")
            && body.contains("Enter a whole number from 1 to 100000.")
    );
    assert!(audit_details(&app, AuditAction::WorkspacePolicyChange)
        .await
        .is_empty());

    let r = app
        .client
        .post_form(
            &url,
            &[
                ("max_lifetime", "90"),
                ("revoke_unused", "off"),
                ("max_active_keys", "2"),
            ],
        )
        .await;
    assert_redirect_to(&r, &url);
    assert_eq!(
        audit_details(&app, AuditAction::WorkspacePolicyChange).await,
        vec!["maximum key lifetime: no limit → 90 days; active keys allowed: 500 → 2"]
    );
    let (_, page) = app.client.page(&url).await;
    assert!(
        page.contains("Keys longer than 90 days") && page.contains(">Forever</a>"),
        "{page}"
    );

    // The drawer no longer offers Never expires or 1 year, and says why.
    let (_, form) = app.client.page("/settings/api-keys/new").await;
    assert!(
        form.contains(&format!(
            "{WORKSPACE}&#39;s policy allows keys for at most 90 days"
        )) || form.contains(&format!(
            "{WORKSPACE}'s policy allows keys for at most 90 days"
        )),
        "{form}"
    );
    assert!(!form.contains("value=\"never\"") && !form.contains("value=\"365\""));
    assert!(
        form.contains("max=\"2027-02-25\""),
        "the custom date stops at the limit"
    );

    // The server refuses what the form does not offer, saves nothing, and records the refusal.
    let before = key_count(&app).await;
    for (expiration, date) in [("never", ""), ("365", ""), ("custom", "2027-06-01")] {
        let (status, body, _) = generate(
            &app.client,
            &ws,
            "Too long",
            &[("expiration", expiration), ("expires_on", date)],
        )
        .await;
        assert_eq!(status, 422, "{expiration}");
        assert!(
            body.contains("policy allows keys for at most 90 days"),
            "{body}"
        );
    }
    assert_eq!(key_count(&app).await, before);
    assert_eq!(
        audit_details(&app, AuditAction::ApiKeyPolicyRefused)
            .await
            .len(),
        3
    );

    // The cap: Forever and one more are the two active keys allowed.
    let (status, _, _) = generate(&app.client, &ws, "Second", &[("expiration", "30")]).await;
    assert_eq!(status, 200);
    let (status, body, _) = generate(&app.client, &ws, "Third", &[("expiration", "30")]).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("has 2 active keys, the most its policy allows"),
        "{body}"
    );
    assert_eq!(key_count(&app).await, before + 1);

    // A rotation keeps to the lifetime too.
    let forever = key_id_by_name(&app, "Forever").await;
    let r = app
        .client
        .rotate_key(&forever, &[("expiration", "keep")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("policy allows keys for at most 90 days"));
    let r = app
        .client
        .rotate_key(&forever, &[("expiration", "90")])
        .await;
    assert_eq!(r.status(), 200);
    let (_, page) = app.client.page(&url).await;
    assert!(page.contains("No active key outlives the policy"), "{page}");
    // Activity shows the policy change and the refusals, and filters them.
    let (_, activity) = app.client.page("/settings/activity").await;
    assert!(
        activity.contains("<code>workspace.policy_change</code>")
            && activity.contains("<code>api_key.policy_refused</code>"),
        "{activity}"
    );
    let (_, only) = app
        .client
        .page("/settings/activity?action=api_key.policy_refused")
        .await;
    assert_eq!(
        only.matches("<code>api_key.policy_refused</code>").count(),
        5
    );
    assert!(!only.contains("<code>workspace.policy_change</code>"));
}

async fn unused_keys_are_revoked_by_the_policy_once(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    let (used, _) = new_key(&app, "Busy", "read_only", "never").await;
    let (idle, idle_id) = new_key(&app, "Idle", "read_only", "never").await;
    app.client
        .post_form(
            &format!("/settings/workspaces/{ws}/policies"),
            &[
                ("max_lifetime", "none"),
                ("revoke_unused", "30"),
                ("max_active_keys", "500"),
            ],
        )
        .await;
    app.clock.advance(time::Duration::days(10));
    assert_eq!(
        call(&app.base, Method::GET, "/api/v1/key", Some(&used), None)
            .await
            .0,
        200
    );
    app.flush_last_used().await;
    app.clock.advance(time::Duration::days(21));
    app.sign_in_again().await;

    // Two processes' jobs at the same moment: the key is revoked and audited once.
    let now = app.clock_now();
    let first = app
        .db(move |c| {
            mailrith::services::policies::revoke_unused(c, now)
                .unwrap()
                .len()
        })
        .await;
    let second = app
        .db(move |c| {
            mailrith::services::policies::revoke_unused(c, now)
                .unwrap()
                .len()
        })
        .await;
    assert_eq!((first, second), (1, 0));
    let revocations = audit_details(&app, AuditAction::ApiKeyRevoke).await;
    assert_eq!(
        revocations,
        vec!["revoked by the workspace policy: unused for 30 days"]
    );
    assert_eq!(
        call(&app.base, Method::GET, "/api/v1/key", Some(&idle), None)
            .await
            .0,
        401
    );
    assert_eq!(
        call(&app.base, Method::GET, "/api/v1/key", Some(&used), None)
            .await
            .0,
        200
    );
    let (_, page) = app
        .client
        .page(&format!("/settings/api-keys/{idle_id}"))
        .await;
    assert!(page.contains("by the workspace policy"), "{page}");
}
