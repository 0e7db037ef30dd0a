//! `AppState`: what every request can reach (the pool, the API's per-process state, the clock,
//! the settings, the one-time setup token). Handlers import it; it imports no handler.

use std::sync::{Arc, Mutex};

use crate::api::ApiRuntime;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::db::ids::KeyId;
use crate::db::Pool;
use crate::domain::ids::{constant_time_eq, sha256_hex};

pub struct AppState {
    /// The console's connections (with a statement budget).
    pub pool: Pool,
    /// The API's connections, kept apart so console traffic never makes the API wait.
    pub api_pool: Pool,
    pub api: Arc<ApiRuntime>,
    pub clock: SharedClock,
    pub settings: Settings,
    /// SHA-256 of the one-time setup token, while no admin exists.
    setup_token_hash: Mutex<Option<String>>,
}

impl AppState {
    pub fn new(
        pool: Pool,
        api_pool: Pool,
        api: Arc<ApiRuntime>,
        clock: SharedClock,
        settings: Settings,
        setup_token: Option<&str>,
    ) -> Self {
        Self {
            pool,
            api_pool,
            api,
            clock,
            settings,
            setup_token_hash: Mutex::new(setup_token.map(sha256_hex)),
        }
    }

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

    /// Keys that just changed stop being trusted from this process's cache at once (other
    /// processes follow the change feed).
    pub fn keys_changed(&self, keys: impl IntoIterator<Item = KeyId>) {
        for k in keys {
            self.api.keys.invalidate(k);
        }
    }
}
