//! Workspaces: instance admins create them; a workspace's Owners and Admins rename it.

use super::{audit, Acting, Error, Input, Result};
use crate::db::AnyConnection;
use crate::domain::audit::AuditAction;
use crate::domain::workspace::{Role, WorkspaceName};
use crate::models::users;
use crate::models::workspaces::{self, Workspace};

/// A new workspace, owned by the admin who creates it.
pub fn create(c: &mut AnyConnection, acting: &Acting, name: &WorkspaceName) -> Result<Workspace> {
    may_create(c, acting)?;
    c.write_transaction::<_, Error, _>(|c| {
        let ws = workspaces::create(c, name.as_str(), acting.now)?;
        let owner = workspaces::default_access(Role::Owner);
        workspaces::add_member(c, ws.id, acting.user, owner, acting.now)?;
        audit::record(
            c,
            acting,
            Some(ws.id),
            AuditAction::WorkspaceCreate,
            None,
            name.as_str(),
        )?;
        Ok(ws)
    })
}

/// Renames a workspace the actor belongs to (404 otherwise) and manages (403 otherwise).
pub fn rename(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    name: Input<WorkspaceName>,
) -> Result<()> {
    let m = workspaces::membership(c, acting.user, workspace)?.ok_or(Error::NotFound)?;
    if !m.role.manages_workspace() {
        return Err(Error::Forbidden(
            "Only the workspace's Owners and Admins can rename it.",
        ));
    }
    let name = name.map_err(Error::Invalid)?;
    c.write_transaction::<_, Error, _>(|c| {
        workspaces::rename(c, m.workspace.id, name.as_str())?;
        let details = format!(
            "renamed from \"{}\" to \"{}\"",
            m.workspace.name,
            name.as_str()
        );
        audit::record(
            c,
            acting,
            Some(m.workspace.id),
            AuditAction::WorkspaceRename,
            None,
            &details,
        )
    })?;
    Ok(())
}

/// 403 unless the actor is an instance admin.
pub fn may_create(c: &mut AnyConnection, acting: &Acting) -> Result<()> {
    let me = users::find(c, acting.user)?.ok_or(Error::NotFound)?;
    if me.is_admin {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "Only Mailrith admins can create workspaces.",
        ))
    }
}

/// One of the viewer's workspaces as the Workspaces tab lists it.
pub struct Summary {
    pub membership: crate::models::workspaces::Membership,
    pub members: i64,
    pub contacts: i64,
}

pub fn summaries(c: &mut AnyConnection, viewer: crate::db::ids::UserId) -> Result<Vec<Summary>> {
    let mut out = Vec::new();
    for membership in workspaces::for_user(c, viewer)? {
        let ws = membership.workspace.id;
        out.push(Summary {
            members: workspaces::count_members(c, ws)?,
            contacts: crate::models::contacts::count_in_workspace(c, ws)?,
            membership,
        });
    }
    Ok(out)
}
