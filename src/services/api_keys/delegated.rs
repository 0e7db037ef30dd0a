//! The management API: an authorized app with the scope `keys:manage` acting on behalf of the
//! person who connected it, in the one workspace of its grant. Every call starts from that
//! person's permission as it is now (not as it was at consent), so the app stops the moment they
//! lose API Keys: Manage, are disabled or leave; every action is the console's own service call,
//! audited as "<person> via <app>".

use crate::db::ids::{UserId, WorkspaceId};
use crate::db::AnyConnection;
use crate::domain::key::{AccessLevel, Expiration, KeyName, Overlap, Purpose};
use crate::domain::restrictions::Restrictions;
use crate::domain::search::KeyQuery;
use crate::models::api_keys::{self, KeyListing};
use crate::models::{users, workspaces};
use crate::services::{Acting, Error, Input, Result};

use super::{ExportBatch, KeyEdit, NewExpiration, NewKey, RotateChoice};

/// Who an app's call acts for: the person who connected it, the grant's workspace and the app.
#[derive(Debug, Clone)]
pub struct Delegation {
    /// The grant's public id (an `Idempotency-Key` is the app's own: scoped to its grant).
    pub grant: String,
    pub user: Option<UserId>,
    pub workspace: WorkspaceId,
    pub app: String,
    pub ip: String,
    pub now: time::PrimitiveDateTime,
}

pub const NO_LONGER_ALLOWED: &str = "The person who connected this app may no longer manage API keys in this workspace, so the app may not either. Someone with API Keys: Manage must connect it again.";

/// The person as they are now, acting through the app, and the workspace's public id: 403 once
/// they are gone, disabled, out of the workspace or without API Keys: Manage there.
fn acting(c: &mut AnyConnection, d: &Delegation) -> Result<(Acting, String)> {
    let user = d.user.ok_or(Error::Forbidden(NO_LONGER_ALLOWED))?;
    if users::find(c, user)?.is_none_or(|u| u.disabled) {
        return Err(Error::Forbidden(NO_LONGER_ALLOWED));
    }
    let m = workspaces::membership_in(c, user, d.workspace)?
        .filter(|m| m.access.can_manage_keys())
        .ok_or(Error::Forbidden(NO_LONGER_ALLOWED))?;
    let acting = Acting::new(user, d.ip.clone(), d.now).via(d.app.clone());
    Ok((acting, m.workspace.public_id))
}

/// Whether the app may still manage keys (for a request refused for its body: a caller that may
/// not manage keys any more is told that first).
pub fn check(c: &mut AnyConnection, d: &Delegation) -> Result<()> {
    acting(c, d).map(|_| ())
}

/// A key as the management API answers it, with the version of its secret (its `ETag`: a
/// rotation sent with `If-Match` rotates that secret or none).
pub struct Managed {
    pub listing: KeyListing,
    pub version: String,
}

fn managed(c: &mut AnyConnection, acting: &Acting, d: &Delegation, key: &str) -> Result<Managed> {
    let listing = in_workspace(c, acting, d, key)?;
    let version = crate::domain::key::secret_version(&api_keys::current_hash(c, listing.key.id)?);
    Ok(Managed { listing, version })
}

/// A key of the grant's workspace: 404 for any other, even one the person may see elsewhere.
fn in_workspace(
    c: &mut AnyConnection,
    acting: &Acting,
    d: &Delegation,
    key: &str,
) -> Result<KeyListing> {
    api_keys::find_for_viewer(c, acting.user, key)?
        .filter(|l| l.key.workspace_id == d.workspace)
        .ok_or(Error::NotFound)
}

/// A page of the workspace's keys for `q` (its workspace is the grant's).
pub fn list(
    c: &mut AnyConnection,
    d: &Delegation,
    q: KeyQuery,
    size: usize,
) -> Result<ExportBatch> {
    let (acting, ws) = acting(c, d)?;
    let q = KeyQuery {
        workspace: Some(ws),
        ..q
    };
    super::export_batch(c, acting.user, &q, d.now, size)
}

/// One key of the workspace.
pub fn get(c: &mut AnyConnection, d: &Delegation, key: &str) -> Result<Managed> {
    let (acting, _) = acting(c, d)?;
    managed(c, &acting, d, key)
}

/// What a create call asks for, parsed; `owner` is a member's public id.
#[derive(Debug, Clone)]
pub struct Create {
    pub name: KeyName,
    pub purpose: Purpose,
    pub access: AccessLevel,
    pub expiration: Expiration,
    pub restrictions: Restrictions,
    /// The request's `Idempotency-Key`: a retry of a create that succeeded creates nothing.
    pub idempotency_key: Option<String>,
}

