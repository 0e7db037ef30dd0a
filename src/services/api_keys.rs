//! API keys: generate, edit, rotate, revoke. Every action is scoped to the actor's workspaces,
//! checked against their permission, audited, and (when it changes what a secret unlocks)
//! written to the change feed in the same transaction.

use super::{audit, invalid_with, Acting, Error, Input, Result};
use crate::db::ids::{KeyId, UserId};
use crate::db::{is_unique_violation, AnyConnection};
use crate::domain::audit::AuditAction;
use crate::domain::format::format_time;
use crate::domain::ids::{constant_time_eq, public_id};
use crate::domain::key::{
    secret_version, AccessLevel, Expiration, KeyName, KeyStatus, PlainKey, Purpose,
};
use crate::models::api_keys::ApiKey;
use crate::models::api_keys::{self, KeyListing, NewApiKey};
use crate::models::workspaces;

pub const NAME_TAKEN: &str =
    "An active key in this workspace already has this name. Choose another name.";

/// "27 Nov 2026, 14:05 UTC", or "Never expires".
pub fn expiration_text(expires_at: Option<time::PrimitiveDateTime>) -> String {
    expires_at
        .map(format_time)
        .unwrap_or_else(|| "Never expires".into())
}

/// What the Generate API Key form asks for, parsed (the workspace aside).
#[derive(Debug, Clone)]
pub struct NewKey {
    pub name: KeyName,
    pub purpose: Purpose,
    pub access: AccessLevel,
    pub expiration: Expiration,
    /// Who owns it; the actor when `None`.
    pub owner: Option<UserId>,
    /// The form's one-time id, so that a double submit creates one key.
    pub request_id: Option<String>,
}

pub enum Generated {
    /// The new key and its secret, to be shown once.
    Key(Box<KeyListing>, PlainKey),
    /// A second submit of the same form: the key exists and its secret was already shown.
    Duplicate { public_id: String },
}

/// Generates a key in `workspace` (a public id; empty when none was chosen).
pub fn generate(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    input: Input<NewKey>,
) -> Result<Generated> {
    if workspace.is_empty() {
        let choose = crate::domain::FieldError::new("workspace", "Choose a workspace.");
        return Err(invalid_with(&input, vec![choose]).unwrap_or(Error::NotFound));
    }
    let membership = workspaces::membership(c, acting.user, workspace)?.ok_or(Error::NotFound)?;
    if !membership.access.can_manage_keys() {
        return Err(Error::Forbidden(
            "You may not generate API keys in this workspace.",
        ));
    }
    let new = input.map_err(Error::Invalid)?;
    let ws = membership.workspace.id;
    let outcome = c.write_transaction::<_, Error, _>(|c| {
        if let Some(rid) = &new.request_id {
            if let Some(existing) = api_keys::find_by_request_id(c, ws, rid)? {
                return Ok(Generated::Duplicate {
                    public_id: existing.public_id,
                });
            }
        }
        if api_keys::active_name_taken(c, ws, new.name.as_str(), acting.now, None)? {
            return Err(Error::invalid("name", NAME_TAKEN));
        }
        let plain = PlainKey::generate();
        let pid = public_id("key");
        let expires_at = new.expiration.expires_at(acting.now);
        api_keys::insert(
            c,
            &NewApiKey {
                public_id: &pid,
                workspace_id: ws,
                name: new.name.as_str(),
                purpose: new.purpose.as_str(),
                access_level: new.access,
                owner_id: Some(new.owner.unwrap_or(acting.user)),
                created_by: Some(acting.user),
                created_at: acting.now,
                expires_at,
                key_hash: plain.hash().as_str(),
                hint: &plain.hint(),
                request_id: new.request_id.as_deref(),
            },
        )?;
        let listing = api_keys::find_for_viewer(c, acting.user, &pid)?.ok_or(Error::NotFound)?;
        let details = format!("{}; {}", new.access.label(), expiration_text(expires_at));
        audit::record(
            c,
            acting,
            Some(ws),
            AuditAction::ApiKeyGenerate,
            Some(&pid),
            &details,
        )?;
        Ok(Generated::Key(Box::new(listing), plain))
    });
    match outcome {
        // A concurrent double submit lost the race on the unique request id: its twin committed.
        Err(Error::Database(e)) if is_unique_violation(&e) => {
            let rid = new.request_id.as_deref().unwrap_or_default();
            match api_keys::find_by_request_id(c, ws, rid)? {
                Some(existing) => Ok(Generated::Duplicate {
                    public_id: existing.public_id,
                }),
                None => Err(Error::Database(e)),
            }
        }
        other => other,
    }
}

