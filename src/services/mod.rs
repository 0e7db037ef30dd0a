//! The business actions, one function each, as plain functions over `&mut AnyConnection`. Each
//! checks the actor's permission, owns its transaction, its audit row and (for keys) the change
//! feed. Handlers, the CLI, the demo and the tests all call these.

pub mod accounts;
pub mod api_auth;
pub mod api_keys;
pub mod apps;
pub mod audit;
pub mod contacts;
pub mod leaks;
pub mod oauth;
pub mod policies;
pub mod reminders;
pub mod team;
pub mod workspaces;

#[cfg(test)]
pub(crate) mod testing;

use time::PrimitiveDateTime;

use crate::db::ids::UserId;
use crate::domain::FieldError;

/// Who acts, from where, and when: what every audited action records and every permission check
/// starts from.
#[derive(Debug, Clone)]
pub struct Acting {
    pub user: UserId,
    pub ip: Option<String>,
    pub now: PrimitiveDateTime,
    /// The authorized app the person acts through (the management API), if any: audited as
    /// "<person> via <app>".
    pub via: Option<String>,
}

impl Acting {
    pub fn new(user: UserId, ip: impl Into<Option<String>>, now: PrimitiveDateTime) -> Self {
        Self {
            user,
            ip: ip.into(),
            now,
            via: None,
        }
    }

    /// The same person, acting through an authorized app.
    pub fn via(self, app: impl Into<String>) -> Self {
        Self {
            via: Some(app.into()),
            ..self
        }
    }
}

/// Why a business action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not there, or not visible to the actor (never tells which).
    #[error("not found")]
    NotFound,
    /// Visible, but the actor may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The state does not allow it (already revoked, rotated by someone else, the last Owner).
    #[error("{0}")]
    Conflict(String),
    /// A value another row already holds (a contact's email): 409 naming the field.
    #[error("{0}")]
    Taken(FieldError),
    /// Input that parsed but breaks a rule only the database can tell (a name in use): the form
    /// is shown again with these errors.
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" "))]
    Invalid(Vec<FieldError>),
    /// A statement ran past its time budget (the console's search): narrow it and try again.
    #[error("the search took too long")]
    TooSlow,
    /// No connection came free in time, or the database cannot be reached.
    #[error("{0:#}")]
    Unavailable(anyhow::Error),
    #[error("database: {0}")]
    Database(diesel::result::Error),
    #[error("{0:#}")]
    Internal(#[from] anyhow::Error),
}

impl Error {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => Self::NotFound,
            other if crate::db::is_timeout(&other) => {
                // Which budget it was (a statement timeout, a cancel, SQLite's budget) is only
                // in the database's message: kept in the log, since the answer says no more.
                tracing::warn!(error = %other, "a statement was stopped by a time budget");
                Self::TooSlow
            }
            other => Self::Database(other),
        }
    }
}

impl From<crate::db::Unavailable> for Error {
    fn from(e: crate::db::Unavailable) -> Self {
        Self::Unavailable(e.0)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Form input as parsed: the value, or the field errors. Services take input this way so that
/// they check who may act (404, 403, 409) before they report what was typed wrong (422).
pub type Input<T> = std::result::Result<T, Vec<FieldError>>;

/// The errors of parsed input, and any found later, together.
pub(crate) fn invalid_with<T>(input: &Input<T>, mut more: Vec<FieldError>) -> Option<Error> {
    let mut errors = input.as_ref().err().cloned().unwrap_or_default();
    errors.append(&mut more);
    (!errors.is_empty()).then_some(Error::Invalid(errors))
}
