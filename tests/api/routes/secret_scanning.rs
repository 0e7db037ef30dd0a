//! `POST /api/v1/secret-scanning/verify`: signed reports of tokens found in public. A live key is
//! revoked at once (or flagged, by policy) and refused by the API on the next request; forged,
//! unsigned, changed, oversized or malformed reports change nothing.

use std::sync::Arc;

use base64::Engine;
use diesel::prelude::*;
use mailrith::db::schema::audit_events;
use mailrith::domain::audit::AuditAction;
use mailrith::domain::scanning::ScanningKeys;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::*;
use crate::routes::api_v1::{call, new_key};

const PATH: &str = "/api/v1/secret-scanning/verify";

pub(crate) fn signing_key(seed: u8) -> SigningKey {
    let mut bytes = [9u8; 32];
    bytes[0] = seed;
    SigningKey::from_bytes(&bytes.into()).unwrap()
}

pub(crate) fn trusted(key: &SigningKey) -> Arc<ScanningKeys> {
    let pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let file =
        json!({"public_keys": [{"key_identifier": "github-1", "key": pem, "is_current": true}]});
    Arc::new(ScanningKeys::from_json(&file.to_string()).unwrap())
}

pub(crate) fn sign(key: &SigningKey, body: &[u8]) -> String {
    let sig: Signature = key.sign(body);
    base64::engine::general_purpose::STANDARD.encode(sig.to_der().as_bytes())
}

/// Posts a report as GitHub does: the exact bytes, their signature, the key's identifier.
pub(crate) async fn report(
    app: &TestApp,
    body: &[u8],
    id: Option<&str>,
    signature: Option<&str>,
) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{PATH}", app.base))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(id) = id {
        req = req.header("GITHUB-PUBLIC-KEY-IDENTIFIER", id);
    }
    if let Some(s) = signature {
        req = req.header("GITHUB-PUBLIC-KEY-SIGNATURE", s);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

pub(crate) fn leak_report(secret: &str) -> Vec<u8> {
    serde_json::to_vec(&json!([
        {"token": secret, "type": "mailrith_api_key", "url": "https://github.com/acme/site/blob/main/.env", "source": "content"},
        {"token": "mlr_000000000000000000000000000000000000", "type": "mailrith_api_key", "url": "https://github.com/x/y", "source": "commit"},
    ]))
    .unwrap()
}

async fn count(app: &TestApp, action: AuditAction) -> i64 {
    app.db(move |c| {
        audit_events::table
            .filter(audit_events::action.eq(action.as_str()))
            .count()
            .get_result(c)
            .unwrap()
    })
    .await
}

async fn status(app: &TestApp, secret: &str) -> u16 {
    call(&app.base, Method::GET, "/api/v1/key", Some(secret), None)
        .await
        .0
        .as_u16()
}

backend_tests!(
    a_signed_report_revokes_a_live_key_and_the_api_refuses_it,
    forged_unsigned_changed_oversized_or_malformed_reports_change_nothing,
    flag_only_marks_the_key_and_leaves_it_working,
    the_owner_and_admins_are_emailed_without_the_secret,
);

async fn a_signed_report_revokes_a_live_key_and_the_api_refuses_it(app: TestApp) {
    // Without configured keys the endpoint does not exist.
    assert_eq!(report(&app, b"[]", None, None).await.0, 404);
    let github = signing_key(1);
    let keys = trusted(&github);
    let app = app.respawn(move |s| s.secret_scanning = Some(keys)).await;
    app.setup_admin().await;
    let (secret, pid) = new_key(&app, "Website sign-up form", "read_write", "90").await;
    assert_eq!(status(&app, &secret).await, 200);

    let body = leak_report(&secret);
    let (s, answer) = report(&app, &body, Some("github-1"), Some(&sign(&github, &body))).await;
    assert_eq!(s, 200, "{answer}");
    let feedback: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        feedback,
        json!([
            {"token_hash": mailrith::domain::ids::sha256_hex(&secret), "token_type": "mailrith_api_key", "label": "true_positive"},
            {"token_hash": mailrith::domain::ids::sha256_hex("mlr_000000000000000000000000000000000000"), "token_type": "mailrith_api_key", "label": "false_positive"},
        ])
    );
    assert_eq!(
        status(&app, &secret).await,
        401,
        "refused on the next request"
    );

    let (_, page) = app.client.page(&format!("/settings/api-keys/{pid}")).await;
    assert!(page.contains(">Leaked<"), "{page}");
    assert!(page.contains("href=\"https://github.com/acme/site/blob/main/.env\""));
    assert!(
        page.contains("reported public at https://github.com/acme/site/blob/main/.env (content)")
    );
    assert!(page.contains("by Mailrith, when it was reported public"));
    let (_, list) = app.client.page("/settings/api-keys").await;
    assert!(list.contains(">Leaked</a>"));

    // The same report again: the same answer, nothing revoked or recorded twice.
    let (s, again) = report(&app, &body, Some("github-1"), Some(&sign(&github, &body))).await;
    assert_eq!((s, again), (200, answer));
    assert_eq!(count(&app, AuditAction::ApiKeyLeaked).await, 1);
    assert_eq!(count(&app, AuditAction::ApiKeyRevoke).await, 1);
}