/// A key the actor may change: 404 outside their workspaces, 403 without Manage, 409 when revoked.
pub fn manageable(c: &mut AnyConnection, acting: &Acting, key: &str) -> Result<KeyListing> {
    let l = api_keys::find_for_viewer(c, acting.user, key)?.ok_or(Error::NotFound)?;
    if !l.viewer_access.can_manage_keys() {
        return Err(Error::Forbidden(
            "You can view this workspace's API keys but not change them.",
        ));
    }
    if l.key.revoked_at.is_some() {
        return Err(Error::Conflict(
            "This key is revoked and cannot be changed or rotated. Create a new key instead."
                .into(),
        ));
    }
    Ok(l)
}

/// What the Edit form asks for, parsed.
#[derive(Debug, Clone)]
pub struct KeyEdit {
    pub name: KeyName,
    pub purpose: Purpose,
}

/// Saves an edit (the new owner is a member's public id); returns the key's id when anything
/// changed.
pub fn edit(
    c: &mut AnyConnection,
    acting: &Acting,
    key: &str,
    owner: &str,
    input: Input<KeyEdit>,
) -> Result<Option<KeyId>> {
    let l = manageable(c, acting, key)?;
    let mut errors = Vec::new();
    let owner = workspaces::member(c, l.key.workspace_id, owner)?;
    if owner.is_none() {
        errors.push(crate::domain::FieldError::new(
            "owner",
            "Choose a member of this workspace.",
        ));
    }
    if let Ok(edit) = &input {
        if api_keys::active_name_taken(
            c,
            l.key.workspace_id,
            edit.name.as_str(),
            acting.now,
            Some(l.key.id),
        )? {
            errors.push(crate::domain::FieldError::new("name", NAME_TAKEN));
        }
    }
    if let Some(e) = invalid_with(&input, errors) {
        return Err(e);
    }
    let (Some(owner), Ok(edit)) = (owner, input) else {
        return Err(Error::NotFound);
    };
    let mut changes = Vec::new();
    if edit.name.as_str() != l.key.name {
        changes.push(format!(
            "name: \"{}\" → \"{}\"",
            l.key.name,
            edit.name.as_str()
        ));
    }
    if edit.purpose.as_str() != l.key.purpose {
        changes.push("purpose changed".to_owned());
    }
    if Some(owner.public_id.as_str()) != l.owner_public_id.as_deref() {
        changes.push(format!(
            "owner: {} → {}",
            l.owner_name.clone().unwrap_or_else(|| "none".into()),
            owner.name
        ));
    }
    if changes.is_empty() {
        return Ok(None);
    }
    c.write_transaction::<_, Error, _>(|c| {
        api_keys::update_details(
            c,
            l.key.id,
            edit.name.as_str(),
            edit.purpose.as_str(),
            Some(owner.user_id),
        )?;
        api_keys::record_change(c, l.key.id, acting.now)?;
        audit::record(
            c,
            acting,
            Some(l.key.workspace_id),
            AuditAction::ApiKeyEdit,
            Some(&l.key.public_id),
            &changes.join("; "),
        )?;
        Ok(Some(l.key.id))
    })
}

/// The Expiration of a rotation: the current one, or a new choice.
#[derive(Debug, Clone, Copy)]
pub enum NewExpiration {
    Keep,
    New(Expiration),
}

pub struct Rotated {
    pub listing: KeyListing,
    pub secret: PlainKey,
}

