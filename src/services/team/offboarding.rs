//! The offboarding review: the keys and apps of someone who left, revoked or handed over.

use super::managed;
use crate::db::ids::KeyId;
use crate::db::AnyConnection;
use crate::domain::audit::AuditAction;
use crate::models::users::{self, User};
use crate::models::workspaces::{self, Member, Membership};
use crate::models::{api_keys as keys, oauth};
use crate::services::{api_keys, audit, Acting, Error, Result};

/// Offboarding actions change keys: the actor must manage the team and the keys.
fn offboarding(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    user: &str,
) -> Result<(Membership, User)> {
    let m = managed(c, acting, workspace)?;
    if !m.access.can_manage_keys() {
        return Err(Error::Forbidden(
            "You cannot change this workspace's API keys.",
        ));
    }
    let person = users::find_by_public_id(c, user)?.ok_or(Error::NotFound)?;
    Ok((m, person))
}

/// Revokes every key the person owns in the workspace and every app they connected there;
/// returns the keys revoked.
pub fn offboard_revoke_all(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    user: &str,
) -> Result<Vec<KeyId>> {
    let (m, person) = offboarding(c, acting, workspace, user)?;
    let ws = m.workspace.id;
    let details = format!("offboarding review: {} left", person.name);
    c.write_transaction::<_, Error, _>(|c| {
        let mut revoked = Vec::new();
        for k in keys::owned_by(c, ws, person.id)? {
            if api_keys::revoke_in(c, acting, &k, &details)? {
                revoked.push(k.id);
            }
        }
        for g in oauth::active_by_user_in(c, person.id, ws)? {
            crate::services::apps::revoke_grant_in(c, acting, &g.grant, &details)?;
        }
        Ok(revoked)
    })
}

/// Gives one of the person's keys to another member of the workspace.
pub fn offboard_transfer(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    user: &str,
    key: &str,
    new_owner: &str,
) -> Result<()> {
    let (m, person) = offboarding(c, acting, workspace, user)?;
    let ws = m.workspace.id;
    c.write_transaction::<_, Error, _>(|c| {
        let key = keys::find_in_workspace(c, ws, key)?
            .filter(|k| k.owner_id == Some(person.id))
            .ok_or(Error::NotFound)?;
        let heir = workspaces::member(c, ws, new_owner)?
            .filter(|p| p.user_id != person.id)
            .ok_or_else(|| {
                Error::invalid(
                    "owner",
                    "Choose a member of this workspace as the new owner.",
                )
            })?;
        keys::set_owner(c, key.id, heir.user_id)?;
        let details = format!("owner: {} → {}", person.name, heir.name);
        audit::record(
            c,
            acting,
            Some(ws),
            AuditAction::ApiKeyTransfer,
            Some(&key.public_id),
            &details,
        )
    })?;
    Ok(())
}

/// The offboarding review of a person in a workspace the actor manages.
pub struct Review {
    pub workspace: Membership,
    pub person: User,
    pub still_member: bool,
    pub keys: Vec<crate::models::api_keys::ApiKey>,
    pub apps: Vec<crate::models::oauth::GrantListing>,
    /// Who can take their keys over.
    pub heirs: Vec<Member>,
}

pub fn review(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    user: &str,
) -> Result<Review> {
    let m = managed(c, acting, workspace)?;
    let ws = m.workspace.id;
    let person = users::find_by_public_id(c, user)?.ok_or(Error::NotFound)?;
    let members = workspaces::members(c, ws)?;
    Ok(Review {
        still_member: members.iter().any(|p| p.user_id == person.id),
        keys: keys::owned_by(c, ws, person.id)?,
        apps: oauth::active_by_user_in(c, person.id, ws)?,
        heirs: members
            .into_iter()
            .filter(|p| p.user_id != person.id)
            .collect(),
        workspace: m,
        person,
    })
}
