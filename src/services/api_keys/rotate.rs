//! Rotating a key (its confirmation names the secret it is for; one of two concurrent rotations
//! wins) and revoking one.

use super::{expiration_text, manageable};
use crate::db::AnyConnection;
use crate::domain::audit::AuditAction;
use crate::domain::format::format_time;
use crate::domain::ids::constant_time_eq;
use crate::domain::key::{secret_version, Expiration, KeyStatus, Overlap, PlainKey};
use crate::models::api_keys::{self, KeyListing};
use crate::models::api_keys::{ApiKey, Replaced};
use crate::services::{audit, Acting, Error, Input, Result};

/// The Expiration of a rotation: the current one, or a new choice.
#[derive(Debug, Clone, Copy)]
pub enum NewExpiration {
    Keep,
    New(Expiration),
}

/// What the Rotate dialog asks for: the expiration, and when the old secret stops working.
#[derive(Debug, Clone, Copy)]
pub struct RotateChoice {
    pub expiration: NewExpiration,
    pub overlap: Overlap,
}

impl From<NewExpiration> for RotateChoice {
    fn from(expiration: NewExpiration) -> Self {
        Self {
            expiration,
            overlap: Overlap::Immediately,
        }
    }
}

pub struct Rotated {
    pub listing: KeyListing,
    pub secret: PlainKey,
}

/// A key the actor may rotate, the secret version a fresh Rotate confirmation names, and its
/// workspace's name and policy (which Expiration choices the dialog offers).
pub fn rotation(
    c: &mut AnyConnection,
    acting: &Acting,
    key: &str,
) -> Result<(KeyListing, String, crate::domain::policy::Policy)> {
    let l = manageable(c, acting, key)?;
    let version = secret_version(&api_keys::current_hash(c, l.key.id)?);
    let policy = crate::models::workspaces::membership_in(c, acting.user, l.key.workspace_id)?
        .map(|m| m.workspace.policy())
        .unwrap_or_default();
    Ok((l, version, policy))
}

/// Gives a key a new secret. The old one stops at once, or with an overlap at the chosen time
/// (both work until then); an old secret still kept from an earlier rotation is retired first, so
/// a key never has more than two. `confirmed` is the secret version the confirmation was issued
/// for: of two rotations confirmed for one secret, exactly one wins, and the other is told who
/// rotated (no secret).
pub fn rotate(
    c: &mut AnyConnection,
    acting: &Acting,
    key: &str,
    confirmed: &str,
    choice: Input<RotateChoice>,
) -> Result<Rotated> {
    let l = manageable(c, acting, key)?;
    let choice = choice.map_err(Error::Invalid)?;
    let expired = l.key.status(acting.now) == KeyStatus::Expired;
    let expires_at = match choice.expiration {
        NewExpiration::Keep if expired => {
            return Err(Error::invalid(
                "expiration",
                "This key has expired: choose a new expiration.",
            ))
        }
        NewExpiration::Keep => l.key.expires_at,
        NewExpiration::New(e) => e.expires_at(acting.now),
    };
    if expired && choice.overlap != Overlap::Immediately {
        return Err(Error::invalid(
            "old_secret",
            "This key has expired, so its old secret already stopped working: choose Immediately.",
        ));
    }
    let ws = crate::models::workspaces::membership_in(c, acting.user, l.key.workspace_id)?
        .ok_or(Error::NotFound)?
        .workspace;
    let what = format!("rotating \"{}\"", l.key.name);
    crate::services::policies::check_expiration(
        c,
        acting,
        &ws,
        expires_at,
        Some(&l.key.public_id),
        &what,
    )?;
    let until = choice.overlap.until(acting.now);
    let secret = PlainKey::generate();
    let (new_hash, new_hint) = (secret.hash(), secret.hint());
    c.write_transaction::<_, Error, _>(|c| {
        let old_hash = api_keys::current_hash(c, l.key.id)?;
        // The confirmation must be for the secret the key still has, and the update is a
        // compare-and-swap on that secret's hash.
        if confirmed.is_empty() || !constant_time_eq(&secret_version(&old_hash), confirmed) {
            return Err(rotation_conflict(c, &l)?);
        }
        // At most two valid secrets: an overlap still running ends now.
        super::overlap::retire_in(c, acting, &l.key, super::overlap::Why::RotatedAgain)?;
        let replaced = Replaced {
            hash: &old_hash,
            hint: &l.key.hint,
            until,
        };
        if api_keys::rotate(
            c,
            l.key.id,
            &replaced,
            new_hash.as_str(),
            &new_hint,
            expires_at,
            acting.now,
        )? != 1
        {
            return Err(rotation_conflict(c, &l)?);
        }
        if until.is_none() {
            api_keys::retire_hash(c, l.key.id, &old_hash, acting.now)?;
        }
        api_keys::record_change(c, l.key.id, acting.now)?;
        let (old, new) = (
            expiration_text(l.key.expires_at),
            expiration_text(expires_at),
        );
        let mut details = if old == new {
            "new secret".to_owned()
        } else {
            format!("new secret; expiration: {old} → {new}")
        };
        match until {
            Some(t) => details.push_str(&format!("; old secret works until {}", format_time(t))),
            None => details.push_str("; old secret stopped at once"),
        }
        audit::record(
            c,
            acting,
            Some(l.key.workspace_id),
            AuditAction::ApiKeyRotate,
            Some(&l.key.public_id),
            &details,
        )?;
        let mut listing = l.clone();
        listing.key.expires_at = expires_at;
        listing.key.rotated_at = Some(acting.now);
        listing.key.secret_first_used_at = None;
        listing.key.old_hint = until.map(|_| l.key.hint.clone());
        listing.key.old_retires_at = until;
        listing.key.old_last_used_at = None;
        listing.key.hint = new_hint.clone();
        Ok(Rotated {
            listing,
            secret: secret.clone(),
        })
    })
}

