//! Workspaces and memberships: who is in which workspace, with what role and permissions.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::ids::{UserId, WorkspaceId};
use crate::db::schema::{memberships, users, workspaces};
use crate::db::AnyConnection;
use crate::domain::ids::public_id;
use crate::domain::workspace::{Access, Role, WorkspaceAccess};

mod members;
pub use members::*;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = workspaces)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub public_id: String,
    pub name: String,
    pub created_at: PrimitiveDateTime,
    pub max_key_lifetime_days: Option<i32>,
    pub revoke_unused_after_days: Option<i32>,
    pub max_active_keys: i32,
    pub leak_response: crate::domain::policy::LeakResponse,
}

impl Workspace {
    /// Its key policies.
    pub fn policy(&self) -> crate::domain::policy::Policy {
        crate::domain::policy::Policy {
            max_lifetime_days: self.max_key_lifetime_days,
            revoke_unused_after_days: self.revoke_unused_after_days,
            max_active_keys: self.max_active_keys,
            leak_response: self.leak_response,
        }
    }
}

/// Saves a workspace's key policies.
pub fn set_policy(
    conn: &mut AnyConnection,
    id: WorkspaceId,
    p: &crate::domain::policy::Policy,
) -> QueryResult<usize> {
    diesel::update(workspaces::table.find(id))
        .set((
            workspaces::max_key_lifetime_days.eq(p.max_lifetime_days),
            workspaces::revoke_unused_after_days.eq(p.revoke_unused_after_days),
            workspaces::max_active_keys.eq(p.max_active_keys),
            workspaces::leak_response.eq(p.leak_response),
        ))
        .execute(conn)
}

/// Workspaces whose policy revokes unused keys.
pub fn with_unused_revocation(conn: &mut AnyConnection) -> QueryResult<Vec<Workspace>> {
    workspaces::table
        .filter(workspaces::revoke_unused_after_days.is_not_null())
        .select(Workspace::as_select())
        .load(conn)
}

/// A workspace together with the role and permissions the viewer holds in it.
#[derive(Debug, Clone)]
pub struct Membership {
    pub workspace: Workspace,
    pub role: Role,
    pub access: WorkspaceAccess,
}

