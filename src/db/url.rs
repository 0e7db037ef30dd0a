//! Which database a URL names, decided from its scheme alone; URLs for messages (password
//! redacted) and for libpq (with a connect timeout).

use super::CONNECT_TIMEOUT;

/// Which database a URL names, decided from its scheme alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A libpq connection URL (`postgres://` or `postgresql://`).
    Postgres(String),
    /// A path (or `file:` URI) handed to SQLite.
    Sqlite(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            anyhow::bail!("the database URL is empty");
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                anyhow::bail!("the SQLite URL `sqlite://` names no file");
            }
            return Ok(Self::Sqlite(path.to_owned()));
        }
        if let Some(path) = raw.strip_prefix("sqlite:") {
            return Ok(Self::Sqlite(path.to_owned()));
        }
        if raw.starts_with("file:") {
            return Ok(Self::Sqlite(raw.to_owned()));
        }
        if let Some((scheme, _)) = raw.split_once("://") {
            anyhow::bail!(
                "unsupported database URL scheme `{scheme}://` (use postgres://, postgresql://, sqlite:// or a file path)"
            );
        }
        Ok(Self::Sqlite(raw.to_owned()))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "PostgreSQL",
            Self::Sqlite(_) => "SQLite",
        }
    }

    /// The URL with any password replaced, for messages and logs.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{path}"),
            Self::Postgres(raw) => match url::Url::parse(raw) {
                Ok(mut u) => {
                    if u.password().is_some() {
                        let _ = u.set_password(Some("****"));
                    }
                    u.to_string()
                }
                Err(_) => "postgres://(unparseable)".to_owned(),
            },
        }
    }
}

/// libpq waits as long as the OS lets a TCP connect hang unless told otherwise.
pub(super) fn postgres_url_with_timeout(raw: &str) -> String {
    if raw.contains("connect_timeout=") {
        return raw.to_owned();
    }
    let sep = if raw.contains('?') { '&' } else { '?' };
    format!("{raw}{sep}connect_timeout={}", CONNECT_TIMEOUT.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_picks_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@h/db").unwrap(),
            DatabaseUrl::Postgres("postgres://u:p@h/db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert_eq!(
            DatabaseUrl::parse("sqlite://mailrith.db").unwrap(),
            DatabaseUrl::Sqlite("mailrith.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DatabaseUrl::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("file:x.db?mode=rwc").unwrap(),
            DatabaseUrl::Sqlite("file:x.db?mode=rwc".into())
        );
        assert_eq!(
            DatabaseUrl::parse("data/x.db").unwrap(),
            DatabaseUrl::Sqlite("data/x.db".into())
        );
    }

    #[test]
    fn typos_are_errors_not_new_files() {
        assert!(DatabaseUrl::parse("postgress://h/db").is_err());
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn redacts_password() {
        let u = DatabaseUrl::parse("postgres://me:secret@localhost/db").unwrap();
        assert!(!u.redacted().contains("secret"));
    }

    #[test]
    fn adds_connect_timeout() {
        assert_eq!(
            postgres_url_with_timeout("postgres://h/db"),
            "postgres://h/db?connect_timeout=5"
        );
        assert_eq!(
            postgres_url_with_timeout("postgres://h/db?sslmode=disable"),
            "postgres://h/db?sslmode=disable&connect_timeout=5"
        );
    }
}
