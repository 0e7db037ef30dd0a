//! Authenticating a call: an app's access token, or a key checked against the cache of verified
//! keys (no database round trip when cached). Missing, malformed, unknown, revoked, rotated-out
//! and expired keys are all the same 401; a real key's history records which it was.

use time::PrimitiveDateTime;

use super::error::ApiError;
use super::ApiRuntime;
use crate::db::ids::{KeyId, WorkspaceId};
use crate::db::{run_db, run_db_short, Pool};
use crate::domain::key::{AccessLevel, KeyStatus, PlainKey};
use crate::domain::oauth::ACCESS_TOKEN_PREFIX;
use crate::models::api_keys::KeyForAuth;
use crate::services::api_auth::{self, AppToken};

/// Who is calling: a key, or an app with an access token (never mistaken for each other).
#[derive(Debug, Clone)]
pub enum Caller {
    /// Shared with the verified-key cache.
    Key(std::sync::Arc<KeyForAuth>),
    App(AppToken),
}

impl Caller {
    pub fn workspace_id(&self) -> WorkspaceId {
        match self {
            Self::Key(k) => k.workspace_id,
            Self::App(a) => a.workspace_id,
        }
    }

    /// What the caller may do with contacts: a key's Access Level, an app's contacts scope (none
    /// when its scope is only `keys:manage`).
    pub fn contacts_access(&self) -> Option<AccessLevel> {
        match self {
            Self::Key(k) => Some(k.access_level),
            Self::App(a) => a.scope.contacts,
        }
    }
}

/// The reasons of a working key's refusals (each recorded at most once a minute per key).
const ADDRESS_NOT_ALLOWED: &str = "address not allowed";
const RATE_LIMITED: &str = "rate limited";
/// What a caller from an address its key does not allow is told (nothing about the list).
const ADDRESS_REFUSED: &str = "This key may not be used from this address.";

/// Why a working key's restrictions refused a call.
enum Restricted {
    Address,
    Rate(super::rate::Limited),
}

impl Restricted {
    fn reason(&self) -> &'static str {
        match self {
            Self::Address => ADDRESS_NOT_ALLOWED,
            Self::Rate(_) => RATE_LIMITED,
        }
    }

    /// What the key's history says.
    fn detail(&self, ip: &str) -> String {
        match self {
            Self::Address => format!("refused: address {ip} not allowed"),
            Self::Rate(l) => format!("refused: over its limit of {} requests a minute", l.limit),
        }
    }

    fn answer(&self) -> ApiError {
        match self {
            Self::Address => ApiError::Forbidden(ADDRESS_REFUSED),
            Self::Rate(l) => ApiError::KeyRateLimited {
                limit: l.limit,
                retry_after: l.retry_after,
            },
        }
    }
}

/// A refused call, and the key it can be told to, if any.
struct Rejection {
    key: Option<(KeyId, WorkspaceId, String)>,
    /// What kind of refusal (the history records each kind at most once a minute per key).
    reason: &'static str,
    /// What the history says, when more than the reason ("refused: address … not allowed").
    detail: Option<String>,
}

impl Rejection {
    fn anonymous() -> Self {
        Self {
            key: None,
            reason: "",
            detail: None,
        }
    }

    fn known(key: &KeyForAuth, reason: &'static str) -> Self {
        Self {
            key: Some((key.id, key.workspace_id, key.public_id.clone())),
            reason,
            detail: None,
        }
    }
}

/// What a request presents, besides its credential.
pub struct Presented<'a> {
    pub token: Option<&'a str>,
    /// The caller's address as text (what history and last use record) …
    pub ip: &'a str,
    /// … and parsed (what an allowlist checks); `None` when the connection has none.
    pub addr: Option<std::net::IpAddr>,
    pub user_agent: &'a str,
    pub now: PrimitiveDateTime,
}

impl ApiRuntime {
    /// The whole answer for a working key found in the cache, when it needs no database: its
    /// restrictions pass and there is nothing to record. This is the common case, answered
    /// without leaving the request's thread. `None` sends the request the full way
    /// (`authenticate`), which decides everything else; nothing here has had an effect then.
    pub fn authenticate_cached(
        &self,
        p: &Presented<'_>,
    ) -> Option<Result<(Caller, Option<super::rate::Standing>), ApiError>> {
        if let Some(secs) = self.limiter.check(p.ip, p.now) {
            return Some(Err(ApiError::TooManyRequests(secs)));
        }
        let token = p.token.filter(|t| !t.starts_with(ACCESS_TOKEN_PREFIX))?;
        let k = self.keys.get(&PlainKey::parse(token).ok()?.digest())?;
        if key_status_reason(&k, p.now).is_some() {
            return None;
        }
        let standing = match self.restrictions(&k, p.addr) {
            Ok(standing) => standing,
            Err(r) => {
                self.refused_lately(&k, r.reason(), p)?;
                return Some(Err(r.answer()));
            }
        };
        let caller = Caller::Key(k);
        self.accept(&caller, p);
        Some(Ok((caller, standing)))
    }

    /// A working key's own restrictions: where it may be used from, and how often (a refused
    /// take takes nothing). Where the key stands against its rate limit, when it has one.
    fn restrictions(
        &self,
        k: &KeyForAuth,
        addr: Option<std::net::IpAddr>,
    ) -> Result<Option<super::rate::Standing>, Restricted> {
        if let Some(allowed) = &k.allowed_ips {
            if !addr.is_some_and(|ip| allowed.contains(ip)) {
                return Err(Restricted::Address);
            }
        }
        match k.rate_limit {
            None => Ok(None),
            Some(limit) => self
                .rates
                .take(k.id, limit, std::time::Instant::now())
                .map(Some)
                .map_err(Restricted::Rate),
        }
    }