/// Creates a key, owned by `owner` (a member's public id) or the person; returns it with its
/// secret. Every field error is reported together, after the permission.
pub fn create(
    c: &mut AnyConnection,
    d: &Delegation,
    owner: Option<&str>,
    input: Input<Create>,
) -> Result<(Managed, crate::domain::key::PlainKey)> {
    let (acting, ws) = acting(c, d)?;
    let owner = match owner {
        None => None,
        Some(o) => match workspaces::member(c, d.workspace, o)? {
            Some(m) => Some(m.user_id),
            None => {
                let e =
                    crate::domain::FieldError::new("owner", "Choose a member of this workspace.");
                return Err(
                    crate::services::invalid_with(&input, vec![e]).unwrap_or(Error::NotFound)
                );
            }
        },
    };
    // The app's own key: a retry by this app in this workspace, never anyone else's.
    let request_id = input
        .as_ref()
        .ok()
        .and_then(|i| i.idempotency_key.as_ref())
        .map(|k| format!("api:{}:{k}", d.grant));
    let input = input.map(|i| NewKey {
        name: i.name,
        purpose: i.purpose,
        access: i.access,
        expiration: i.expiration,
        owner,
        request_id,
        restrictions: i.restrictions,
    });
    match super::generate(c, &acting, &ws, input)? {
        super::Generated::Key(listing, secret) => {
            let version = crate::domain::key::secret_version(secret.hash().as_str());
            let listing = *listing;
            Ok((Managed { listing, version }, secret))
        }
        // A retry of a create that succeeded: its secret was in that answer, never again.
        super::Generated::Duplicate { public_id } => Err(Error::Conflict(format!(
            "A key was already created with this Idempotency-Key: {public_id}. Its secret was in that answer and is not shown again; rotate the key if it was lost."
        ))),
    }
}

/// What an edit call changes; a field left out keeps its value.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub name: Option<KeyName>,
    pub purpose: Option<Purpose>,
    /// A member's public id.
    pub owner: Option<String>,
    pub expiration: Option<Expiration>,
    /// `Some(None)` clears the allowlist.
    pub allowed_ips: Option<Option<crate::domain::restrictions::IpAllowlist>>,
    /// `Some(None)` clears the limit.
    pub rate_limit: Option<Option<u32>>,
}

/// Applies a patch through the console's Edit; returns the key as it now is.
pub fn edit(
    c: &mut AnyConnection,
    d: &Delegation,
    key: &str,
    patch: Input<Patch>,
) -> Result<Managed> {
    let (acting, _) = acting(c, d)?;
    in_workspace(c, &acting, d, key)?;
    let l = super::manageable(c, &acting, key)?;
    let owner = patch.as_ref().ok().and_then(|p| p.owner.clone());
    // What is stored was written by the same parser: unreadable would be a bug, never a reason to
    // drop the restriction.
    let allowed = match l.key.allowed_ips.as_deref() {
        None => None,
        Some(a) => crate::domain::restrictions::IpAllowlist::parse(a).map_err(|e| {
            Error::Internal(anyhow::anyhow!(
                "stored allowlist unreadable: {}",
                e.message
            ))
        })?,
    };
    let current = Restrictions {
        allowed_ips: allowed,
        rate_limit: l.key.rate_limit_per_minute.map(|r| r as u32),
    };
    let input = patch.and_then(|p| {
        Ok(KeyEdit {
            name: match p.name {
                Some(n) => n,
                None => KeyName::parse(&l.key.name).map_err(|e| vec![e])?,
            },
            purpose: match p.purpose {
                Some(p) => p,
                None => Purpose::parse(&l.key.purpose).map_err(|e| vec![e])?,
            },
            restrictions: Restrictions {
                allowed_ips: p.allowed_ips.unwrap_or(current.allowed_ips),
                rate_limit: p.rate_limit.unwrap_or(current.rate_limit),
            },
            expiration: p.expiration,
        })
    });
    super::edit(c, &acting, key, owner.as_deref(), input)?;
    managed(c, &acting, d, key)
}

/// Rotates a key for the secret version `confirmed` (the `If-Match` of the request: a retried
/// rotation then loses instead of rotating twice), or for the secret it has now. Of two rotations
/// for one secret, one wins: 409 for the other. Returns the key with its new secret.
pub fn rotate(
    c: &mut AnyConnection,
    d: &Delegation,
    key: &str,
    confirmed: Option<String>,
    expiration: Option<Expiration>,
    overlap: Overlap,
) -> Result<(Managed, crate::domain::key::PlainKey)> {
    let (acting, _) = acting(c, d)?;
    in_workspace(c, &acting, d, key)?;
    let (_, current, _) = super::rotation(c, &acting, key)?;
    let version = confirmed.unwrap_or(current);
    let choice = RotateChoice {
        expiration: expiration.map_or(NewExpiration::Keep, NewExpiration::New),
        overlap,
    };
    let rotated = super::rotate(c, &acting, key, &version, Ok(choice))?;
    Ok((managed(c, &acting, d, key)?, rotated.secret))
}

/// Revokes a key (409 when it already is); returns it as it now is.
pub fn revoke(c: &mut AnyConnection, d: &Delegation, key: &str) -> Result<Managed> {
    let (acting, _) = acting(c, d)?;
    in_workspace(c, &acting, d, key)?;
    super::revoke(c, &acting, key)?;
    managed(c, &acting, d, key)
}
