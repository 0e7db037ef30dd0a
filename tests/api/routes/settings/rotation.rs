//! Rotation with an overlap: both secrets work until the old one's time, the console shows whether
//! the connected system switched, and the old secret is retired by hand, at its time (once, in any
//! process), by a new rotation or by revocation.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use mailrith::db::schema::{api_keys, audit_events};
use mailrith::domain::audit::AuditAction;
use reqwest::Method;

use crate::backend_tests;
use crate::helpers::*;
use crate::routes::api_v1::{call, history, new_key, second_process};

async fn status_with(base: &str, secret: &str) -> u16 {
    call(base, Method::GET, "/api/v1/key", Some(secret), None)
        .await
        .0
        .as_u16()
}

async fn status(app: &TestApp, secret: &str) -> u16 {
    status_with(&app.base, secret).await
}

async fn rotate(app: &TestApp, pid: &str, old_secret: &str) -> String {
    let r = app
        .client
        .rotate_key(pid, &[("expiration", "keep"), ("old_secret", old_secret)])
        .await;
    assert_eq!(r.status(), 200, "rotation with {old_secret}");
    secret_in(&r.text().await.unwrap()).expect("the new secret is shown once")
}

async fn retirements(app: &TestApp, pid: &str) -> Vec<String> {
    let pid = pid.to_owned();
    app.db(move |c| {
        audit_events::table
            .filter(audit_events::subject.eq(pid))
            .filter(audit_events::action.eq(AuditAction::ApiKeyRetireOldSecret.as_str()))
            .order(audit_events::id.asc())
            .select(audit_events::details)
            .load(c)
            .unwrap()
    })
    .await
}

async fn detail(app: &TestApp, pid: &str) -> String {
    let (s, body) = app.client.page(&format!("/settings/api-keys/{pid}")).await;
    assert_eq!(s, 200);
    body
}

backend_tests!(
    an_overlap_keeps_both_secrets_and_shows_whether_the_system_switched,
    retiring_by_hand_rotating_again_and_revoking_end_the_overlap,
    an_old_secret_stops_at_its_time_on_a_second_process,
    the_offboarding_review_ends_an_overlap_with_the_key,
);

/// A leaver's key in the middle of a rotation overlap: the offboarding review's "Revoke all"
/// stops both secrets at once and ends the overlap, as Revoke does.
async fn the_offboarding_review_ends_an_overlap_with_the_key(app: TestApp) {
    use mailrith::domain::workspace::{Access, Role, WorkspaceAccess};
    app.setup_admin().await;
    let acme = workspace_id(&app, WORKSPACE).await;
    let carl = super::team_members::person(
        &app,
        "carl@example.com",
        Some(WorkspaceAccess::new(
            Role::Member,
            Access::Manage,
            Access::None,
        )),
    )
    .await;
    let carl_client = super::team_members::signed_in(&app, "carl@example.com").await;
    let (_, _, old) = generate(&carl_client, &acme, "Agency sync", &[]).await;
    let old = old.unwrap();
    let pid = key_id_by_name(&app, "Agency sync").await;
    let new = rotate(&app, &pid, "1h").await;
    assert_eq!(
        (status(&app, &old).await, status(&app, &new).await),
        (200, 200)
    );

    let r = app
        .client
        .post_form(&format!("/settings/team-members/{acme}/{carl}/remove"), &[])
        .await;
    assert_redirect_to(
        &r,
        &format!("/settings/team-members/{acme}/{carl}/offboarding"),
    );
    let r = app
        .client
        .post_form(
            &format!("/settings/team-members/{acme}/{carl}/offboarding/revoke-all"),
            &[],
        )
        .await;
    assert_redirect_to(
        &r,
        &format!("/settings/team-members/{acme}/{carl}/offboarding"),
    );
    assert_eq!(
        (status(&app, &old).await, status(&app, &new).await),
        (401, 401),
        "both secrets stop at once"
    );
    assert_eq!(
        retirements(&app, &pid).await.len(),
        1,
        "the overlap ended with it"
    );
    let page = detail(&app, &pid).await;
    assert!(!page.contains("Rotation in progress"), "{page}");
}

