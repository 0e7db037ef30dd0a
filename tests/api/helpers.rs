//! `spawn_app()`: the real server on port 0 over a fresh database (a temp-file SQLite database, or
//! a new PostgreSQL database when `TEST_DATABASE_URL` is set), and a client with a cookie jar.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use diesel::{Connection, RunQueryDsl};
use mailrith::clock::ManualClock;
use mailrith::config::Settings;
use mailrith::db::{DatabaseUrl, Pool};
use mailrith::startup::Application;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, Response, StatusCode};

pub const ADMIN_EMAIL: &str = "ada@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
pub const ADMIN_NAME: &str = "Ada Lovelace";
pub const WORKSPACE: &str = "Acme Marketing";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await;
                    super::$name(app).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::spawn_postgres_app().await {
                        super::$name(app).await;
                    }
                }
            }
        )*
    };
}

pub struct TestApp {
    pub clock: ManualClock,
    pub pool: Pool,
    pub database: DatabaseUrl,
    pub backend: Backend,
    pub setup_token: Option<String>,
    pub client: Client,
    pub api: Arc<mailrith::api::ApiRuntime>,
    pub base: String,
    _dir: Option<Arc<TempDir>>,
}

/// A throwaway folder, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "mailrith-test-{}",
            mailrith::domain::ids::random_base62(12)
        ));
        std::fs::create_dir_all(&path).expect("temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// PostgreSQL is required (not skipped) when `MAILRITH_REQUIRE_POSTGRES` is set, as in CI.
pub async fn spawn_postgres_app() -> Option<TestApp> {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        if std::env::var("MAILRITH_REQUIRE_POSTGRES").is_ok() {
            panic!("MAILRITH_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not: the PostgreSQL suite cannot be skipped");
        }
        eprintln!("skipping the PostgreSQL variant: TEST_DATABASE_URL is not set");
        return None;
    }
    Some(spawn_app(Backend::Postgres).await)
}

/// A fresh, empty database for one test.
pub fn fresh_database(backend: Backend) -> (DatabaseUrl, Option<Arc<TempDir>>) {
    match backend {
        Backend::Sqlite => {
            let dir = Arc::new(TempDir::new());
            let path = dir.0.join("mailrith.db");
            (
                DatabaseUrl::Sqlite(path.to_string_lossy().into_owned()),
                Some(dir),
            )
        }
        Backend::Postgres => {
            let admin_url = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
            let name = format!(
                "mailrith_test_{}",
                mailrith::domain::ids::random_base62(12).to_lowercase()
            );
            let mut conn =
                diesel::PgConnection::establish(&admin_url).expect("connect to TEST_DATABASE_URL");
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create test database");
            let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&format!("/{name}"));
            (DatabaseUrl::Postgres(url.to_string()), None)
        }
    }
}

pub fn start_time() -> time::OffsetDateTime {
    time::macros::datetime!(2026-11-27 09:00 UTC)
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let (database, dir) = fresh_database(backend);
    spawn_app_on(
        backend,
        database,
        dir,
        ManualClock::new(start_time()),
        |_| {},
    )
    .await
}

pub async fn spawn_app_on(
    backend: Backend,
    database: DatabaseUrl,
    dir: Option<Arc<TempDir>>,
    clock: ManualClock,
    tweak: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = Settings::new("127.0.0.1:0", database.clone());
    settings.workers = 2;
    settings.pool_size = 4;
    tweak(&mut settings);
    let app = Application::build_with_clock(settings, Arc::new(clock.clone()))
        .await
        .expect("application builds");
    let port = app.port();
    let pool = app.pool().clone();
    let setup_token = app.setup_token().map(str::to_owned);
    let api = app.api();
    tokio::spawn(app.run_until_stopped());
    let base = format!("http://127.0.0.1:{port}");
    TestApp {
        client: Client::new(&base),
        api,
        base,
        clock,
        pool,
        database,
        backend,
        setup_token,
        _dir: dir,
    }
}

