//! Typed settings, built by the CLI from flags and environment; no global config.

use std::net::IpAddr;
use std::time::Duration;

use crate::db::DatabaseUrl;

#[derive(Clone, Debug)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (tests).
    pub bind: String,
    /// Where people reach the console (`https://keys.example.com`), without a trailing slash:
    /// the one source for invitation links, the OAuth issuer and the Developer Quickstart. The
    /// `Host` header is never trusted for these. `None`: the address the server listens on.
    pub public_url: Option<String>,
    pub database: DatabaseUrl,
    pub session: SessionSettings,
    /// Trust the last `X-Forwarded-For` hop when the peer is one of these proxies.
    pub trusted_proxies: Vec<IpAddr>,
    /// HTTP worker threads (0 = one per core).
    pub workers: usize,
    /// Largest number of pooled database connections for the console (0 = twice the cores, at
    /// least 4: see `console_pool`).
    pub pool_size: u32,
    /// Connections kept apart for the API (key lookups, the change feed, last-used writes).
    pub api_pool_size: u32,
    /// Console statements that run longer are stopped; the person is asked to narrow the search.
    pub console_statement_timeout: Duration,
    /// SQLite's page cache per connection, in KiB.
    pub sqlite_cache_kib: u32,
    /// Verified keys kept in memory (least recently used go first).
    pub key_cache_entries: usize,
    /// Keys whose last use is held in memory before it is written; past this, it is written at
    /// once.
    pub last_used_max_keys: usize,
    /// How often the key change feed is read (PostgreSQL is also told at once by NOTIFY).
    pub key_feed_poll: Duration,
    /// Where `/metrics` is served (off when `None`); never the public address.
    pub metrics_bind: Option<String>,
    /// Email for reminders (expiring keys, overlaps closing, policy revocations); in-app only
    /// when `None`.
    pub mail: Option<MailSettings>,
    /// The keys that sign secret-scanning reports (`--secret-scanning-keys`); without them
    /// `POST /api/v1/secret-scanning/verify` answers 404.
    pub secret_scanning: Option<std::sync::Arc<crate::domain::scanning::ScanningKeys>>,
}

/// Where reminder emails go out, and from whom.
#[derive(Clone)]
pub struct MailSettings {
    /// `smtp://user:pass@host:587` (STARTTLS required), `smtps://…:465` (TLS), or
    /// `smtp://host:25?tls=none` for a local relay. Holds a password: never logged.
    pub smtp_url: String,
    /// The From address: `Mailrith <keys@example.com>`.
    pub from: String,
}

/// An SMTP URL with its password replaced, for messages and logs.
pub fn redacted_smtp_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("****"));
            }
            u.to_string()
        }
        Err(_) => "(unparseable SMTP URL)".to_owned(),
    }
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("smtp_url", &redacted_smtp_url(&self.smtp_url))
            .field("from", &self.from)
            .finish()
    }
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
            public_url: None,
            database,
            session: SessionSettings::default(),
            trusted_proxies: Vec::new(),
            workers: 0,
            pool_size: 0,
            api_pool_size: 4,
            console_statement_timeout: Duration::from_secs(2),
            sqlite_cache_kib: 2048,
            key_cache_entries: 50_000,
            last_used_max_keys: 50_000,
            key_feed_poll: Duration::from_millis(200),
            metrics_bind: None,
            mail: None,
            secret_scanning: None,
        }
    }
}

impl Settings {
    /// How the console's pool is opened. By default with twice as many connections as the machine
    /// has cores (at least 4), the usual sizing of a pool: more statements at once than the cores
    /// can run only share them out, and each late one finishes later. Measured with 8 people
    /// searching at once on 2 cores at 1M keys (SQLite): 8 connections 170-219 ms p95, 4
    /// connections 137-142 ms, same throughput.
    pub fn console_pool(&self) -> crate::db::PoolOptions {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let max_size = match self.pool_size {
            0 => u32::try_from(2 * cores).unwrap_or(u32::MAX).max(4),
            n => n,
        };
        crate::db::PoolOptions {
            role: crate::db::PoolRole::Console,
            max_size,
            conn: crate::db::ConnOptions {
                statement_timeout: Some(self.console_statement_timeout),
                sqlite_cache_kib: self.sqlite_cache_kib,
                sqlite_stable_plans: false,
            },
        }
    }

    /// How the API's pool is opened: small, with no statement budget and plans that do not
    /// depend on bound values (its statements are lookups and pages by unique or per-workspace
    /// index: each is prepared once per connection).
    pub fn api_pool(&self) -> crate::db::PoolOptions {
        crate::db::PoolOptions {
            role: crate::db::PoolRole::Api,
            max_size: self.api_pool_size,
            conn: crate::db::ConnOptions {
                statement_timeout: None,
                sqlite_cache_kib: self.sqlite_cache_kib,
                sqlite_stable_plans: true,
            },
        }
    }
}

/// An address a browser can open: a wildcard bind address means this machine.
pub fn browsable(bind: &str) -> String {
    match bind.rsplit_once(':') {
        Some(("0.0.0.0" | "[::]" | "", port)) => format!("127.0.0.1:{port}"),
        _ => bind.to_owned(),
    }
}

/// Checks a `--public-url`: an absolute http(s) URL, stored without a trailing slash.
pub fn parse_public_url(raw: &str) -> anyhow::Result<String> {
    let url = url::Url::parse(raw.trim())
        .map_err(|e| anyhow::anyhow!("--public-url {raw:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        anyhow::bail!("--public-url must be an http:// or https:// URL with a host");
    }
    if url.query().is_some() || url.fragment().is_some() {
        anyhow::bail!("--public-url cannot have a query or a fragment");
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls() {
        assert_eq!(
            parse_public_url("https://keys.example.com/").unwrap(),
            "https://keys.example.com"
        );
        assert_eq!(
            parse_public_url("https://example.com/mailrith/").unwrap(),
            "https://example.com/mailrith"
        );
        assert!(parse_public_url("ftp://x").is_err());
        assert!(parse_public_url("keys.example.com").is_err());
        assert!(parse_public_url("https://x.com/?a=1").is_err());
    }

    #[test]
    fn the_console_pool_is_twice_the_cores_unless_set() {
        let url = DatabaseUrl::parse("sqlite://keys.db").unwrap();
        let mut s = Settings::new("127.0.0.1:0", url);
        let cores = std::thread::available_parallelism().unwrap().get() as u32;
        assert_eq!(s.console_pool().max_size, (2 * cores).max(4));
        s.pool_size = 3;
        assert_eq!(s.console_pool().max_size, 3);
        assert_eq!(s.api_pool().max_size, 4);
    }
}
