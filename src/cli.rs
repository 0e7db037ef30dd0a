//! Command line: `serve` (the default), `migrate`, `admin create`, `demo`.

use std::io::{BufRead, IsTerminal};
use std::net::IpAddr;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::config::{SessionSettings, Settings};
use crate::db::DatabaseUrl;
use crate::domain::account::{EmailAddress, NewPassword, PersonName};
use crate::domain::workspace::WorkspaceName;
use crate::services::accounts::NewAdmin;

#[derive(Parser, Debug)]
#[command(
    name = "mailrith",
    version,
    about = "Mailrith Keys: the Settings > API Keys console of Mailrith"
)]
pub struct Cli {
    /// Database URL: postgres://… or postgresql://… for PostgreSQL; sqlite://FILE, file:… or a plain path for SQLite.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://mailrith.db",
        global = true
    )]
    pub database_url: String,

    /// Log lines as JSON instead of text.
    #[arg(long, env = "MAILRITH_LOG_JSON", global = true)]
    pub log_json: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the console (the default when no command is given).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage admin accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Fill the database with a realistic demo and print how to sign in.
    Demo(DemoArgs),
    /// Work with tokens offline.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Read a token from standard input and say whether it is a Mailrith token with a valid
    /// format and checksum, without a database (exit status 0 when valid, 1 when not): for a
    /// pre-commit hook or a scanner.
    Check,
}

#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    /// Address the console will listen on, for the sign-in link printed at the end.
    #[arg(long, env = "MAILRITH_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Where people reach the console, when not at the bind address.
    #[arg(long, env = "MAILRITH_PUBLIC_URL")]
    pub public_url: Option<String>,
}

impl DemoArgs {
    /// The sign-in page of the console: at `--public-url`, or on `bind`.
    pub fn login_url(&self) -> anyhow::Result<String> {
        Ok(match &self.public_url {
            Some(url) => format!("{}/login", crate::config::parse_public_url(url)?),
            None => format!("http://{}/login", crate::config::browsable(&self.bind)),
        })
    }
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "MAILRITH_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "MAILRITH_SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: u64,
    /// Hours after sign-in after which a session ends, however active.
    #[arg(long, env = "MAILRITH_SESSION_ABSOLUTE_HOURS", default_value_t = 12)]
    pub session_absolute_hours: u64,
    /// Send the session cookie without Secure (and without the __Host- prefix), for a plain-http
    /// host other than localhost. Never use this on the internet.
    #[arg(long, env = "MAILRITH_INSECURE_COOKIES")]
    pub insecure_cookies: bool,
    /// Reverse proxies whose X-Forwarded-For is trusted (comma-separated IPs). None by default.
    #[arg(long, env = "MAILRITH_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxy: Vec<IpAddr>,
    /// HTTP worker threads (0 = one per core).
    #[arg(long, env = "MAILRITH_WORKERS", default_value_t = 0)]
    pub workers: usize,
    /// Where people reach the console, such as https://keys.example.com: used in invitation
    /// links, the OAuth issuer and the Developer Quickstart. Default: the bind address.
    #[arg(long, env = "MAILRITH_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Database connections for the console (0 = twice the cores, at least 4).
    #[arg(long, env = "MAILRITH_POOL_SIZE", default_value_t = 0)]
    pub pool_size: u32,
    /// Database connections kept for the API, so that console traffic never makes it wait.
    #[arg(long, env = "MAILRITH_API_POOL_SIZE", default_value_t = 4)]
    pub api_pool_size: u32,
    /// Milliseconds a console statement may run before the person is asked to narrow the search.
    #[arg(
        long,
        env = "MAILRITH_CONSOLE_STATEMENT_TIMEOUT_MS",
        default_value_t = 2000
    )]
    pub console_statement_timeout_ms: u64,
    /// SQLite page cache per connection, in KiB.
    #[arg(long, env = "MAILRITH_SQLITE_CACHE_KIB", default_value_t = 2048)]
    pub sqlite_cache_kib: u32,
    /// Verified API keys kept in memory (the least recently used are dropped first).
    #[arg(long, env = "MAILRITH_KEY_CACHE_ENTRIES", default_value_t = 50_000)]
    pub key_cache_entries: usize,
    /// Keys whose last use is held in memory before being written; past this, written at once.
    #[arg(long, env = "MAILRITH_LAST_USED_MAX_KEYS", default_value_t = 50_000)]
    pub last_used_max_keys: usize,
    /// Milliseconds between reads of the key change feed.
    #[arg(long, env = "MAILRITH_KEY_FEED_POLL_MS", default_value_t = 200)]
    pub key_feed_poll_ms: u64,
    /// Serve Prometheus metrics at GET /metrics on this address (off by default). Keep it
    /// private: never the public address.
    #[arg(long, env = "MAILRITH_METRICS_BIND")]
    pub metrics_bind: Option<String>,
    /// Send reminder emails through this SMTP server: smtp://user:pass@host:587 (STARTTLS),
    /// smtps://user:pass@host:465, or smtp://host:25?tls=none for a local relay. Without it,
    /// reminders are shown in the console only.
    #[arg(long, env = "MAILRITH_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The From address of reminder emails, e.g. "Mailrith <keys@example.com>".
    #[arg(long, env = "MAILRITH_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// A JSON file of the public keys that sign secret-scanning reports, in the shape GitHub
    /// publishes ({"public_keys": [{"key_identifier", "key", "is_current"}]}). Without it,
    /// POST /api/v1/secret-scanning/verify answers 404.
    #[arg(long, env = "MAILRITH_SECRET_SCANNING_KEYS")]
    pub secret_scanning_keys: Option<std::path::PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an admin. The password is read from a prompt, or one line of standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Workspace to own (created when it does not exist).
        #[arg(long)]
        workspace: Option<String>,
    },
}

