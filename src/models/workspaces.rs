//! Workspaces and memberships: who is in which workspace, with what role and permissions.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::ids::{UserId, WorkspaceId};
use crate::db::schema::{memberships, users, workspaces};
use crate::db::AnyConnection;
use crate::domain::ids::public_id;
use crate::domain::workspace::{Access, Role, WorkspaceAccess};

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

/// A member of a workspace, as pickers, filters and the Team Members tab show them.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: UserId,
    pub public_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub access: WorkspaceAccess,
    pub last_sign_in_at: Option<PrimitiveDateTime>,
    pub disabled: bool,
}

type MemberRow = (
    UserId,
    String,
    String,
    String,
    Role,
    Access,
    Access,
    Option<PrimitiveDateTime>,
    bool,
);

fn to_member(
    (user_id, public_id, name, email, role, keys, apps, last_sign_in_at, disabled): MemberRow,
) -> Member {
    Member {
        user_id,
        public_id,
        name,
        email,
        role,
        access: WorkspaceAccess::new(role, keys, apps),
        last_sign_in_at,
        disabled,
    }
}

macro_rules! member_columns {
    () => {
        (
            users::id,
            users::public_id,
            users::name,
            users::email,
            memberships::role,
            memberships::api_keys_permission,
            memberships::apps_permission,
            users::last_sign_in_at,
            users::disabled,
        )
    };
}

/// Every member of the workspace, disabled people included (the Team Members tab), by name.
pub fn team_of(conn: &mut AnyConnection, workspace_id: WorkspaceId) -> QueryResult<Vec<Member>> {
    let rows: Vec<MemberRow> = memberships::table
        .inner_join(users::table)
        .filter(memberships::workspace_id.eq(workspace_id))
        .order((users::name.asc(), users::id.asc()))
        .select(member_columns!())
        .load(conn)?;
    Ok(rows.into_iter().map(to_member).collect())
}

/// The workspace's members who can sign in, by name (for pickers and permissions).
pub fn members(conn: &mut AnyConnection, workspace_id: WorkspaceId) -> QueryResult<Vec<Member>> {
    Ok(team_of(conn, workspace_id)?
        .into_iter()
        .filter(|m| !m.disabled)
        .collect())
}

/// One member of a workspace who can sign in, by public id.
pub fn member(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    user_public_id: &str,
) -> QueryResult<Option<Member>> {
    let row: Option<MemberRow> = memberships::table
        .inner_join(users::table)
        .filter(memberships::workspace_id.eq(workspace_id))
        .filter(users::public_id.eq(user_public_id))
        .filter(users::disabled.eq(false))
        .select(member_columns!())
        .first(conn)
        .optional()?;
    Ok(row.map(to_member))
}

/// Whether a person is a member of a workspace (disabled or not).
pub fn is_member(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    user_id: UserId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        memberships::table
            .filter(memberships::workspace_id.eq(workspace_id))
            .filter(memberships::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

/// Everyone who shares a workspace with the viewer and can sign in, once each, by name, in one
/// query; with the names of the viewer's workspaces each is in.
pub fn people_visible_to(
    conn: &mut AnyConnection,
    viewer: UserId,
) -> QueryResult<Vec<(Member, Vec<String>)>> {
    let (viewer_m, mine) = diesel::alias!(memberships as viewer_m, workspaces as mine);
    let rows: Vec<(MemberRow, String)> = memberships::table
        .inner_join(users::table)
        .inner_join(
            viewer_m.on(viewer_m
                .field(memberships::workspace_id)
                .eq(memberships::workspace_id)
                .and(viewer_m.field(memberships::user_id).eq(viewer))),
        )
        .inner_join(mine.on(mine.field(workspaces::id).eq(memberships::workspace_id)))
        .filter(users::disabled.eq(false))
        .order((
            users::name.asc(),
            users::id.asc(),
            mine.field(workspaces::name).asc(),
        ))
        .select((member_columns!(), mine.field(workspaces::name)))
        .load(conn)?;
    let mut out: Vec<(Member, Vec<String>)> = Vec::new();
    for (row, ws_name) in rows {
        let member = to_member(row);
        match out.last_mut() {
            Some((last, names)) if last.user_id == member.user_id => names.push(ws_name),
            _ => out.push((member, vec![ws_name])),
        }
    }
    Ok(out)
}

/// The active members (not disabled) of each of these workspaces, in one query; a workspace with
/// none is listed with none.
pub fn active_members(
    conn: &mut AnyConnection,
    ids: &[WorkspaceId],
) -> QueryResult<Vec<(WorkspaceId, Vec<UserId>)>> {
    let rows: Vec<(WorkspaceId, UserId)> = memberships::table
        .inner_join(users::table)
        .filter(memberships::workspace_id.eq_any(ids.to_vec()))
        .filter(users::disabled.eq(false))
        .select((memberships::workspace_id, memberships::user_id))
        .load(conn)?;
    Ok(ids
        .iter()
        .map(|ws| {
            let members = rows
                .iter()
                .filter(|(w, _)| w == ws)
                .map(|(_, u)| *u)
                .collect();
            (*ws, members)
        })
        .collect())
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
