//! Reminder emails through a real SMTP listener: to the owner and the workspace's Owners and
//! Admins, 7 days and 1 day before expiry and once expired, when an overlap closes while the old
//! secret is in use, and when a policy revokes an unused key; once each with two processes;
//! retried after a failure; never a secret.

use std::sync::Arc;

use diesel::prelude::*;
use mailrith::clock::SharedClock;
use mailrith::config::MailSettings;
use mailrith::db::schema::{audit_events, mail_outbox};
use mailrith::domain::audit::AuditAction;
use mailrith::domain::workspace::{Access, Role, WorkspaceAccess};
use reqwest::Method;

use super::team_members::{person, signed_in};
use crate::backend_tests;
use crate::helpers::*;
use crate::routes::api_v1::call;

backend_tests!(reminders_are_emailed_once_retried_and_hold_no_secret);

fn mail(smtp: &SmtpServer) -> MailSettings {
    MailSettings {
        smtp_url: smtp.url(),
        from: "Mailrith <keys@example.com>".into(),
    }
}

/// Both processes queue what is due and send at the same moment, as their jobs would.
async fn run_jobs(apps: [&TestApp; 2], smtp: &SmtpServer) {
    let mailer = mailrith::mail::Mailer::new(&mail(smtp)).unwrap();
    let now = apps[0].clock_now();
    for app in apps {
        let base = app.base.clone();
        app.db(move |c| {
            mailrith::services::reminders::enqueue_due(c, now, &base).unwrap();
        })
        .await;
    }
    let clock: SharedClock = Arc::new(apps[0].clock.clone());
    let (m1, m2) = (mailer.clone(), mailer);
    tokio::join!(
        mailrith::jobs::send_reminders(&apps[0].pool, &m1, &clock),
        mailrith::jobs::send_reminders(&apps[1].pool, &m2, &clock),
    );
    // The servers' own senders run too (every 10 s): wait until no send is in flight.
    for _ in 0..100 {
        let in_flight: i64 = apps[0]
            .db(|c| {
                mail_outbox::table
                    .filter(mail_outbox::sent_at.is_null())
                    .filter(mail_outbox::claimed_until.is_not_null())
                    .count()
                    .get_result(c)
                    .unwrap()
            })
            .await;
        if in_flight == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("a reminder send never finished");
}

fn subjects(smtp: &SmtpServer) -> Vec<String> {
    smtp.messages()
        .iter()
        .filter_map(|m| {
            // Long headers are folded onto indented lines.
            let mut lines = m.data.lines().skip_while(|l| !l.starts_with("Subject: "));
            let mut subject = lines.next()?.strip_prefix("Subject: ")?.to_owned();
            for l in lines.take_while(|l| l.starts_with(' ') || l.starts_with('\t')) {
                subject.push_str(l);
            }
            Some(subject)
        })
        .collect()
}

async fn reminders_are_emailed_once_retried_and_hold_no_secret(app: TestApp) {
    let smtp = smtp_server().await;
    let settings = mail(&smtp);
    let app = app.respawn(move |s| s.mail = Some(settings)).await;
    app.setup_admin().await;
    let acme = workspace_id(&app, WORKSPACE).await;
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
    let (_, _, secret) = generate(&carl, &acme, "Agency sync", &[("expiration", "30")]).await;
    let secret = secret.unwrap();
    let settings = mail(&smtp);
    // A second process behind the same public URL (whichever sends the reminder links there).
    let base = app.base.clone();
    let other = app
        .sibling(move |s| {
            s.mail = Some(settings);
            s.public_url = Some(base);
        })
        .await;

    // 23 days on: it expires within the week. Two processes, one email, to the owner and Ada.
    app.clock.advance(time::Duration::days(23));
    run_jobs([&app, &other], &smtp).await;
    run_jobs([&app, &other], &smtp).await;
    let got = smtp.messages();
    assert_eq!(got.len(), 1, "{:?}", subjects(&smtp));
    assert_eq!(got[0].from, "keys@example.com");
    assert_eq!(got[0].to, vec!["carl@example.com", ADMIN_EMAIL]);
    assert_eq!(
        subjects(&smtp),
        vec![format!(
            "API key \"Agency sync\" in {WORKSPACE} expires in 7 days"
        )]
    );
    let pid = key_id_by_name(&app, "Agency sync").await;
    assert!(
        got[0]
            .text()
            .contains(&format!("{}/settings/api-keys/{pid}", app.base)),
        "a link to the key {pid}: {}",
        got[0].text()
    );
    assert!(!got[0].text().contains(&secret), "never the secret");

    // The day before: the SMTP server fails once; the reminder waits, then goes out once.
    app.clock.advance(time::Duration::days(6));
    smtp.refuse_next(1);
    run_jobs([&app, &other], &smtp).await;
    assert_eq!(smtp.messages().len(), 1, "refused, not sent");
    let (attempts, error): (i32, Option<String>) = app
        .db(|c| {
            mail_outbox::table
                .filter(mail_outbox::sent_at.is_null())
                .select((mail_outbox::attempts, mail_outbox::last_error))
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!(attempts, 1);
    assert!(error.unwrap().contains("451"));
    run_jobs([&app, &other], &smtp).await;
    assert_eq!(smtp.messages().len(), 1, "it backs off");
    app.clock.advance(time::Duration::minutes(2));
    run_jobs([&app, &other], &smtp).await;
    assert_eq!(
        subjects(&smtp)[1],
        format!("API key \"Agency sync\" in {WORKSPACE} expires tomorrow")
    );

    // Expired.
    app.clock.advance(time::Duration::days(1));
    run_jobs([&app, &other], &smtp).await;
    assert_eq!(
        subjects(&smtp)[2],
        format!("API key \"Agency sync\" in {WORKSPACE} has expired")
    );

    // An overlap about to close while the old secret is still used.
    app.sign_in_again().await;
    let (old, rotated) = {
        let ws = acme.clone();
        let (_, _, s) = generate(&app.client, &ws, "Signup form", &[("expiration", "never")]).await;
        (s.unwrap(), key_id_by_name(&app, "Signup form").await)
    };
    let r = app
        .client
        .rotate_key(&rotated, &[("expiration", "keep"), ("old_secret", "1h")])
        .await;
    assert_eq!(r.status(), 200);
    app.clock.advance(time::Duration::minutes(10));
    assert_eq!(
        call(&app.base, Method::GET, "/api/v1/key", Some(&old), None)
            .await
            .0,
        200
    );
    app.flush_last_used().await;
    run_jobs([&app, &other], &smtp).await;
    let subjects_now = subjects(&smtp);
    assert_eq!(subjects_now.len(), 4, "{subjects_now:?}");
    assert!(subjects_now[3].contains("stops within the hour and is still in use"));
    assert!(!smtp.messages()[3].text().contains(&old));

    // Each sent reminder is in its key's history.
    let sent: i64 = app
        .db(|c| {
            audit_events::table
                .filter(audit_events::action.eq(AuditAction::ApiKeyReminderSent.as_str()))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(sent, 4);
    let (_, page) = app.client.page(&format!("/settings/api-keys/{pid}")).await;
    assert!(page.contains("Sent a reminder"));

    // A policy revokes keys nobody used for 30 days, and tells their owners.
    app.client
        .post_form(
            &format!("/settings/workspaces/{acme}/policies"),
            &[
                ("max_lifetime", "none"),
                ("revoke_unused", "30"),
                ("max_active_keys", "500"),
            ],
        )
        .await;
    app.clock.advance(time::Duration::days(31));
    let (now, base) = (app.clock_now(), app.base.clone());
    app.db(move |c| {
        let revoked = mailrith::services::policies::revoke_unused(c, now).unwrap();
        mailrith::services::reminders::enqueue_revoked(c, &revoked, now, &base).unwrap();
    })
    .await;
    run_jobs([&app, &other], &smtp).await;
    assert!(
        subjects(&smtp).contains(&format!(
            "API key \"Signup form\" in {WORKSPACE} was revoked: unused for 30 days"
        )),
        "{:?}",
        subjects(&smtp)
    );
    let _ = carl;
}
