//! Keys about to expire and keys nobody uses: badges, filters, the banner for people who manage
//! keys, and the offboarding review that lists stale keys first.

use mailrith::domain::workspace::{Access, Role, WorkspaceAccess};
use reqwest::Method;

use super::team_members::{person, signed_in};
use crate::backend_tests;
use crate::helpers::*;
use crate::routes::api_v1::{call, new_key};

backend_tests!(
    expiring_and_unused_keys_are_badged_filtered_and_announced,
    the_offboarding_review_lists_unused_keys_first,
);

fn row_of<'a>(list: &'a str, name: &str) -> &'a str {
    // The table's row (a used key is also named in "Top keys this week" above the table).
    let list = &list[list.find("<table").expect("a table of keys")..];
    let at = list
        .find(&format!(">{name}</a>"))
        .unwrap_or_else(|| panic!("no row for {name}"));
    let start = list[..at].rfind("<tr").unwrap();
    let end = at + list[at..].find("</tr>").unwrap();
    &list[start..end]
}

async fn expiring_and_unused_keys_are_badged_filtered_and_announced(app: TestApp) {
    app.setup_admin().await;
    person(
        &app,
        "maya@example.com",
        Some(WorkspaceAccess::new(
            Role::Member,
            Access::View,
            Access::None,
        )),
    )
    .await;
    new_key(&app, "Soon", "read_only", "30").await;
    new_key(&app, "Later", "read_only", "90").await;
    let (used, _) = new_key(&app, "Busy", "read_only", "never").await;

    app.clock.advance(time::Duration::days(25));
    app.sign_in_again().await;
    assert_eq!(
        call(&app.base, Method::GET, "/api/v1/key", Some(&used), None)
            .await
            .0,
        200
    );
    app.flush_last_used().await;
    let (_, list) = app.client.page("/settings/api-keys").await;
    assert!(
        row_of(&list, "Soon").contains("Expires in 5 days"),
        "the badge"
    );
    assert!(!row_of(&list, "Later").contains("Expires in"));
    assert!(
        list.contains(&format!("1 key in {WORKSPACE} expires this week")),
        "the banner"
    );
    let (_, soon) = app.client.page("/settings/api-keys?status=expiring").await;
    assert_eq!(key_names(&soon), vec!["Soon"]);
    assert!(soon.contains("Expiring soon"), "the filter is offered");
    // Someone who only views keys gets no banner (there is nothing they could do about it).
    let maya = signed_in(&app, "maya@example.com").await;
    let (_, theirs) = maya.page("/settings/api-keys").await;
    assert!(theirs.contains(">Soon</a>") && !theirs.contains("expires this week"));

    // Six days on: Soon has expired; keys never used a month after creation are stale.
    app.clock.advance(time::Duration::days(6));
    app.sign_in_again().await;
    let (_, list) = app.client.page("/settings/api-keys").await;
    assert!(!list.contains("expires this week"));
    assert!(
        row_of(&list, "Later").contains("Unused for 31 days"),
        "{list}"
    );
    assert!(!row_of(&list, "Busy").contains("Unused"));
    assert!(
        !row_of(&list, "Soon").contains("Unused"),
        "only working keys are stale"
    );
    let (_, unused) = app.client.page("/settings/api-keys?status=unused").await;
    assert_eq!(key_names(&unused), vec!["Later"]);

    // 90 days without a use make a used key stale too.
    app.clock.advance(time::Duration::days(85));
    app.sign_in_again().await;
    let (_, list) = app.client.page("/settings/api-keys").await;
    assert!(
        row_of(&list, "Busy").contains("Unused for 91 days"),
        "{list}"
    );
    let (_, detail) = app
        .client
        .page(&format!(
            "/settings/api-keys/{}",
            key_id_by_name(&app, "Busy").await
        ))
        .await;
    assert!(detail.contains("Unused for 91 days"));
}

async fn the_offboarding_review_lists_unused_keys_first(app: TestApp) {
    app.setup_admin().await;
    let acme = workspace_id(&app, WORKSPACE).await;
    let carl = person(
        &app,
        "carl@example.com",
        Some(WorkspaceAccess::new(
            Role::Member,
            Access::Manage,
            Access::None,
        )),
    )
    .await;
    let carl_client = signed_in(&app, "carl@example.com").await;
    let (_, _, a) = generate(
        &carl_client,
        &acme,
        "Agency active",
        &[("expiration", "never")],
    )
    .await;
    generate(
        &carl_client,
        &acme,
        "Agency idle",
        &[("expiration", "never")],
    )
    .await;
    app.clock.advance(time::Duration::days(40));
    app.sign_in_again().await;
    assert_eq!(
        call(
            &app.base,
            Method::GET,
            "/api/v1/key",
            Some(&a.unwrap()),
            None
        )
        .await
        .0,
        200
    );
    app.flush_last_used().await;
    app.client
        .post_form(&format!("/settings/team-members/{acme}/{carl}/remove"), &[])
        .await;
    let (_, review) = app
        .client
        .page(&format!("/settings/team-members/{acme}/{carl}/offboarding"))
        .await;
    let (idle, active) = (
        review.find("Agency idle").expect("listed"),
        review.find("Agency active").expect("listed"),
    );
    assert!(idle < active, "the unused key comes first: {review}");
    assert!(review.contains("Unused for 40 days"));
}
