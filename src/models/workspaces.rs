use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::schema::{memberships, workspaces};
use crate::db::AnyConnection;
use crate::domain::ids::public_id;
use crate::domain::workspace::{Access, Role, WorkspaceAccess};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = workspaces)]
pub struct Workspace {
    pub id: i64,
    pub public_id: String,
    pub name: String,
    pub created_at: PrimitiveDateTime,
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

pub fn add_member(
    conn: &mut AnyConnection,
    workspace_id: i64,
    user_id: i64,
    role: Role,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    add_member_with(
        conn,
        workspace_id,
        user_id,
        WorkspaceAccess::new(role, Access::View, Access::View),
        now,
    )
}

pub fn add_member_with(
    conn: &mut AnyConnection,
    workspace_id: i64,
    user_id: i64,
    access: WorkspaceAccess,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(memberships::table)
        .values((
            memberships::workspace_id.eq(workspace_id),
            memberships::user_id.eq(user_id),
            memberships::role.eq(access.role.as_str()),
            memberships::api_keys_permission.eq(access.stored_api_keys().as_str()),
            memberships::apps_permission.eq(access.stored_apps().as_str()),
            memberships::created_at.eq(now),
        ))
        .execute(conn)
}

pub fn set_access(
    conn: &mut AnyConnection,
    workspace_id: i64,
    user_id: i64,
    access: WorkspaceAccess,
) -> QueryResult<usize> {
    diesel::update(
        memberships::table
            .filter(memberships::workspace_id.eq(workspace_id))
            .filter(memberships::user_id.eq(user_id)),
    )
    .set((
        memberships::role.eq(access.role.as_str()),
        memberships::api_keys_permission.eq(access.stored_api_keys().as_str()),
        memberships::apps_permission.eq(access.stored_apps().as_str()),
    ))
    .execute(conn)
}

pub fn remove_member(
    conn: &mut AnyConnection,
    workspace_id: i64,
    user_id: i64,
) -> QueryResult<usize> {
    diesel::delete(
        memberships::table
            .filter(memberships::workspace_id.eq(workspace_id))
            .filter(memberships::user_id.eq(user_id)),
    )
    .execute(conn)
}

pub fn count_owners(conn: &mut AnyConnection, workspace_id: i64) -> QueryResult<i64> {
    memberships::table
        .filter(memberships::workspace_id.eq(workspace_id))
        .filter(memberships::role.eq("owner"))
        .count()
        .get_result(conn)
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

pub fn rename(conn: &mut AnyConnection, workspace_id: i64, name: &str) -> QueryResult<usize> {
    diesel::update(workspaces::table.find(workspace_id))
        .set(workspaces::name.eq(name))
        .execute(conn)
}

type MembershipRow = (Workspace, String, String, String);

fn to_memberships(rows: Vec<MembershipRow>) -> Vec<Membership> {
    rows.into_iter()
        .map(|(workspace, role, keys, apps)| {
            let access = WorkspaceAccess::from_db(&role, &keys, &apps);
            Membership {
                workspace,
                role: access.role,
                access,
            }
        })
        .collect()
}

/// The workspaces a user belongs to, by name.
pub fn for_user(conn: &mut AnyConnection, user_id: i64) -> QueryResult<Vec<Membership>> {
    let rows = memberships::table
        .inner_join(workspaces::table)
        .filter(memberships::user_id.eq(user_id))
        .order((workspaces::name.asc(), workspaces::id.asc()))
        .select((
            Workspace::as_select(),
            memberships::role,
            memberships::api_keys_permission,
            memberships::apps_permission,
        ))
        .load::<MembershipRow>(conn)?;
    Ok(to_memberships(rows))
}

/// One workspace by its public id, only if the user belongs to it.
pub fn membership(
    conn: &mut AnyConnection,
    user_id: i64,
    workspace_public_id: &str,
) -> QueryResult<Option<Membership>> {
    let rows = memberships::table
        .inner_join(workspaces::table)
        .filter(memberships::user_id.eq(user_id))
        .filter(workspaces::public_id.eq(workspace_public_id))
        .select((
            Workspace::as_select(),
            memberships::role,
            memberships::api_keys_permission,
            memberships::apps_permission,
        ))
        .load::<MembershipRow>(conn)?;
    Ok(to_memberships(rows).into_iter().next())
}

pub fn count_members(conn: &mut AnyConnection, workspace_id: i64) -> QueryResult<i64> {
    memberships::table
        .filter(memberships::workspace_id.eq(workspace_id))
        .count()
        .get_result(conn)
}

/// A member of a workspace, as pickers, filters and the Team Members tab show them.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: i64,
    pub public_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub access: WorkspaceAccess,
    pub last_sign_in_at: Option<PrimitiveDateTime>,
    pub disabled: bool,
}

/// The workspace's members who can sign in, by name (for pickers and permissions).
pub fn members(conn: &mut AnyConnection, workspace_id: i64) -> QueryResult<Vec<Member>> {
    Ok(team_of(conn, workspace_id)?
        .into_iter()
        .filter(|m| !m.disabled)
        .collect())
}

/// Every member of the workspace, disabled people included (the Team Members tab).
pub fn team_of(conn: &mut AnyConnection, workspace_id: i64) -> QueryResult<Vec<Member>> {
    use crate::db::schema::users;
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
        Option<PrimitiveDateTime>,
        bool,
    );
    let rows: Vec<Row> = memberships::table
        .inner_join(users::table)
        .filter(memberships::workspace_id.eq(workspace_id))
        .order((users::name.asc(), users::id.asc()))
        .select((
            users::id,
            users::public_id,
            users::name,
            users::email,
            memberships::role,
            memberships::api_keys_permission,
            memberships::apps_permission,
            users::last_sign_in_at,
            users::disabled,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(user_id, public_id, name, email, role, keys, apps, last_sign_in_at, disabled)| {
                let access = WorkspaceAccess::from_db(&role, &keys, &apps);
                Member {
                    user_id,
                    public_id,
                    name,
                    email,
                    role: access.role,
                    access,
                    last_sign_in_at,
                    disabled,
                }
            },
        )
        .collect())
}

/// Everyone who shares a workspace with the viewer, once each, by name.
pub fn people_visible_to(conn: &mut AnyConnection, viewer: i64) -> QueryResult<Vec<Member>> {
    let mut seen = std::collections::HashSet::new();
    let mut people = Vec::new();
    for m in for_user(conn, viewer)? {
        for person in members(conn, m.workspace.id)? {
            if seen.insert(person.user_id) {
                people.push(person);
            }
        }
    }
    people.sort_by_key(|p| p.name.to_lowercase());
    Ok(people)
}