impl Cli {
    /// Parses the command line. `serve` is the default command, so its flags work without the
    /// word: `mailrith --bind 127.0.0.1:9000` is `mailrith serve --bind 127.0.0.1:9000`.
    pub fn parse_with_default() -> Self {
        Self::parse_args(std::env::args().collect()).unwrap_or_else(|e| e.exit())
    }

    pub fn parse_args(args: Vec<String>) -> Result<Self, clap::Error> {
        use clap::error::ErrorKind;
        let first = Cli::try_parse_from(&args);
        if let Ok(cli) = &first {
            if cli.command.is_some() {
                return first;
            }
        }
        if let Err(e) = &first {
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                return first;
            }
        }
        let mut with_serve = vec![
            args.first().cloned().unwrap_or_else(|| "mailrith".into()),
            "serve".into(),
        ];
        with_serve.extend(args.into_iter().skip(1));
        // When neither reading works, the first error is the one that names the mistake.
        Cli::try_parse_from(with_serve).or_else(|second| first.map_err(|_| second))
    }

    pub fn database(&self) -> anyhow::Result<DatabaseUrl> {
        DatabaseUrl::parse(&self.database_url)
    }
}

impl ServeArgs {
    pub fn settings(&self, database: DatabaseUrl) -> anyhow::Result<Settings> {
        let mut s = Settings::new(self.bind.clone(), database);
        s.public_url = self
            .public_url
            .as_deref()
            .map(crate::config::parse_public_url)
            .transpose()?;
        s.session = SessionSettings {
            idle_timeout: Duration::from_secs(self.session_idle_minutes * 60),
            absolute_timeout: Duration::from_secs(self.session_absolute_hours * 3600),
            insecure_cookies: self.insecure_cookies,
        };
        s.trusted_proxies = self.trusted_proxy.clone();
        s.workers = self.workers;
        if self.api_pool_size == 0 {
            anyhow::bail!("--api-pool-size must be at least 1");
        }
        s.pool_size = self.pool_size;
        s.api_pool_size = self.api_pool_size;
        if self.console_statement_timeout_ms == 0 {
            anyhow::bail!("--console-statement-timeout-ms must be at least 1");
        }
        s.console_statement_timeout = Duration::from_millis(self.console_statement_timeout_ms);
        s.sqlite_cache_kib = self.sqlite_cache_kib;
        if self.key_cache_entries == 0 || self.last_used_max_keys == 0 {
            anyhow::bail!("--key-cache-entries and --last-used-max-keys must be at least 1");
        }
        s.key_cache_entries = self.key_cache_entries;
        s.last_used_max_keys = self.last_used_max_keys;
        s.key_feed_poll = Duration::from_millis(self.key_feed_poll_ms.max(10));
        if let Some(bind) = &self.metrics_bind {
            if bind.trim() == self.bind.trim() {
                anyhow::bail!("--metrics-bind must differ from --bind: metrics are never public");
            }
        }
        s.metrics_bind = self.metrics_bind.clone();
        s.mail = match (&self.smtp_url, &self.mail_from) {
            (None, None) => None,
            (Some(url), Some(from)) => {
                let mail = crate::config::MailSettings {
                    smtp_url: url.clone(),
                    from: from.clone(),
                };
                // Refuse a bad URL or address now rather than at the first reminder.
                crate::mail::Mailer::new(&mail)?;
                Some(mail)
            }
            (Some(_), None) => anyhow::bail!("--smtp-url needs --mail-from"),
            (None, Some(_)) => anyhow::bail!("--mail-from needs --smtp-url"),
        };
        if let Some(path) = &self.secret_scanning_keys {
            let text = std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!("cannot read --secret-scanning-keys {}: {e}", path.display())
            })?;
            s.secret_scanning = Some(std::sync::Arc::new(
                crate::domain::scanning::ScanningKeys::from_json(&text)?,
            ));
        }
        Ok(s)
    }
}