/// An HTTP client with its own cookie jar (kept by hand, so `__Host-`/`Secure` cookies work on
/// http://127.0.0.1 the way browsers treat localhost, and so tests can read and replay them).
pub struct Client {
    pub base: String,
    http: reqwest::Client,
    jar: Mutex<HashMap<String, String>>,
    pub last_set_cookies: Mutex<Vec<String>>,
}

impl Client {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            jar: Mutex::new(HashMap::new()),
            last_set_cookies: Mutex::new(Vec::new()),
        }
    }

    /// A second browser on the same server, with an empty jar.
    pub fn fresh(&self) -> Self {
        Self::new(&self.base)
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.jar
            .lock()
            .unwrap()
            .insert(name.to_owned(), value.to_owned());
    }

    fn cookie_header(&self) -> Option<String> {
        let jar = self.jar.lock().unwrap();
        (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn absorb(&self, resp: &Response) {
        let mut jar = self.jar.lock().unwrap();
        let mut last = self.last_set_cookies.lock().unwrap();
        last.clear();
        for raw in resp.headers().get_all("set-cookie") {
            let raw = raw.to_str().unwrap().to_owned();
            last.push(raw.clone());
            let first = raw.split(';').next().unwrap();
            let (name, value) = first.split_once('=').unwrap();
            let removed = value.is_empty() || raw.to_ascii_lowercase().contains("max-age=0");
            if removed {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: HeaderMap,
        body: Option<String>,
    ) -> Response {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .headers(headers);
        if let Some(c) = self.cookie_header() {
            req = req.header("cookie", c);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/x-www-form-urlencoded")
                .body(b);
        }
        let resp = req.send().await.expect("request sent");
        self.absorb(&resp);
        resp
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path, HeaderMap::new(), None)
            .await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&'static str, &str)]) -> Response {
        self.request(Method::GET, path, to_headers(headers), None)
            .await
    }

    /// GET a page and return its status and body.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        let s = r.status();
        (s, r.text().await.unwrap())
    }

    /// The CSRF token of this client's session (creating the session if needed).
    pub async fn csrf(&self) -> String {
        let (_, body) = self.page("/login").await;
        if let Some(token) = extract_csrf(&body) {
            return token;
        }
        let (_, body) = self.page("/settings/profile").await;
        extract_csrf(&body).expect("a page with a CSRF token")
    }

    /// POST a form exactly as given (no token added).
    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&'static str, &str)],
    ) -> Response {
        let body = serde_urlencoded::to_string(fields).unwrap();
        self.request(Method::POST, path, to_headers(headers), Some(body))
            .await
    }

    /// POST a form with this session's CSRF token, as the page's form would.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_raw(path, &all, &[]).await
    }

    /// Opens a key's Rotate confirmation and submits it with `fields`, as a person does: the
    /// confirmation names the secret it was issued for. (When the confirmation does not open, for
    /// someone who may not rotate, the form is posted without it, as a forged request would be.)
    pub async fn rotate_key(&self, key_public_id: &str, fields: &[(&str, &str)]) -> Response {
        let path = format!("/settings/api-keys/{key_public_id}/rotate");
        let version = self.rotate_confirmation(key_public_id).await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if let Some(v) = &version {
            all.push(("secret_version", v));
        }
        self.post_form(&path, &all).await
    }

    /// The `secret_version` of a key's Rotate confirmation as shown now, if it opens.
    pub async fn rotate_confirmation(&self, key_public_id: &str) -> Option<String> {
        let (status, body) = self
            .page(&format!("/settings/api-keys/{key_public_id}/rotate"))
            .await;
        (status == 200)
            .then(|| field_value(&body, "secret_version"))
            .flatten()
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }
}

pub fn to_headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

pub fn extract_csrf(body: &str) -> Option<String> {
    field_value(body, "csrf_token")
}

/// The value of the first `<input name="{name}" value="...">` in a page.
pub fn field_value(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

pub fn assert_redirect_to(resp: &Response, location: &str) {
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "expected a redirect to {location}"
    );
    assert_eq!(
        resp.headers().get("location").unwrap().to_str().unwrap(),
        location
    );
}

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
