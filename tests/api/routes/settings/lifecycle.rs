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
    the_expiring_notice_counts_exactly_at_any_time_of_day,
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

/// The expiring-keys notice's counts are exact whatever the time of day: keys expire around every
/// edge (a second either side of now, of midnight and of the end of the week), some revoked;
/// checked against the keys themselves at several times of day, then again after keys are
/// revoked, given a new expiry, moved to another workspace and deleted.
async fn the_expiring_notice_counts_exactly_at_any_time_of_day(app: TestApp) {
    use diesel::prelude::*;
    use mailrith::db::ids::WorkspaceId;
    use mailrith::db::schema::{api_keys, workspaces};
    use time::{Duration, PrimitiveDateTime};

    app.setup_admin().await;
    let start = app.clock_now();
    let midnight = start.date().next_day().unwrap().midnight();
    let week = mailrith::domain::key::EXPIRING_SOON;
    let (wss, ids) = app
        .db(move |c| {
            let acme: WorkspaceId = workspaces::table.select(workspaces::id).first(c).unwrap();
            let other = mailrith::models::workspaces::create(c, "Globex Sales", start)
                .unwrap()
                .id;
            let s = Duration::seconds(1);
            let mut at: Vec<PrimitiveDateTime> = Vec::new();
            for base in [
                start,
                midnight,
                midnight + Duration::hours(13),
                start + week,
            ] {
                at.extend([base - s, base, base + s]);
            }
            for d in 1..9 {
                at.extend([
                    midnight + Duration::days(d) - s,
                    midnight + Duration::days(d),
                ]);
                at.push(start + Duration::days(d) + Duration::minutes(d * 97));
            }
            let mut ids = Vec::new();
            for (i, e) in at.iter().enumerate() {
                let ws = if i % 3 == 0 { other } else { acme };
                let public_id = mailrith::domain::ids::public_id("key");
                diesel::insert_into(api_keys::table)
                    .values((
                        api_keys::public_id.eq(&public_id),
                        api_keys::workspace_id.eq(ws),
                        api_keys::name.eq(format!("Edge {i}")),
                        api_keys::purpose.eq(""),
                        api_keys::access_level.eq(mailrith::domain::key::AccessLevel::ReadOnly),
                        api_keys::created_at.eq(start - Duration::days(1)),
                        api_keys::expires_at.eq(Some(*e)),
                        // Every seventh key is revoked: never counted.
                        api_keys::revoked_at.eq((i % 7 == 6).then_some(start)),
                        api_keys::key_hash.eq(format!("{i:064}")),
                        api_keys::hint.eq("mlr_…abcd"),
                    ))
                    .execute(c)
                    .unwrap();
                ids.push(
                    api_keys::table
                        .filter(api_keys::public_id.eq(&public_id))
                        .select(api_keys::id)
                        .first::<i64>(c)
                        .unwrap(),
                );
            }
            (vec![acme, other], ids)
        })
        .await;
    check_expiring(&app, &wss, start, "as made").await;
    let (acme, other) = (wss[0], wss[1]);
    app.db(move |c| {
        let key = |i: usize| api_keys::table.filter(api_keys::id.eq(ids[i]));
        diesel::update(key(1))
            .set(api_keys::revoked_at.eq(Some(start)))
            .execute(c)
            .unwrap();
        diesel::update(key(4))
            .set(api_keys::expires_at.eq(Some(start + Duration::days(3))))
            .execute(c)
            .unwrap();
        diesel::update(key(5))
            .set(api_keys::expires_at.eq(None::<PrimitiveDateTime>))
            .execute(c)
            .unwrap();
        diesel::update(key(7))
            .set(api_keys::workspace_id.eq(other))
            .execute(c)
            .unwrap();
        diesel::update(key(9))
            .set(api_keys::workspace_id.eq(acme))
            .execute(c)
            .unwrap();
        // Revoked, then working again (not something the console does; the tally follows).
        diesel::update(key(6))
            .set(api_keys::revoked_at.eq(None::<PrimitiveDateTime>))
            .execute(c)
            .unwrap();
        // A change of another column leaves the tally alone.
        diesel::update(key(10))
            .set(api_keys::name.eq("Renamed"))
            .execute(c)
            .unwrap();
        diesel::delete(key(12)).execute(c).unwrap();
    })
    .await;
    check_expiring(&app, &wss, start, "after changes").await;
}

/// `expiring_counts` against the keys themselves, at several times of day around `start`.
async fn check_expiring(
    app: &TestApp,
    wss: &[mailrith::db::ids::WorkspaceId],
    start: time::PrimitiveDateTime,
    label: &'static str,
) {
    use diesel::prelude::*;
    use mailrith::db::ids::WorkspaceId;
    use mailrith::db::schema::api_keys;
    use mailrith::models::api_keys::expiring_counts;
    use std::collections::HashMap;
    use time::{Duration, PrimitiveDateTime};

    let week = mailrith::domain::key::EXPIRING_SOON;
    let midnight = start.date().next_day().unwrap().midnight();
    let times = [
        start,
        midnight - Duration::seconds(1),
        midnight,
        midnight + Duration::seconds(1),
        midnight + Duration::hours(13),
        start + Duration::days(2) + Duration::minutes(1),
    ];
    let wss = wss.to_vec();
    app.db(move |c| {
        let keys: Vec<(WorkspaceId, Option<PrimitiveDateTime>, bool)> = api_keys::table
            .select((
                api_keys::workspace_id,
                api_keys::expires_at,
                api_keys::revoked_at.is_null(),
            ))
            .load(c)
            .unwrap();
        for now in times {
            let mut want: HashMap<WorkspaceId, i64> = HashMap::new();
            for (ws, e, working) in &keys {
                if *working && e.is_some_and(|e| e > now && e <= now + week) {
                    *want.entry(*ws).or_default() += 1;
                }
            }
            assert!(
                want.values().sum::<i64>() > 3,
                "{label}: keys to count at {now}"
            );
            let got = expiring_counts(c, &wss, now).unwrap();
            assert_eq!(got, want, "{label}: at {now}");
            // One workspace alone counts its own.
            let one = expiring_counts(c, &wss[1..], now).unwrap();
            assert_eq!(one.get(&wss[1]), want.get(&wss[1]), "{label}: at {now}");
        }
    })
    .await;
}