pub fn find_by_name(conn: &mut AnyConnection, name: &str) -> QueryResult<Option<Workspace>> {
    workspaces::table
        .filter(workspaces::name.eq(name))
        .select(Workspace::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_public_id(
    conn: &mut AnyConnection,
    public_id: &str,
) -> QueryResult<Option<Workspace>> {
    workspaces::table
        .filter(workspaces::public_id.eq(public_id))
        .select(Workspace::as_select())
        .first(conn)
        .optional()
}

pub fn create(
    conn: &mut AnyConnection,
    name: &str,
    now: PrimitiveDateTime,
) -> QueryResult<Workspace> {
    let pid = public_id("ws");
    diesel::insert_into(workspaces::table)
        .values((
            workspaces::public_id.eq(&pid),
            workspaces::name.eq(name),
            workspaces::created_at.eq(now),
        ))
        .execute(conn)?;
    workspaces::table
        .filter(workspaces::public_id.eq(&pid))
        .select(Workspace::as_select())
        .first(conn)
}

pub fn rename(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    name: &str,
) -> QueryResult<usize> {
    diesel::update(workspaces::table.find(workspace_id))
        .set(workspaces::name.eq(name))
        .execute(conn)
}

pub fn add_member(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    user_id: UserId,
    access: WorkspaceAccess,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(memberships::table)
        .values((
            memberships::workspace_id.eq(workspace_id),
            memberships::user_id.eq(user_id),
            memberships::role.eq(access.role),
            memberships::api_keys_permission.eq(access.stored_api_keys()),
            memberships::apps_permission.eq(access.stored_apps()),
            memberships::created_at.eq(now),
        ))
        .execute(conn)
}

/// The access of a new member in a role: Members start with View of both features.
pub fn default_access(role: Role) -> WorkspaceAccess {
    WorkspaceAccess::new(role, Access::View, Access::View)
}

pub fn set_access(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    user_id: UserId,
    access: WorkspaceAccess,
) -> QueryResult<usize> {
    diesel::update(
        memberships::table
            .filter(memberships::workspace_id.eq(workspace_id))
            .filter(memberships::user_id.eq(user_id)),
    )
    .set((
        memberships::role.eq(access.role),
        memberships::api_keys_permission.eq(access.stored_api_keys()),
        memberships::apps_permission.eq(access.stored_apps()),
    ))
    .execute(conn)
}

pub fn remove_member(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    user_id: UserId,
) -> QueryResult<usize> {
    diesel::delete(
        memberships::table
            .filter(memberships::workspace_id.eq(workspace_id))
            .filter(memberships::user_id.eq(user_id)),
    )
    .execute(conn)
}

pub fn count_owners(conn: &mut AnyConnection, workspace_id: WorkspaceId) -> QueryResult<i64> {
    memberships::table
        .filter(memberships::workspace_id.eq(workspace_id))
        .filter(memberships::role.eq(Role::Owner))
        .count()
        .get_result(conn)
}

pub fn count_members(conn: &mut AnyConnection, workspace_id: WorkspaceId) -> QueryResult<i64> {
    memberships::table
        .filter(memberships::workspace_id.eq(workspace_id))
        .count()
        .get_result(conn)
}

type MembershipRow = (Workspace, Role, Access, Access);

fn to_membership((workspace, role, keys, apps): MembershipRow) -> Membership {
    Membership {
        workspace,
        role,
        access: WorkspaceAccess::new(role, keys, apps),
    }
}

macro_rules! membership_columns {
    () => {
        (
            Workspace::as_select(),
            memberships::role,
            memberships::api_keys_permission,
            memberships::apps_permission,
        )
    };
}

/// The one of `mine` a page shows: the workspace `public_id` names, or the first when none is
/// named.
pub fn chosen(mine: &[Membership], public_id: &str) -> Option<Membership> {
    if public_id.is_empty() {
        mine.first().cloned()
    } else {
        mine.iter()
            .find(|m| m.workspace.public_id == public_id)
            .cloned()
    }
}

/// The workspaces a user belongs to, by name.
pub fn for_user(conn: &mut AnyConnection, user_id: UserId) -> QueryResult<Vec<Membership>> {
    let rows = memberships::table
        .inner_join(workspaces::table)
        .filter(memberships::user_id.eq(user_id))
        .order((workspaces::name.asc(), workspaces::id.asc()))
        .select(membership_columns!())
        .load::<MembershipRow>(conn)?;
    Ok(rows.into_iter().map(to_membership).collect())
}

/// One workspace by its public id, only if the user belongs to it.
pub fn membership(
    conn: &mut AnyConnection,
    user_id: UserId,
    workspace_public_id: &str,
) -> QueryResult<Option<Membership>> {
    let row = memberships::table
        .inner_join(workspaces::table)
        .filter(memberships::user_id.eq(user_id))
        .filter(workspaces::public_id.eq(workspace_public_id))
        .select(membership_columns!())
        .first::<MembershipRow>(conn)
        .optional()?;
    Ok(row.map(to_membership))
}

/// One workspace by its row id, only if the user belongs to it.
pub fn membership_in(
    conn: &mut AnyConnection,
    user_id: UserId,
    workspace_id: WorkspaceId,
) -> QueryResult<Option<Membership>> {
    let row = memberships::table
        .inner_join(workspaces::table)
        .filter(memberships::user_id.eq(user_id))
        .filter(memberships::workspace_id.eq(workspace_id))
        .select(membership_columns!())
        .first::<MembershipRow>(conn)
        .optional()?;
    Ok(row.map(to_membership))
}

/// How many workspaces there are.
pub fn count(conn: &mut AnyConnection) -> QueryResult<usize> {
    let n: i64 = workspaces::table.count().get_result(conn)?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Every workspace (the reminder scan walks them one index range at a time).
pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<Workspace>> {
    workspaces::table
        .order(workspaces::id.asc())
        .select(Workspace::as_select())
        .load(conn)
}

pub fn find(conn: &mut AnyConnection, id: WorkspaceId) -> QueryResult<Option<Workspace>> {
    workspaces::table
        .find(id)
        .select(Workspace::as_select())
        .first(conn)
        .optional()
}