    /// A refusal that needs no database: the key's history got this reason less than a minute
    /// ago, so this one is only counted (as `record` would). `None` when it must be written.
    fn refused_lately(
        &self,
        k: &KeyForAuth,
        reason: &'static str,
        p: &Presented<'_>,
    ) -> Option<()> {
        if !self.rejections.recorded_lately(k.id.0, reason, p.now) {
            return None;
        }
        self.usage.refused(k.id.0, p.now.date());
        tracing::info!(key = %k.public_id, reason, "API key rejected");
        Some(())
    }

    /// A caller let in: its use counted and its last use noted (both coalesced in memory).
    fn accept(&self, caller: &Caller, p: &Presented<'_>) {
        match caller {
            Caller::Key(k) => {
                self.usage.ok(k.id.0, p.now.date());
                self.last_used
                    .record_secret(k.id.0, k.secret_used(), p.now, p.ip, p.user_agent)
            }
            Caller::App(a) => self
                .grant_last_used
                .record(a.grant.0, p.now, p.ip, p.user_agent),
        }
    }

    /// The caller, and where its key stands against its rate limit (when it has one).
    pub async fn authenticate(
        &self,
        pool: &Pool,
        p: Presented<'_>,
    ) -> Result<(Caller, Option<super::rate::Standing>), ApiError> {
        if let Some(secs) = self.limiter.check(p.ip, p.now) {
            return Err(ApiError::TooManyRequests(secs));
        }
        let outcome = match p.token {
            Some(t) if t.starts_with(ACCESS_TOKEN_PREFIX) => self.app(pool, t, &p).await?,
            _ => self.key(pool, p.token, p.now).await?,
        };
        let mut standing = None;
        if let Ok(Caller::Key(k)) = &outcome {
            match self.restrictions(k, p.addr) {
                Ok(s) => standing = s,
                Err(r) => {
                    let rejection = Rejection {
                        detail: Some(r.detail(p.ip)),
                        ..Rejection::known(k, r.reason())
                    };
                    self.record(pool, rejection, &p).await?;
                    return Err(r.answer());
                }
            }
        }
        match outcome {
            Ok(caller) => {
                self.accept(&caller, &p);
                Ok((caller, standing))
            }
            Err(rejection) => {
                self.limiter.fail(p.ip, p.now);
                self.record(pool, rejection, &p).await?;
                Err(ApiError::Unauthorized)
            }
        }
    }

    async fn app(
        &self,
        pool: &Pool,
        token: &str,
        p: &Presented<'_>,
    ) -> Result<Result<Caller, Rejection>, ApiError> {
        let (token, now) = (token.to_owned(), p.now);
        let found = run_db_short(pool, move |c| api_auth::app_token(c, &token, now)).await?;
        Ok(found.map(Caller::App).ok_or_else(Rejection::anonymous))
    }

    async fn key(
        &self,
        pool: &Pool,
        token: Option<&str>,
        now: PrimitiveDateTime,
    ) -> Result<Result<Caller, Rejection>, ApiError> {
        let Some(plain) = token.and_then(|t| PlainKey::parse(t).ok()) else {
            return Ok(Err(Rejection::anonymous()));
        };
        let digest = plain.digest();
        let key = match self.keys.get(&digest) {
            Some(k) => Some(k),
            None => {
                let generation = self.keys.generation();
                let h = hex::encode(digest);
                let found = run_db_short(pool, move |c| api_auth::key_by_hash(c, &h))
                    .await?
                    .map(std::sync::Arc::new);
                if let Some(k) = &found {
                    self.keys.insert(digest, k.clone(), generation);
                }
                found
            }
        };
        Ok(match key {
            Some(k) => match key_status_reason(&k, now) {
                None => Ok(Caller::Key(k)),
                Some(reason) => Err(Rejection::known(&k, reason)),
            },
            None => {
                let hash = hex::encode(digest);
                let retired = run_db_short(pool, move |c| api_auth::retired_key(c, &hash)).await?;
                Err(Rejection {
                    key: retired,
                    reason: "old secret used after rotation",
                    detail: None,
                })
            }
        })
    }

    /// A refused call with a real key goes into its history (at most once a minute per reason).
    async fn record(
        &self,
        pool: &Pool,
        rejection: Rejection,
        p: &Presented<'_>,
    ) -> Result<(), ApiError> {
        let Some((key_id, workspace, public_id)) = rejection.key else {
            return Ok(());
        };
        self.usage.refused(key_id.0, p.now.date());
        tracing::info!(key = %public_id, reason = rejection.reason, "API key rejected");
        if !self
            .rejections
            .should_record(key_id.0, rejection.reason, p.now)
        {
            return Ok(());
        }
        let (reason, ua, ip, now) = (
            rejection
                .detail
                .unwrap_or_else(|| rejection.reason.to_owned()),
            p.user_agent.to_owned(),
            p.ip.to_owned(),
            p.now,
        );
        run_db(pool, move |c| {
            api_auth::record_rejection(c, workspace, &public_id, &reason, &ua, &ip, now)
        })
        .await?;
        Ok(())
    }
}

/// Why a key does not work now, or `None` when it does. An old secret kept by a rotation's overlap
/// stops at its time exactly, in every process: the check is here, on each request.
fn key_status_reason(key: &KeyForAuth, now: PrimitiveDateTime) -> Option<&'static str> {
    match KeyStatus::of(key.revoked_at, key.expires_at, now) {
        KeyStatus::Active if key.old_until.is_some_and(|until| now >= until) => {
            Some("old secret used after rotation")
        }
        KeyStatus::Active => None,
        KeyStatus::Revoked => Some("revoked key used"),
        KeyStatus::Expired => Some("expired key used"),
    }
}