async fn forged_unsigned_changed_oversized_or_malformed_reports_change_nothing(app: TestApp) {
    let github = signing_key(1);
    let keys = trusted(&github);
    let app = app.respawn(move |s| s.secret_scanning = Some(keys)).await;
    app.setup_admin().await;
    let (secret, _) = new_key(&app, "CRM sync", "read_write", "90").await;
    let body = leak_report(&secret);
    let good = sign(&github, &body);
    let forged = sign(&signing_key(2), &body);
    let mut changed = body.clone();
    let at = changed.len() - 5;
    changed[at] = b'X';
    for (what, body, id, sig, expect) in [
        ("unsigned", body.clone(), None, None, 401),
        (
            "no identifier",
            body.clone(),
            None,
            Some(good.as_str()),
            401,
        ),
        (
            "unknown identifier",
            body.clone(),
            Some("github-9"),
            Some(good.as_str()),
            401,
        ),
        (
            "another key's signature",
            body.clone(),
            Some("github-1"),
            Some(forged.as_str()),
            401,
        ),
        (
            "not base64",
            body.clone(),
            Some("github-1"),
            Some("%%%"),
            401,
        ),
        (
            "replayed with a changed body",
            changed,
            Some("github-1"),
            Some(good.as_str()),
            401,
        ),
    ] {
        let (s, answer) = report(&app, &body, id, sig).await;
        assert_eq!(s, expect, "{what}: {answer}");
        assert!(answer.contains("invalid_signature"), "{what}: {answer}");
    }
    // Signed but malformed: 400; over 1 MB: 413 before anything is read.
    let malformed = br#"{"token": "not an array"}"#;
    let (s, answer) = report(
        &app,
        malformed,
        Some("github-1"),
        Some(&sign(&github, malformed)),
    )
    .await;
    assert_eq!(s, 400, "{answer}");
    let huge = vec![b' '; (1 << 20) + 1];
    let (s, answer) = report(&app, &huge, Some("github-1"), Some(&sign(&github, &huge))).await;
    assert_eq!(s, 413, "{answer}");
    assert_eq!(status(&app, &secret).await, 200, "the key still works");
    assert_eq!(count(&app, AuditAction::ApiKeyLeaked).await, 0);
    assert_eq!(count(&app, AuditAction::ApiKeyRevoke).await, 0);
}

async fn flag_only_marks_the_key_and_leaves_it_working(app: TestApp) {
    let github = signing_key(1);
    let keys = trusted(&github);
    let app = app.respawn(move |s| s.secret_scanning = Some(keys)).await;
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    app.client
        .post_form(
            &format!("/settings/workspaces/{ws}/policies"),
            &[
                ("max_lifetime", "none"),
                ("revoke_unused", "off"),
                ("max_active_keys", "500"),
                ("leak_response", "flag"),
            ],
        )
        .await;
    let (secret, pid) = new_key(&app, "Importer", "read_only", "90").await;
    let body = leak_report(&secret);
    let (s, _) = report(&app, &body, Some("github-1"), Some(&sign(&github, &body))).await;
    assert_eq!(s, 200);
    assert_eq!(status(&app, &secret).await, 200, "flagged, still working");
    let (_, page) = app.client.page(&format!("/settings/api-keys/{pid}")).await;
    assert!(
        page.contains(">Leaked<") && page.contains("It still works: rotate it now"),
        "{page}"
    );
    assert_eq!(count(&app, AuditAction::ApiKeyLeaked).await, 1);
    assert_eq!(count(&app, AuditAction::ApiKeyRevoke).await, 0);
}

/// With SMTP set, a leaked key's owner and the workspace's Owners and Admins get one email naming
/// the key and where it was found, never the secret.
async fn the_owner_and_admins_are_emailed_without_the_secret(app: TestApp) {
    use mailrith::config::MailSettings;
    use mailrith::domain::workspace::{Access, Role, WorkspaceAccess};
    let smtp = smtp_server().await;
    let mail = MailSettings {
        smtp_url: smtp.url(),
        from: "Mailrith <keys@example.com>".into(),
    };
    let github = signing_key(1);
    let keys = trusted(&github);
    let settings = mail.clone();
    let app = app
        .respawn(move |s| {
            s.secret_scanning = Some(keys);
            s.mail = Some(settings);
        })
        .await;
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    super::settings::team_members::person(
        &app,
        "carl@example.com",
        Some(WorkspaceAccess::new(
            Role::Member,
            Access::Manage,
            Access::None,
        )),
    )
    .await;
    let carl = super::settings::team_members::signed_in(&app, "carl@example.com").await;
    let (_, _, secret) = generate(&carl, &ws, "Agency sync", &[]).await;
    let secret = secret.unwrap();
    let body = leak_report(&secret);
    let (s, _) = report(&app, &body, Some("github-1"), Some(&sign(&github, &body))).await;
    assert_eq!(s, 200);
    // The server's own sender runs every 10 s; send now as it would.
    let mailer = mailrith::mail::Mailer::new(&mail).unwrap();
    let clock: mailrith::clock::SharedClock = Arc::new(app.clock.clone());
    mailrith::jobs::send_reminders(&app.pool, &mailer, &clock).await;
    let got = smtp.messages();
    assert_eq!(got.len(), 1, "one email");
    assert_eq!(got[0].to, vec!["carl@example.com", ADMIN_EMAIL]);
    let text = got[0].text();
    assert!(
        text.contains(&format!(
            "API key \"Agency sync\" in {WORKSPACE} was found in public"
        )),
        "{text}"
    );
    assert!(
        text.contains("https://github.com/acme/site/blob/main/.env"),
        "{text}"
    );
    assert!(!text.contains(&secret), "never the secret");
    assert_eq!(status(&app, &secret).await, 401);
}
