//! Fixtures: the first admin and their workspace, people made directly, and the helpers tests
//! use on a running app.

use std::sync::Arc;

use diesel::prelude::*;
use mailrith::db::schema::{api_keys, workspaces};
use mailrith::domain::key::PlainKey;

use super::app::TestApp;
use super::client::assert_redirect_to;
use super::client::Client;

pub const ADMIN_EMAIL: &str = "ada@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
pub const ADMIN_NAME: &str = "Ada Lovelace";
pub const WORKSPACE: &str = "Acme Marketing";

impl TestApp {
    /// Completes first-run setup in the browser flow and leaves `client` signed in as the admin.
    pub async fn setup_admin(&self) {
        let token = self
            .setup_token
            .clone()
            .expect("a fresh app has a setup token");
        let r = self.client.get(&format!("/setup?token={token}")).await;
        assert_redirect_to(&r, "/setup");
        let r = self
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
    }

    /// Runs database work for a test off the async runtime.
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut mailrith::db::AnyConnection) -> T + Send + 'static,
    ) -> T {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().expect("pooled connection");
            f(&mut conn)
        })
        .await
        .unwrap()
    }

    /// Creates a user directly (role in the setup workspace, if given).
    pub async fn create_user(
        &self,
        email: &str,
        password: &str,
        is_admin: bool,
        role: Option<mailrith::domain::workspace::Role>,
    ) -> mailrith::db::ids::UserId {
        let (email, password) = (email.to_owned(), password.to_owned());
        let now = self.clock_now();
        self.db(move |c| {
            use mailrith::models::{users, workspaces};
            let hash = mailrith::services::accounts::password::hash(&password).unwrap();
            let user = users::insert(
                c,
                &users::NewUser {
                    public_id: &mailrith::domain::ids::public_id("usr"),
                    email: &email,
                    name: "Test Person",
                    password_hash: &hash,
                    is_admin,
                    disabled: false,
                    created_at: now,
                },
            )
            .unwrap();
            if let Some(role) = role {
                let ws = workspaces::find_by_name(c, WORKSPACE)
                    .unwrap()
                    .expect("setup workspace");
                workspaces::add_member(c, ws.id, user.id, workspaces::default_access(role), now)
                    .unwrap();
            }
            user.id
        })
        .await
    }

    /// Signs the admin in again (after the clock jumped past the session's idle timeout).
    pub async fn sign_in_again(&self) {
        assert_redirect_to(
            &self.client.login(ADMIN_EMAIL, ADMIN_PASSWORD).await,
            "/settings/api-keys",
        );
    }

    /// Writes pending last-used facts now, as the flusher would.
    pub async fn flush_last_used(&self) {
        let clock: mailrith::clock::SharedClock = Arc::new(self.clock.clone());
        self.api.flush_last_used(&self.pool, &clock).await.unwrap();
    }

    pub fn clock_now(&self) -> time::PrimitiveDateTime {
        use mailrith::clock::Clock;
        self.clock.now()
    }
}

/// The full key in a Save Your API Key response, if any.
pub fn secret_in(body: &str) -> Option<String> {
    let start = body.find("mlr_")?;
    let candidate: String = body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    PlainKey::parse(&candidate).ok().map(|_| candidate)
}

pub async fn workspace_id(app: &TestApp, name: &str) -> String {
    let name = name.to_owned();
    app.db(move |c| {
        workspaces::table
            .filter(workspaces::name.eq(name))
            .select(workspaces::public_id)
            .first(c)
            .unwrap()
    })
    .await
}

/// Generates a key through the form and returns the response status, body and secret.
pub async fn generate(
    client: &Client,
    ws: &str,
    name: &str,
    extra: &[(&str, &str)],
) -> (u16, String, Option<String>) {
    let mut fields = vec![
        ("workspace", ws),
        ("name", name),
        ("access_level", "read_only"),
        ("expiration", "90"),
    ];
    for (k, v) in extra {
        fields.retain(|(fk, _)| fk != k);
        fields.push((k, v));
    }
    let r = client.post_form("/settings/api-keys", &fields).await;
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    let secret = secret_in(&body);
    (status, body, secret)
}

pub async fn key_id_by_name(app: &TestApp, name: &str) -> String {
    let name = name.to_owned();
    app.db(move |c| {
        api_keys::table
            .filter(api_keys::name.eq(name))
            .order(api_keys::id.desc())
            .select(api_keys::public_id)
            .first(c)
            .unwrap()
    })
    .await
}

impl TestApp {
    /// `key_owners` (kept by triggers) says what a fresh count of `api_keys` says.
    pub async fn assert_key_owners_match_the_keys(&self) {
        let (kept, counted) = self
            .db(|c| {
                use mailrith::db::schema::key_owners;
                let mut kept: Vec<(i64, i64, i64, i64, i64)> = key_owners::table
                    .filter(key_owners::keys.gt(0))
                    .select((
                        key_owners::workspace_id,
                        key_owners::owner_id,
                        key_owners::keys,
                        key_owners::unrevoked,
                        key_owners::read_write,
                    ))
                    .load(c)
                    .unwrap();
                kept.sort_unstable();
                let rows: Vec<(i64, Option<i64>, bool, bool)> = api_keys::table
                    .select((
                        api_keys::workspace_id,
                        api_keys::owner_id,
                        api_keys::revoked_at.is_null(),
                        api_keys::access_level,
                    ))
                    .load::<(
                        mailrith::db::ids::WorkspaceId,
                        Option<mailrith::db::ids::UserId>,
                        bool,
                        mailrith::domain::key::AccessLevel,
                    )>(c)
                    .unwrap()
                    .into_iter()
                    .map(|(w, o, r, a)| {
                        let rw = a == mailrith::domain::key::AccessLevel::ReadWrite;
                        (w.0, o.map(|o| o.0), r, rw)
                    })
                    .collect();
                let mut counted = std::collections::BTreeMap::<(i64, i64), (i64, i64, i64)>::new();
                for (w, o, unrevoked, read_write) in rows {
                    if let Some(o) = o {
                        let e = counted.entry((w, o)).or_default();
                        e.0 += 1;
                        e.1 += i64::from(unrevoked);
                        e.2 += i64::from(read_write);
                    }
                }
                let counted: Vec<(i64, i64, i64, i64, i64)> = counted
                    .into_iter()
                    .map(|((w, o), (k, u, rw))| (w, o, k, u, rw))
                    .collect();
                (kept, counted)
            })
            .await;
        assert_eq!(
            kept, counted,
            "key_owners follows every insert, transfer and revoke (and the access levels)"
        );
    }
}