/// A key the actor may rotate, and the secret version a fresh Rotate confirmation names.
pub fn rotation(c: &mut AnyConnection, acting: &Acting, key: &str) -> Result<(KeyListing, String)> {
    let l = manageable(c, acting, key)?;
    let version = secret_version(&api_keys::current_hash(c, l.key.id)?);
    Ok((l, version))
}

/// Gives a key a new secret; the old one stops at once. `confirmed` is the secret version the
/// confirmation was issued for: of two rotations confirmed for one secret, exactly one wins, and
/// the other is told who rotated (no secret).
pub fn rotate(
    c: &mut AnyConnection,
    acting: &Acting,
    key: &str,
    confirmed: &str,
    expiration: Input<NewExpiration>,
) -> Result<Rotated> {
    let l = manageable(c, acting, key)?;
    let expires_at = match expiration.map_err(Error::Invalid)? {
        NewExpiration::Keep if l.key.status(acting.now) == KeyStatus::Expired => {
            return Err(Error::invalid(
                "expiration",
                "This key has expired: choose a new expiration.",
            ))
        }
        NewExpiration::Keep => l.key.expires_at,
        NewExpiration::New(e) => e.expires_at(acting.now),
    };
    let secret = PlainKey::generate();
    let (new_hash, new_hint) = (secret.hash(), secret.hint());
    c.write_transaction::<_, Error, _>(|c| {
        let old_hash = api_keys::current_hash(c, l.key.id)?;
        // The confirmation must be for the secret the key still has, and the update is a
        // compare-and-swap on that secret's hash.
        if confirmed.is_empty()
            || !constant_time_eq(&secret_version(&old_hash), confirmed)
            || api_keys::rotate(
                c,
                l.key.id,
                &old_hash,
                new_hash.as_str(),
                &new_hint,
                expires_at,
                acting.now,
            )? != 1
        {
            return Err(rotation_conflict(c, &l)?);
        }
        api_keys::retire_hash(c, l.key.id, &old_hash, acting.now)?;
        api_keys::record_change(c, l.key.id, acting.now)?;
        let (old, new) = (
            expiration_text(l.key.expires_at),
            expiration_text(expires_at),
        );
        let details = if old == new {
            "new secret".to_owned()
        } else {
            format!("new secret; expiration: {old} → {new}")
        };
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
    if api_keys::revoke(c, key.id, acting.user, acting.now)? != 1 {
        return Ok(false);
    }
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

/// One page of the API Keys list, and what its filters offer.
pub struct KeyList {
    pub keys: Vec<KeyListing>,
    pub total: i64,
    /// Whether the viewer can see any key at all (for the empty state).
    pub any: bool,
    pub memberships: Vec<crate::models::workspaces::Membership>,
    pub people: Vec<crate::models::workspaces::Member>,
}

pub fn list(
    c: &mut AnyConnection,
    viewer: UserId,
    q: &crate::domain::search::KeyQuery,
    now: time::PrimitiveDateTime,
) -> Result<KeyList> {
    let (keys, total) = api_keys::search(c, viewer, q, now)?;
    let any = total > 0 || api_keys::count_visible(c, viewer)? > 0;
    Ok(KeyList {
        keys,
        total,
        any,
        memberships: workspaces::for_user(c, viewer)?,
        people: workspaces::people_visible_to(c, viewer)?
            .into_iter()
            .map(|(m, _)| m)
            .collect(),
    })
}

/// A key the viewer can see, with its history and who created it.
pub struct KeyDetail {
    pub listing: KeyListing,
    pub history: Vec<(crate::models::audit::Event, Option<String>)>,
    pub created_by: Option<String>,
}

pub fn detail(c: &mut AnyConnection, viewer: UserId, key: &str) -> Result<KeyDetail> {
    let listing = api_keys::find_for_viewer(c, viewer, key)?.ok_or(Error::NotFound)?;
    let history = crate::models::audit::for_subject(
        c,
        listing.key.workspace_id,
        &listing.key.public_id,
        200,
    )?;
    let created_by = crate::models::users::name_of(c, listing.key.created_by)?;
    Ok(KeyDetail {
        listing,
        history,
        created_by,
    })
}
