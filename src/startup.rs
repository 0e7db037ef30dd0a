//! Builds the application from typed `Settings`: pool, migrations, session key, first-run setup
//! token, listener. `Application::build` binds (port 0 in tests) and exposes `port()`.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::cookie::Key;
use actix_web::dev::Server;
use actix_web::{web, HttpServer};
use anyhow::Context;

use crate::api::ApiRuntime;
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::domain::ids::{constant_time_eq, random_base62, sha256_hex};
use crate::models::{api_keys, login_failures, secrets, sessions, users};
use crate::routes;

pub struct AppState {
    pub pool: Pool,
    pub api: Arc<ApiRuntime>,
    pub clock: SharedClock,
    pub settings: Settings,
    /// SHA-256 of the one-time setup token, while no admin exists.
    setup_token_hash: Mutex<Option<String>>,
}

impl AppState {
    pub fn setup_token_matches(&self, token: &str) -> bool {
        let guard = self
            .setup_token_hash
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        guard
            .as_deref()
            .is_some_and(|h| constant_time_eq(h, &sha256_hex(token)))
    }

    pub fn setup_open(&self) -> bool {
        self.setup_token_hash
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    pub fn close_setup(&self) {
        *self
            .setup_token_hash
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
    }
}

pub struct Application {
    port: u16,
    host: String,
    server: Server,
    setup_token: Option<String>,
    pool: Pool,
    api: Arc<ApiRuntime>,
    clock: SharedClock,
}

/// One migrated connection for the short-lived commands (`migrate`, `admin`, `demo`).
pub fn open_connection(
    database: &crate::db::DatabaseUrl,
) -> anyhow::Result<crate::db::AnyConnection> {
    let mut conn = db::connect(database)?;
    db::run_migrations(&mut conn)?;
    Ok(conn)
}

/// Opens the pool and applies migrations (used by `serve`).
pub fn open_database(settings: &Settings) -> anyhow::Result<Pool> {
    let pool = db::build_pool(&settings.database, settings.pool_size)?;
    let mut conn = pool.get().context("cannot get a database connection")?;
    let applied = db::run_migrations(&mut conn)?;
    if applied > 0 {
        tracing::info!(
            applied,
            backend = settings.database.backend_name(),
            "migrations applied"
        );
    }
    Ok(pool)
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(settings: Settings, clock: SharedClock) -> anyhow::Result<Self> {
        let prepared = {
            let settings = settings.clone();
            tokio::task::spawn_blocking(move || -> anyhow::Result<(Pool, Key, bool, i64)> {
                let pool = open_database(&settings)?;
                let mut conn = pool.get()?;
                let key_hex = secrets::get_or_create(&mut conn, "session_cookie_key", || {
                    let mut bytes = [0u8; 64];
                    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
                    hex::encode(bytes)
                })?;
                let key_bytes = hex::decode(key_hex).context("stored session key is not hex")?;
                let key = Key::try_from(key_bytes.as_slice())
                    .context("stored session key is too short")?;
                let has_admin = users::any_admin(&mut conn)?;
                let last_change = api_keys::last_change_id(&mut conn)?;
                Ok((pool, key, has_admin, last_change))
            })
            .await??
        };
        let (pool, key, has_admin, last_change) = prepared;
        let api = ApiRuntime::new();

        let setup_token = (!has_admin).then(|| random_base62(32));
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            api: api.clone(),
            clock: clock.clone(),
            settings: settings.clone(),
            setup_token_hash: Mutex::new(setup_token.as_deref().map(sha256_hex)),
        });

        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let addr = listener.local_addr()?;
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            addr.ip().to_string()
        };
        let mut server = HttpServer::new(move || routes::app(state.clone(), key.clone()))
            .listen(listener)?
            .shutdown_timeout(10);
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        let server = server.run();

        spawn_housekeeping(pool.clone(), clock.clone(), settings.clone());
        spawn_key_change_feed(pool.clone(), api.clone(), last_change);
        spawn_last_used_flusher(pool.clone(), api.clone(), clock.clone());
        Ok(Self {
            port: addr.port(),
            host,
            server,
            setup_token,
            pool,
            api,
            clock,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The one-time setup URL, while no admin exists.
    pub fn setup_url(&self) -> Option<String> {
        self.setup_token
            .as_ref()
            .map(|t| format!("http://{}:{}/setup?token={t}", self.host, self.port))
    }

    pub fn setup_token(&self) -> Option<&str> {
        self.setup_token.as_deref()
    }

    /// The API's per-process state (key cache, last-used tracker), for tests and tools.
    pub fn api(&self) -> Arc<ApiRuntime> {
        self.api.clone()
    }

    /// Serves until stopped, then writes pending last-used facts.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Err(e) = self.api.flush_last_used(&self.pool, &self.clock).await {
            tracing::warn!(error = %e, "could not write last-used facts at shutdown");
        }
        result
    }
}

/// Every ten minutes: drop expired sessions and old sign-in failures.
fn spawn_housekeeping(pool: Pool, clock: SharedClock, settings: Settings) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        tick.tick().await; // the first tick is immediate
        loop {
            tick.tick().await;
            let (pool, clock, settings) = (pool.clone(), clock.clone(), settings.clone());
            let result = web::block(move || -> anyhow::Result<(usize, usize)> {
                let mut conn = pool.get()?;
                let now = clock.now();
                let idle = time::Duration::seconds(settings.session.idle_timeout.as_secs() as i64);
                let absolute =
                    time::Duration::seconds(settings.session.absolute_timeout.as_secs() as i64);
                let s = sessions::delete_expired(&mut conn, now - idle, now - absolute)?;
                let f = login_failures::prune(&mut conn, now - crate::auth::throttle::WINDOW)?;
                api_keys::prune_changes(&mut conn, now - time::Duration::hours(1))?;
                Ok((s, f))
            })
            .await;
            match result {
                Ok(Ok((s, f))) if s + f > 0 => {
                    tracing::info!(sessions = s, login_failures = f, "housekeeping")
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "housekeeping failed"),
                _ => {}
            }
        }
    });
}

/// Every 200 ms: read the key change feed and drop changed keys from this process's cache, so a
/// revoke or rotation made by another server process takes effect here within a second.
fn spawn_key_change_feed(pool: Pool, api: Arc<ApiRuntime>, mut last: i64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let pool = pool.clone();
            let after = last;
            let changes = web::block(move || -> anyhow::Result<Vec<(i64, i64)>> {
                let mut conn = pool.get()?;
                Ok(api_keys::changes_since(&mut conn, after)?)
            })
            .await;
            match changes {
                Ok(Ok(changes)) => {
                    for (id, key_id) in changes {
                        api.keys.invalidate(key_id);
                        last = last.max(id);
                    }
                }
                Ok(Err(e)) => {
                    // Without the feed we cannot trust the cache: empty it until the feed is back.
                    api.keys.clear();
                    tracing::warn!(error = %e, "key change feed unavailable");
                }
                Err(_) => api.keys.clear(),
            }
        }
    });
}

/// Every 5 seconds: write last-used facts that are due (a key at most about once a minute).
fn spawn_last_used_flusher(pool: Pool, api: Arc<ApiRuntime>, clock: SharedClock) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            if let Err(e) = api.last_used.flush(&pool, &clock, false).await {
                tracing::warn!(error = %e, "could not write last-used facts");
            }
            if let Err(e) = api.grant_last_used.flush(&pool, &clock, false).await {
                tracing::warn!(error = %e, "could not write apps' last-used facts");
            }
        }
    });
}