async fn an_overlap_keeps_both_secrets_and_shows_whether_the_system_switched(app: TestApp) {
    app.setup_admin().await;
    let (old, pid) = new_key(&app, "CRM sync", "read_write", "90").await;
    assert_eq!(status(&app, &old).await, 200);

    // The dialog offers the overlap; a value it does not offer is a field error, nothing changes.
    let (_, confirm) = app
        .client
        .page(&format!("/settings/api-keys/{pid}/rotate"))
        .await;
    for text in [
        "Old secret stops working",
        "Immediately",
        "In 1 hour",
        "In 24 hours",
        "In 7 days",
    ] {
        assert!(confirm.contains(text), "{text}");
    }
    let r = app
        .client
        .rotate_key(&pid, &[("expiration", "keep"), ("old_secret", "2w")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Choose when the old secret stops working."));
    assert_eq!(status(&app, &old).await, 200, "nothing changed");

    let rotated_at = app.clock_now();
    let r = app
        .client
        .rotate_key(&pid, &[("expiration", "keep"), ("old_secret", "1h")])
        .await;
    let body = r.text().await.unwrap();
    assert!(
        body.contains("keeps working until 27 Nov 2026, 10:00 UTC"),
        "{body}"
    );
    let new = secret_in(&body).unwrap();
    assert_eq!(
        status(&app, &old).await,
        200,
        "the old secret works during the overlap"
    );
    let h = history(&app, &pid).await;
    assert!(
        h.iter()
            .any(|d| d.contains("old secret works until 27 Nov 2026, 10:00 UTC")),
        "{h:?}"
    );

    // Only the old secret is used after the rotation: the system has not switched.
    app.clock.advance(time::Duration::minutes(2));
    assert_eq!(status(&app, &old).await, 200);
    app.flush_last_used().await;
    let page = detail(&app, &pid).await;
    assert!(page.contains("Rotation in progress"), "{page}");
    assert!(page.contains("old secret still used just now"), "{page}");
    assert!(page.contains("waiting for first use of the new secret"));
    assert!(page.contains("Retire old secret now"));
    let (_, list) = app.client.page("/settings/api-keys").await;
    assert!(
        list.contains("old secret still used"),
        "the list shows it too"
    );
    assert!(list.contains("Retire old secret now"));

    // The integration switches: the new secret is used, the old one no more.
    app.clock.advance(time::Duration::minutes(3));
    let switched_at = app.clock_now();
    assert_eq!(
        status(&app, &new).await,
        200,
        "the new secret works during the overlap"
    );
    app.flush_last_used().await;
    let page = detail(&app, &pid).await;
    assert!(
        page.contains("old secret not used since the new one was first used"),
        "{page}"
    );
    let first_used: Option<time::PrimitiveDateTime> = app
        .db({
            let pid = pid.clone();
            move |c| {
                api_keys::table
                    .filter(api_keys::public_id.eq(pid))
                    .select(api_keys::secret_first_used_at)
                    .first(c)
                    .unwrap()
            }
        })
        .await;
    assert_eq!(first_used, Some(switched_at), "the new secret's first use");
    assert!(switched_at > rotated_at);

    // At its time the old secret stops on the request path, before any job ran.
    app.clock.advance(time::Duration::minutes(55));
    app.sign_in_again().await;
    assert_eq!(status(&app, &old).await, 401, "the overlap is over");
    assert_eq!(status(&app, &new).await, 200);
    let h = history(&app, &pid).await;
    assert!(
        h.iter()
            .any(|d| d.contains("old secret used after rotation")),
        "{h:?}"
    );
    let page = detail(&app, &pid).await;
    assert!(
        !page.contains("Rotation in progress"),
        "finished on the page at once"
    );

    // The job records the end once, however often (or by however many processes) it runs.
    let now = app.clock_now();
    let first = app
        .db(move |c| mailrith::services::api_keys::retire_due(c, now).unwrap())
        .await;
    let again = app
        .db(move |c| mailrith::services::api_keys::retire_due(c, now).unwrap())
        .await;
    assert_eq!((first.len(), again.len()), (1, 0));
    let done = retirements(&app, &pid).await;
    assert_eq!(done.len(), 1, "{done:?}");
    assert!(
        done[0].contains("its overlap ended at 27 Nov 2026, 10:00 UTC")
            && done[0].contains("new secret first used 27 Nov 2026, 09:05 UTC")
            && done[0].contains("old secret last used 27 Nov 2026, 09:02 UTC"),
        "{}",
        done[0]
    );
    let page = detail(&app, &pid).await;
    assert!(
        page.contains("Retired the old secret"),
        "in the key's history"
    );
    assert_eq!(status(&app, &old).await, 401);
}

async fn retiring_by_hand_rotating_again_and_revoking_end_the_overlap(app: TestApp) {
    app.setup_admin().await;
    let (a, pid) = new_key(&app, "Signup form", "read_only", "90").await;

    // Retire old secret now: the old one stops at once, the new one goes on; a second retire is a
    // clear conflict.
    let b = rotate(&app, &pid, "24h").await;
    assert_eq!(status(&app, &a).await, 200);
    let r = app
        .client
        .post_form(&format!("/settings/api-keys/{pid}/retire-old-secret"), &[])
        .await;
    assert_redirect_to(&r, &format!("/settings/api-keys/{pid}"));
    assert_eq!(status(&app, &a).await, 401);
    assert_eq!(status(&app, &b).await, 200);
    let page = detail(&app, &pid).await;
    assert!(page.contains("Only the new secret works now"), "{page}");
    assert!(!page.contains("Rotation in progress"));
    let r = app
        .client
        .post_form(&format!("/settings/api-keys/{pid}/retire-old-secret"), &[])
        .await;
    assert_eq!(r.status(), 409);
    let done = retirements(&app, &pid).await;
    assert_eq!(done.len(), 1);
    assert!(done[0].contains("retired by hand"), "{}", done[0]);
    // Without the CSRF token nothing happens.
    let r = app
        .client
        .post_raw(
            &format!("/settings/api-keys/{pid}/retire-old-secret"),
            &[],
            &[],
        )
        .await;
    assert_eq!(r.status(), 403);

    // Rotating again during an overlap retires the older secret first: never three.
    let c = rotate(&app, &pid, "7d").await;
    assert_eq!((status(&app, &b).await, status(&app, &c).await), (200, 200));
    let d = rotate(&app, &pid, "1h").await;
    assert_eq!(
        (
            status(&app, &b).await,
            status(&app, &c).await,
            status(&app, &d).await
        ),
        (401, 200, 200),
        "b retired by the new rotation, c is the old secret now, d the new one"
    );
    let done = retirements(&app, &pid).await;
    assert!(done.last().unwrap().contains("retired by a new rotation"));

    // An immediate rotation during an overlap stops both earlier secrets.
    let e = rotate(&app, &pid, "now").await;
    assert_eq!(
        (
            status(&app, &c).await,
            status(&app, &d).await,
            status(&app, &e).await
        ),
        (401, 401, 200)
    );

    // Revoke during an overlap stops both secrets at once.
    let f = rotate(&app, &pid, "7d").await;
    assert_eq!((status(&app, &e).await, status(&app, &f).await), (200, 200));
    app.client
        .post_form(&format!("/settings/api-keys/{pid}/revoke"), &[])
        .await;
    assert_eq!((status(&app, &e).await, status(&app, &f).await), (401, 401));
    let done = retirements(&app, &pid).await;
    assert!(done.last().unwrap().contains("stopped with the revocation"));
    let page = detail(&app, &pid).await;
    assert!(!page.contains("Rotation in progress") && !page.contains("Retire old secret now"));

    // An expired key's old secret already stopped: an overlap is refused with the field named.
    let (_, pid2) = new_key(&app, "Old importer", "read_only", "30").await;
    app.clock.advance(time::Duration::days(31));
    app.sign_in_again().await;
    let r = app
        .client
        .rotate_key(&pid2, &[("expiration", "90"), ("old_secret", "1h")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("choose Immediately"));
}

/// Two processes: the old secret, cached in the second one, stops there at its time.
async fn an_old_secret_stops_at_its_time_on_a_second_process(app: TestApp) {
    app.setup_admin().await;
    let (a, pid) = new_key(&app, "Shared", "read_only", "never").await;
    // On PostgreSQL the feed is polled once a minute (NOTIFY tells of the rotation); SQLite polls.
    let poll = if app.backend == Backend::Postgres {
        "60000"
    } else {
        "200"
    };
    let (mut child, other) = second_process(&app, poll);
    // The second process runs on the real clock; make the overlap end 3 s from now in real time.
    let end = time::OffsetDateTime::now_utc() + time::Duration::seconds(3);
    app.clock
        .advance((end - time::Duration::hours(1)) - app.clock_now().assume_utc());
    app.sign_in_again().await;
    assert_eq!(
        status_with(&other, &a).await,
        200,
        "cached in the other process"
    );
    let b = rotate(&app, &pid, "1h").await;
    let end_instant = Instant::now()
        + Duration::from_secs_f64(
            (end - time::OffsetDateTime::now_utc())
                .as_seconds_f64()
                .max(0.0),
        );
    // Both work there during the overlap.
    assert_eq!(status_with(&other, &a).await, 200);
    assert_eq!(status_with(&other, &b).await, 200);
    let mut stopped_at = None;
    while Instant::now() < end_instant + Duration::from_secs(2) {
        if status_with(&other, &a).await == 401 {
            stopped_at = Some(Instant::now());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let b_after = status_with(&other, &b).await;
    let _ = child.kill();
    let _ = child.wait();
    let stopped_at = stopped_at.expect("the old secret stops on the second process");
    assert!(
        stopped_at + Duration::from_millis(50) >= end_instant,
        "not before its time ({:?} early)",
        end_instant.saturating_duration_since(stopped_at)
    );
    assert!(
        stopped_at <= end_instant + Duration::from_millis(300),
        "at its time ({:?} late)",
        stopped_at - end_instant
    );
    assert_eq!(b_after, 200, "the new secret goes on");
}
