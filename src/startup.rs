//! Builds the application from typed `Settings`: pool, migrations, session key, first-run setup
//! token, listener. `Application::build` binds (port 0 in tests) and exposes `port()`.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::cookie::Key;
use actix_web::dev::Server;
use actix_web::{web, HttpServer};
use anyhow::Context;

use crate::api::ApiRuntime;
use crate::app::AppState;
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::domain::ids::random_base62;
use crate::models::{api_keys, secrets, users};
use crate::{jobs, routes};

pub struct Application {
    port: u16,
    public_url: String,
    server: Server,
    setup_token: Option<String>,
    pool: Pool,
    api_pool: Pool,
    api: Arc<ApiRuntime>,
    clock: SharedClock,
    metrics_port: Option<u16>,
    metrics_server: Option<actix_web::dev::ServerHandle>,
}

/// One migrated connection for the short-lived commands (`migrate`, `admin`, `demo`).
pub fn open_connection(database: &db::DatabaseUrl) -> anyhow::Result<db::AnyConnection> {
    let mut conn = db::connect(database)?;
    db::run_migrations(&mut conn)?;
    Ok(conn)
}

/// Applies migrations on a connection of their own (no statement budget: building an index on a
/// big table takes its time), then opens the console's and the API's pools (used by `serve`).
pub fn open_database(settings: &Settings) -> anyhow::Result<(Pool, Pool)> {
    let mut conn = db::connect(&settings.database)?;
    let applied = db::run_migrations(&mut conn)?;
    drop(conn);
    if applied > 0 {
        tracing::info!(
            applied,
            backend = settings.database.backend_name(),
            "migrations applied"
        );
    }
    let pool = db::build_pool(&settings.database, settings.console_pool())?;
    let api_pool = db::build_pool(&settings.database, settings.api_pool())?;
    Ok((pool, api_pool))
}

/// What is read from the database before serving.
struct Prepared {
    pool: Pool,
    api_pool: Pool,
    session_key: Key,
    has_admin: bool,
    last_change: i64,
}

fn prepare(settings: &Settings) -> anyhow::Result<Prepared> {
    let (pool, api_pool) = open_database(settings)?;
    let mut conn = pool.get().context("cannot get a database connection")?;
    let key_hex = secrets::get_or_create(&mut conn, "session_cookie_key", || {
        let mut bytes = [0u8; 64];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        hex::encode(bytes)
    })?;
    let key_bytes = hex::decode(key_hex).context("stored session key is not hex")?;
    let session_key =
        Key::try_from(key_bytes.as_slice()).context("stored session key is too short")?;
    let has_admin = users::any_admin(&mut conn)?;
    let last_change = api_keys::last_change_id(&mut conn)?;
    drop(conn);
    Ok(Prepared {
        pool,
        api_pool,
        session_key,
        has_admin,
        last_change,
    })
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(
        mut settings: Settings,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let p = {
            let settings = settings.clone();
            tokio::task::spawn_blocking(move || prepare(&settings)).await??
        };
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let addr = listener.local_addr()?;
        // Without --public-url, links name the address we listen on.
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", crate::config::browsable(&addr.to_string())));
        settings.public_url = Some(public_url.clone());

        let api = ApiRuntime::new(settings.key_cache_entries, settings.last_used_max_keys);
        let setup_token = (!p.has_admin).then(|| random_base62(32));
        let state = web::Data::new(AppState::new(
            p.pool.clone(),
            p.api_pool.clone(),
            api.clone(),
            clock.clone(),
            settings.clone(),
            setup_token.as_deref(),
        ));
        let key = p.session_key;
        let mut server = HttpServer::new(move || routes::app(state.clone(), key.clone()))
            .listen(listener)?
            .shutdown_timeout(10);
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        let server = server.run();
        let (metrics_port, metrics_server) = match &settings.metrics_bind {
            Some(bind) => {
                let (port, server) = crate::handlers::metrics::serve(
                    bind,
                    vec![p.pool.clone(), p.api_pool.clone()],
                )?;
                let handle = server.handle();
                tokio::spawn(server);
                (Some(port), Some(handle))
            }
            None => (None, None),
        };
        jobs::spawn_all(&p.pool, &p.api_pool, &api, &clock, &settings, p.last_change);
        Ok(Self {
            port: addr.port(),
            public_url,
            server,
            setup_token,
            pool: p.pool,
            api_pool: p.api_pool,
            api,
            clock,
            metrics_port,
            metrics_server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where people reach this server: `--public-url`, or the address it listens on.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The port `/metrics` is served on, with `--metrics-bind`.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// The one-time setup URL, while no admin exists.
    pub fn setup_url(&self) -> Option<String> {
        self.setup_token
            .as_ref()
            .map(|t| format!("{}/setup?token={t}", self.public_url))
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
        if let Some(metrics) = self.metrics_server {
            metrics.stop(true).await;
        }
        if let Err(e) = self.api.flush_last_used(&self.api_pool, &self.clock).await {
            tracing::warn!(error = %e, "could not write last-used facts at shutdown");
        }
        result
    }
}
