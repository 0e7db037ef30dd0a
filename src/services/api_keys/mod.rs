//! API keys: generate, edit, rotate, revoke. Every action is scoped to the actor's workspaces,
//! checked against their permission, audited, and (when it changes what a secret unlocks)
//! written to the change feed in the same transaction.

pub mod delegated;
mod detail;
mod export;
mod overlap;
mod read;
mod rotate;
mod search;

pub use detail::*;
pub use export::*;
pub use overlap::{retire_due, retire_old_secret};
pub use read::*;
pub use rotate::*;

use crate::db::ids::{KeyId, UserId};
use crate::db::{is_unique_violation, AnyConnection};
use crate::domain::audit::AuditAction;
use crate::domain::format::format_time;
use crate::domain::ids::public_id;
use crate::domain::key::{AccessLevel, Expiration, KeyName, PlainKey, Purpose};
use crate::domain::restrictions::Restrictions;
use crate::models::api_keys::{self, KeyListing, NewApiKey};
use crate::models::workspaces;
use crate::services::{audit, invalid_with, policies, Acting, Error, Input, Result};

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
    pub restrictions: Restrictions,
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
    // A second submit of a form whose key exists is answered as such, whatever the policy says.
    if let Some(rid) = &new.request_id {
        if let Some(existing) = api_keys::find_by_request_id(c, ws, rid)? {
            return Ok(Generated::Duplicate {
                public_id: existing.public_id,
            });
        }
    }
    let what = format!("a new key named \"{}\"", new.name.as_str());
    let expires_at = new.expiration.expires_at(acting.now);
    policies::check_expiration(c, acting, &membership.workspace, expires_at, None, &what)?;
    policies::check_capacity(c, acting, &membership.workspace, &what)?;
    let outcome = c.write_transaction::<_, Error, _>(|c| {
        if let Some(rid) = &new.request_id {
            if let Some(existing) = api_keys::find_by_request_id(c, ws, rid)? {
                return Ok(Generated::Duplicate {
                    public_id: existing.public_id,
                });
            }
        }
        if api_keys::active_name_taken(c, ws, new.name.as_str(), acting.now, None)? {
            // On PostgreSQL (read committed) a twin submit may have committed between the two
            // statements: then the name is taken by this very form's key.
            if let Some(rid) = &new.request_id {
                if let Some(existing) = api_keys::find_by_request_id(c, ws, rid)? {
                    return Ok(Generated::Duplicate {
                        public_id: existing.public_id,
                    });
                }
            }
            return Err(Error::invalid("name", NAME_TAKEN));
        }
        let plain = PlainKey::generate();
        let pid = public_id("key");
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
                allowed_ips: new.restrictions.allowed_text().as_deref(),
                rate_limit_per_minute: new.restrictions.rate_limit.map(|r| r as i32),
                created_via: acting.via.as_deref(),
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
    pub restrictions: Restrictions,
    /// A new expiration (the management API); `None` keeps it (the console's Edit form).
    pub expiration: Option<Expiration>,
}

/// Saves an edit (the new owner is a member's public id; `None` keeps the owner, even one who
/// left); returns the key's id when anything changed.
pub fn edit(
    c: &mut AnyConnection,
    acting: &Acting,
    key: &str,
    owner: Option<&str>,
    input: Input<KeyEdit>,
) -> Result<Option<KeyId>> {
    let l = manageable(c, acting, key)?;
    let mut errors = Vec::new();
    let owner = match owner {
        None => None,
        Some(o) => {
            let m = workspaces::member(c, l.key.workspace_id, o)?;
            if m.is_none() {
                errors.push(crate::domain::FieldError::new(
                    "owner",
                    "Choose a member of this workspace.",
                ));
            }
            Some(m)
        }
    };
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
    let (owner, Ok(edit)) = (owner.map(|m| m.ok_or(Error::NotFound)).transpose()?, input) else {
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
    let owner_id = match &owner {
        Some(o) if Some(o.public_id.as_str()) != l.owner_public_id.as_deref() => {
            changes.push(format!(
                "owner: {} → {}",
                l.owner_name.clone().unwrap_or_else(|| "none".into()),
                o.name
            ));
            Some(o.user_id)
        }
        _ => l.key.owner_id,
    };
    let allowed = edit.restrictions.allowed_text();
    if allowed != l.key.allowed_ips {
        let show = |a: &Option<String>| a.clone().unwrap_or_else(|| "any".into());
        changes.push(format!(
            "allowed addresses: {} → {}",
            show(&l.key.allowed_ips),
            show(&allowed)
        ));
    }
    let rate = edit.restrictions.rate_limit.map(|r| r as i32);
    if rate != l.key.rate_limit_per_minute {
        let show = |r: Option<i32>| r.map_or("none".to_owned(), |r| format!("{r} a minute"));
        changes.push(format!(
            "rate limit: {} → {}",
            show(l.key.rate_limit_per_minute),
            show(rate)
        ));
    }
    let expires_at = match edit.expiration {
        Some(e) => e.expires_at(acting.now),
        None => l.key.expires_at,
    };
    if expires_at != l.key.expires_at {
        if l.key.status(acting.now) != crate::domain::key::KeyStatus::Active {
            return Err(Error::Conflict(
                "This key has expired: rotate it to give it a new secret and a new expiration."
                    .into(),
            ));
        }
        let ws = workspaces::membership_in(c, acting.user, l.key.workspace_id)?
            .ok_or(Error::NotFound)?
            .workspace;
        let what = format!("\"{}\"", l.key.name);
        policies::check_expiration(c, acting, &ws, expires_at, Some(&l.key.public_id), &what)?;
        changes.push(format!(
            "expiration: {} → {}",
            expiration_text(l.key.expires_at),
            expiration_text(expires_at)
        ));
    }
    if changes.is_empty() {
        return Ok(None);
    }
    c.write_transaction::<_, Error, _>(|c| {
        if expires_at != l.key.expires_at {
            api_keys::set_expiration(c, l.key.id, expires_at)?;
        }
        api_keys::update_details(
            c,
            l.key.id,
            edit.name.as_str(),
            edit.purpose.as_str(),
            owner_id,
            allowed.as_deref(),
            rate,
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

#[cfg(test)]
mod tests;