pub fn read_new_admin(
    email: &str,
    name: &str,
    workspace: Option<&str>,
) -> anyhow::Result<NewAdmin> {
    let email =
        EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("--email: {}", e.message))?;
    let name = PersonName::parse(name).map_err(|e| anyhow::anyhow!("--name: {}", e.message))?;
    let workspace = workspace
        .map(WorkspaceName::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--workspace: {}", e.message))?;
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        NewPassword::parse(&first, &second, &[email.as_str(), name.as_str()])
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let line = line.trim_end_matches(['\r', '\n']);
        NewPassword::parse(line, line, &[email.as_str(), name.as_str()])
    }
    .map_err(|e| anyhow::anyhow!("password: {}", e.message))?;
    Ok(NewAdmin {
        email,
        name,
        workspace,
        password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::parse_args(args.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn serve_is_the_default_and_its_flags_work_without_the_word() {
        for args in [
            vec!["mailrith", "--bind", "127.0.0.1:9000"],
            vec!["mailrith", "serve", "--bind", "127.0.0.1:9000"],
            vec![
                "mailrith",
                "--database-url",
                "x.db",
                "--bind",
                "127.0.0.1:9000",
            ],
        ] {
            match parse(&args).unwrap().command {
                Some(Command::Serve(s)) => assert_eq!(s.bind, "127.0.0.1:9000", "{args:?}"),
                other => panic!("{args:?} gave {other:?}"),
            }
        }
        assert!(matches!(
            parse(&["mailrith"]).unwrap().command,
            Some(Command::Serve(_))
        ));
        assert!(matches!(
            parse(&["mailrith", "migrate"]).unwrap().command,
            Some(Command::Migrate)
        ));
        let typo = parse(&["mailrith", "migrat"]).unwrap_err().to_string();
        assert!(typo.contains("migrat"), "{typo}");
    }

    #[test]
    fn demo_prints_a_browsable_sign_in_url() {
        let url = |bind: &str, public: Option<&str>| {
            DemoArgs {
                bind: bind.into(),
                public_url: public.map(str::to_owned),
            }
            .login_url()
            .unwrap()
        };
        assert_eq!(url("127.0.0.1:9000", None), "http://127.0.0.1:9000/login");
        assert_eq!(url("0.0.0.0:8081", None), "http://127.0.0.1:8081/login");
        assert_eq!(
            url("0.0.0.0:8081", Some("https://keys.example.com/")),
            "https://keys.example.com/login"
        );
    }
}