/// Why a rotation lost: someone else rotated (or revoked) the key after its confirmation was shown.
fn rotation_conflict(c: &mut AnyConnection, l: &KeyListing) -> Result<Error> {
    let last = crate::models::audit::last_of(
        c,
        l.key.workspace_id,
        &l.key.public_id,
        &[AuditAction::ApiKeyRotate, AuditAction::ApiKeyRevoke],
    )?;
    let who = |w: Option<String>| w.unwrap_or_else(|| "someone else".into());
    Ok(Error::Conflict(match last {
        Some((AuditAction::ApiKeyRotate, w)) => format!(
            "This key was just rotated by {}; its new secret was shown to them. Ask them for it, or reload the key to rotate it again.",
            who(w)
        ),
        Some((AuditAction::ApiKeyRevoke, w)) => format!(
            "This key was just revoked by {}. Reload to see its state.",
            who(w)
        ),
        _ => "This confirmation is out of date. Reload the key and rotate it again.".into(),
    }))
}

/// Revokes a key: it stops working at once, here and (through the change feed) everywhere.
pub fn revoke(c: &mut AnyConnection, acting: &Acting, key: &str) -> Result<KeyListing> {
    let l = manageable(c, acting, key)?;
    c.write_transaction::<_, Error, _>(|c| {
        if !revoke_in(c, acting, &l.key, "access stopped")? {
            return Err(Error::Conflict("This key is already revoked.".into()));
        }
        Ok(l)
    })
}

/// Revokes one key inside the caller's transaction (the caller checked the permission); false
/// when it already was revoked.
pub(crate) fn revoke_in(
    c: &mut AnyConnection,
    acting: &Acting,
    key: &ApiKey,
    details: &str,
) -> Result<bool> {
    if api_keys::revoke(c, key.id, Some(acting.user), acting.now)? != 1 {
        return Ok(false);
    }
    // Both secrets of a rotation in progress stop together.
    super::overlap::retire_in(c, acting, key, super::overlap::Why::Revoked)?;
    api_keys::record_change(c, key.id, acting.now)?;
    audit::record(
        c,
        acting,
        Some(key.workspace_id),
        AuditAction::ApiKeyRevoke,
        Some(&key.public_id),
        details,
    )?;
    Ok(true)
}

/// Revokes a key that a workspace's "unused for N days" policy caught, inside the caller's
/// transaction; false when it was revoked already (by a person, or by another process's job).
pub(crate) fn revoke_by_policy(
    c: &mut AnyConnection,
    key: &ApiKey,
    days: i32,
    now: time::PrimitiveDateTime,
) -> Result<bool> {
    if api_keys::revoke(c, key.id, None, now)? != 1 {
        return Ok(false);
    }
    super::overlap::retire_with(c, None, now, key, super::overlap::Why::Revoked)?;
    api_keys::record_change(c, key.id, now)?;
    let details = format!(
        "revoked by the workspace policy: unused for {}",
        crate::domain::policy::lifetime_label(days)
    );
    audit::record_unattended(
        c,
        now,
        None,
        Some(key.workspace_id),
        AuditAction::ApiKeyRevoke,
        Some(&key.public_id),
        &details,
    )?;
    Ok(true)
}

/// After a revocation the caller made (outside a person's action): the old secret of a rotation
/// in progress stops with it.
pub(crate) fn retire_old_after_revocation(
    c: &mut AnyConnection,
    key: &ApiKey,
    now: time::PrimitiveDateTime,
) -> Result<bool> {
    super::overlap::retire_with(c, None, now, key, super::overlap::Why::Revoked)
}
