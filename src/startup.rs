//! Builds the application from typed `Settings`: pool, migrations, session key, first-run setup
//! token, listener. `Application::build` binds (port 0 in tests) and exposes `port()`.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::cookie::Key;
use actix_web::dev::Server;
use actix_web::{web, HttpServer};
use anyhow::Context;

use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::domain::ids::{constant_time_eq, random_base62, sha256_hex};
use crate::models::{login_failures, secrets, sessions, users};
use crate::routes;

pub struct AppState {
    pub pool: Pool,
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
}

/// Opens the pool and applies migrations (used by `serve`, `migrate`, `admin` and `demo`).
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
            tokio::task::spawn_blocking(move || -> anyhow::Result<(Pool, Key, bool)> {
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
                Ok((pool, key, has_admin))
            })
            .await??
        };
        let (pool, key, has_admin) = prepared;

        let setup_token = (!has_admin).then(|| random_base62(32));
        let state = web::Data::new(AppState {
            pool: pool.clone(),
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

        spawn_housekeeping(pool.clone(), clock, settings.clone());
        Ok(Self {
            port: addr.port(),
            host,
            server,
            setup_token,
            pool,
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

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
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
