//! The end of a rotation's overlap. The old secret is retired by hand ("Retire old secret now"),
//! at its time (the lifecycle job records it; the request path already refuses the secret at that
//! moment in every process), by a new rotation, or by revocation. Each is audited with when the
//! new secret was first used and when the old one was last used: whether the connected system
//! really switched.

use time::PrimitiveDateTime;

use super::manageable;
use crate::db::AnyConnection;
use crate::domain::audit::AuditAction;
use crate::domain::format::format_time;
use crate::models::api_keys::{self, ApiKey, KeyListing, OldSecret};
use crate::services::{audit, Acting, Error, Result};

/// Why an old secret was retired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Someone chose "Retire old secret now".
    ByHand,
    /// Its overlap ended.
    Due,
    /// The key was rotated again.
    RotatedAgain,
    /// The key was revoked.
    Revoked,
}

/// "old secret retired by hand; new secret first used 1 Dec 2026, 04:10 UTC; old secret last
/// used 1 Dec 2026, 04:05 UTC".
fn summary(why: Why, old: &OldSecret, at: PrimitiveDateTime) -> String {
    let how = match why {
        Why::ByHand => "retired by hand",
        Why::Due => "its overlap ended",
        Why::RotatedAgain => "retired by a new rotation",
        Why::Revoked => "stopped with the revocation",
    };
    let when = |t: Option<PrimitiveDateTime>| t.map(format_time);
    let new_use = match when(old.new_first_used_at) {
        Some(t) => format!("new secret first used {t}"),
        None => "new secret not used yet".into(),
    };
    let old_use = match when(old.last_used_at) {
        Some(t) => format!("old secret last used {t}"),
        None => "old secret not used since the rotation".into(),
    };
    let at = old.retires_at.filter(|_| why == Why::Due).unwrap_or(at);
    format!(
        "old secret {how} at {}; {new_use}; {old_use}",
        format_time(at)
    )
}

/// Retires the key's old secret inside the caller's transaction; false when it had none (or
/// another process retired it first). `acting` is `None` for the job.
pub(crate) fn retire_with(
    c: &mut AnyConnection,
    acting: Option<&Acting>,
    now: PrimitiveDateTime,
    key: &ApiKey,
    why: Why,
) -> Result<bool> {
    let Some(old) = api_keys::old_secret(c, key.id)? else {
        return Ok(false);
    };
    if api_keys::clear_old_secret(c, key.id, &old.hash)? != 1 {
        return Ok(false);
    }
    api_keys::retire_hash(c, key.id, &old.hash, now)?;
    let details = summary(why, &old, now);
    let (ws, subject) = (Some(key.workspace_id), Some(key.public_id.as_str()));
    let action = AuditAction::ApiKeyRetireOldSecret;
    match acting {
        Some(a) => audit::record(c, a, ws, action, subject, &details)?,
        None => audit::record_unattended(c, now, None, ws, action, subject, &details)?,
    }
    Ok(true)
}

pub(crate) fn retire_in(
    c: &mut AnyConnection,
    acting: &Acting,
    key: &ApiKey,
    why: Why,
) -> Result<bool> {
    retire_with(c, Some(acting), acting.now, key, why)
}

/// "Retire old secret now": the old secret stops at once, here and everywhere.
pub fn retire_old_secret(c: &mut AnyConnection, acting: &Acting, key: &str) -> Result<KeyListing> {
    let l = manageable(c, acting, key)?;
    c.write_transaction::<_, Error, _>(|c| {
        if !retire_in(c, acting, &l.key, Why::ByHand)? {
            return Err(Error::Conflict(
                "This key has no old secret to retire: its rotation is already finished.".into(),
            ));
        }
        api_keys::record_change(c, l.key.id, acting.now)?;
        Ok(())
    })?;
    let mut l = l;
    l.key.old_hint = None;
    l.key.old_retires_at = None;
    Ok(l)
}

/// Records the end of every overlap whose time has come (the old secrets already stopped working
/// on the request path). Safe with several processes: each retirement is a compare-and-swap, so
/// each is audited once. Returns the keys retired, for the caches.
pub fn retire_due(
    c: &mut AnyConnection,
    now: PrimitiveDateTime,
) -> Result<Vec<crate::db::ids::KeyId>> {
    let due = api_keys::due_old_secrets(c, now, 500)?;
    let mut done = Vec::new();
    for key in due {
        let retired = c.write_transaction::<_, Error, _>(|c| {
            let r = retire_with(c, None, now, &key, Why::Due)?;
            if r {
                api_keys::record_change(c, key.id, now)?;
            }
            Ok(r)
        })?;
        if retired {
            done.push(key.id);
        }
    }
    Ok(done)
}
