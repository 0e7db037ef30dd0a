//! Typed settings, built by the CLI from flags and environment; no global config.

use std::net::IpAddr;
use std::time::Duration;

use crate::db::DatabaseUrl;

#[derive(Clone, Debug)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (tests).
    pub bind: String,
    pub database: DatabaseUrl,
    pub session: SessionSettings,
    /// Trust the last `X-Forwarded-For` hop when the peer is one of these proxies.
    pub trusted_proxies: Vec<IpAddr>,
    /// HTTP worker threads (0 = one per core).
    pub workers: usize,
    /// Largest number of pooled database connections.
    pub pool_size: u32,
}

#[derive(Clone, Debug)]
pub struct SessionSettings {
    pub idle_timeout: Duration,
    pub absolute_timeout: Duration,
    /// Send the session cookie without `Secure` (and so without the `__Host-` prefix), for a
    /// plain-http host other than localhost. Off by default.
    pub insecure_cookies: bool,
}

impl SessionSettings {
    pub fn cookie_name(&self) -> &'static str {
        if self.insecure_cookies {
            "mailrith"
        } else {
            "__Host-mailrith"
        }
    }
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 60 * 60),
            insecure_cookies: false,
        }
    }
}

impl Settings {
    pub fn new(bind: impl Into<String>, database: DatabaseUrl) -> Self {
        Self {
            bind: bind.into(),
            database,
            session: SessionSettings::default(),
            trusted_proxies: Vec::new(),
            workers: 0,
            pool_size: 8,
        }
    }
}
