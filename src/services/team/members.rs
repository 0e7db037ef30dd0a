//! Members: access changes, removal, and disabling a person everywhere.

use super::managed;
use crate::db::AnyConnection;
use crate::domain::audit::AuditAction;
use crate::domain::workspace::{Role, WorkspaceAccess};
use crate::models::sessions;
use crate::models::users::{self, User};
use crate::models::workspaces::{self, Member, Membership};
use crate::services::{audit, Acting, Error, Input, Result};

/// A member of a workspace the actor manages, by public id.
pub fn managed_member(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    user: &str,
) -> Result<(Membership, Member)> {
    let m = managed(c, acting, workspace)?;
    let t = workspaces::member(c, m.workspace.id, user)?.ok_or(Error::NotFound)?;
    Ok((m, t))
}

pub fn change_access(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    user: &str,
    new: Input<WorkspaceAccess>,
) -> Result<Membership> {
    let (m, t) = managed_member(c, acting, workspace, user)?;
    let new = new.map_err(Error::Invalid)?;
    if !m.access.may_assign(Some(t.role), Some(new.role)) {
        return Err(Error::Forbidden(
            "Only an Owner can change Owners or make someone an Owner.",
        ));
    }
    let ws = m.workspace.id;
    c.write_transaction::<_, Error, _>(|c| {
        if t.role == Role::Owner && new.role != Role::Owner && workspaces::count_owners(c, ws)? <= 1
        {
            return Err(Error::Conflict(
                "The last Owner of a workspace cannot be demoted. Make someone else an Owner first."
                    .into(),
            ));
        }
        workspaces::set_access(c, ws, t.user_id, new)?;
        let details = format!(
            "{}: {} ({}) → {} ({})",
            t.name,
            t.role.label(),
            t.access.summary(),
            new.role.label(),
            new.summary()
        );
        audit::record(
            c,
            acting,
            Some(ws),
            AuditAction::MemberAccessChange,
            Some(&t.public_id),
            &details,
        )?;
        Ok(m)
    })
}

/// Removes a member and ends their sessions at once; their keys and apps wait for the
/// offboarding review.
pub fn remove(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    user: &str,
) -> Result<(Membership, Member)> {
    let (m, t) = managed_member(c, acting, workspace, user)?;
    if !m.access.may_assign(Some(t.role), None) {
        return Err(Error::Forbidden("Only an Owner can remove an Owner."));
    }
    let ws = m.workspace.id;
    c.write_transaction::<_, Error, _>(|c| {
        if t.role == Role::Owner && workspaces::count_owners(c, ws)? <= 1 {
            return Err(Error::Conflict(
                "The last Owner of a workspace cannot be removed. Make someone else an Owner first."
                    .into(),
            ));
        }
        workspaces::remove_member(c, ws, t.user_id)?;
        // Their sessions end at once: the next click signs them out.
        sessions::delete_for_user(c, t.user_id, None)?;
        let details = format!("removed {} ({})", t.name, t.email);
        audit::record(
            c,
            acting,
            Some(ws),
            AuditAction::MemberRemove,
            Some(&t.public_id),
            &details,
        )?;
        Ok((m, t))
    })
}

/// Disables (or enables) a person everywhere; disabling ends their sessions at once. Instance
/// admins only. Returns the person and the workspaces they are in.
pub fn set_disabled(
    c: &mut AnyConnection,
    acting: &Acting,
    user: &str,
    disable: bool,
) -> Result<(User, Vec<Membership>)> {
    let me = users::find(c, acting.user)?.ok_or(Error::NotFound)?;
    if !me.is_admin {
        return Err(Error::Forbidden(
            "Only Mailrith admins can disable or enable people.",
        ));
    }
    c.write_transaction::<_, Error, _>(|c| {
        let person = users::find_by_public_id(c, user)?.ok_or(Error::NotFound)?;
        if person.id == acting.user {
            return Err(Error::Conflict("You cannot disable yourself.".into()));
        }
        users::set_disabled(c, person.id, disable)?;
        if disable {
            sessions::delete_for_user(c, person.id, None)?;
        }
        let memberships = workspaces::for_user(c, person.id)?;
        let (action, verb) = if disable {
            (AuditAction::UserDisable, "disabled")
        } else {
            (AuditAction::UserEnable, "enabled")
        };
        let details = format!("{verb} {} ({})", person.name, person.email);
        for m in &memberships {
            audit::record(
                c,
                acting,
                Some(m.workspace.id),
                action,
                Some(&person.public_id),
                &details,
            )?;
        }
        Ok((person, memberships))
    })
}
