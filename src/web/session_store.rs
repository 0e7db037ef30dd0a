//! actix-session's `SessionStore` over our own database: sign-out, disabling a user and removing a
//! member end sessions at once, and every server process sharing the database shares them.
//! Only the SHA-256 of a session id is stored; idle and absolute timeouts are checked against the
//! clock passed in.

use std::collections::HashMap;
use std::time::Duration;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;

use crate::clock::SharedClock;
use crate::config::SessionSettings;
use crate::db::ids::UserId;
use crate::db::Pool;
use crate::domain::ids::{random_base62, sha256_hex};
use crate::models::sessions;

type State = HashMap<String, String>;

/// How many connections found closed a session's call skips (more than a pool holds).
const CLOSED_RETRIES: usize = 16;

/// Only touch `last_seen_at` when it is older than this, so that a burst of requests costs one write.
const TOUCH_EVERY: time::Duration = time::Duration::seconds(30);

#[derive(Clone)]
pub struct DbSessionStore {
    pool: Pool,
    clock: SharedClock,
    idle: time::Duration,
    absolute: time::Duration,
}

impl DbSessionStore {
    pub fn new(pool: Pool, clock: SharedClock, settings: &SessionSettings) -> Self {
        Self {
            pool,
            clock,
            idle: to_time(settings.idle_timeout),
            absolute: to_time(settings.absolute_timeout),
        }
    }

    /// A session's statements, on the console's pool. A session is read (and written) on
    /// every request, so its failure is the request's (actix-session answers 500): a call that
    /// failed because the database had closed its connection (a restart, a failover; the
    /// connection is then dropped from the pool) is made again, on another connection (after a
    /// restart every idle connection of the pool is closed: up to `CLOSED_RETRIES` times).
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl Fn(&mut crate::db::AnyConnection, &SharedClock) -> anyhow::Result<T>
            + Send
            + Sync
            + 'static,
    ) -> anyhow::Result<T> {
        let f = std::sync::Arc::new(f);
        let mut retries = 0;
        loop {
            let (f, clock) = (f.clone(), self.clock.clone());
            let result =
                crate::db::run_db(&self.pool, move |c| f(c, &clock).map_err(Failed::Call)).await;
            match result {
                Ok(value) => return Ok(value),
                Err(Failed::Unavailable(e))
                    if e.connection_closed() && retries < CLOSED_RETRIES =>
                {
                    retries += 1;
                }
                Err(Failed::Unavailable(e)) => return Err(e.0),
                Err(Failed::Call(e)) => return Err(e),
            }
        }
    }
}

/// How a session's call failed: its own error, or no (working) connection.
enum Failed {
    Call(anyhow::Error),
    Unavailable(crate::db::Unavailable),
}

impl From<crate::db::Unavailable> for Failed {
    fn from(e: crate::db::Unavailable) -> Self {
        Self::Unavailable(e)
    }
}

fn to_time(d: Duration) -> time::Duration {
    time::Duration::seconds(i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2))
}

/// The signed-in user's id, kept in a column so that all of a user's sessions can be ended.
fn user_of(state: &State) -> Option<UserId> {
    state
        .get(super::session::USER)
        .and_then(|v| v.parse().ok())
        .map(UserId)
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let hash = sha256_hex(session_key.as_ref());
        let (idle, absolute) = (self.idle, self.absolute);
        self.blocking(move |conn, clock| {
            let Some(row) = sessions::find(conn, &hash)? else {
                return Ok(None);
            };
            let now = clock.now();
            if now - row.last_seen_at > idle || now - row.created_at > absolute {
                sessions::delete(conn, &hash)?;
                return Ok(None);
            }
            let state: State = serde_json::from_str(&row.state)?;
            Ok(Some(state))
        })
        .await
        .map_err(LoadError::Other)
    }

    async fn save(&self, state: State, _ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        let key = random_base62(64);
        let hash = sha256_hex(&key);
        let json = serde_json::to_string(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        let user = user_of(&state);
        self.blocking(move |conn, clock| {
            sessions::insert(conn, &hash, user, &json, clock.now())?;
            Ok(())
        })
        .await
        .map_err(SaveError::Other)?;
        SessionKey::try_from(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        state: State,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let hash = sha256_hex(session_key.as_ref());
        let json =
            serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let user = user_of(&state);
        let updated = self
            .blocking(move |conn, clock| {
                Ok(sessions::update_state(
                    conn,
                    &hash,
                    user,
                    &json,
                    clock.now(),
                )?)
            })
            .await
            .map_err(UpdateError::Other)?;
        if updated == 0 {
            // The session was ended meanwhile (sign-out elsewhere, user disabled): never resurrect
            // it under its old id, and never carry the sign-in over into a fresh one.
            let mut state = state;
            state.remove(super::session::USER);
            return self
                .save(state, ttl)
                .await
                .map_err(|e| UpdateError::Other(anyhow::anyhow!("{e}")));
        }
        Ok(session_key)
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        _ttl: &CookieDuration,
    ) -> Result<(), anyhow::Error> {
        let hash = sha256_hex(session_key.as_ref());
        self.blocking(move |conn, clock| {
            let now = clock.now();
            if let Some(row) = sessions::find(conn, &hash)? {
                if now - row.last_seen_at >= TOUCH_EVERY {
                    sessions::touch(conn, &hash, now)?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let hash = sha256_hex(session_key.as_ref());
        self.blocking(move |conn, _| {
            sessions::delete(conn, &hash)?;
            Ok(())
        })
        .await
    }
}
