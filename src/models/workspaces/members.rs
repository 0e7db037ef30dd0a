//! The members of workspaces, as pickers, filters, the Team Members tab and the key list see them.

use super::*;

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

/// Someone who can sign in, as a choice names them.
#[derive(Debug, Clone, Queryable)]
pub struct Person {
    pub user_id: UserId,
    pub public_id: String,
    pub name: String,
    pub email: String,
}

/// Everyone who can sign in and belongs to any of these workspaces, once each, by name: a
/// semi-join of users on memberships (one row a person, not one a membership).
pub fn people_in(conn: &mut AnyConnection, ids: &[WorkspaceId]) -> QueryResult<Vec<Person>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    users::table
        .filter(users::disabled.eq(false))
        .filter(diesel::dsl::exists(
            memberships::table
                .filter(memberships::user_id.eq(users::id))
                .filter(memberships::workspace_id.eq_any(ids.to_vec())),
        ))
        .order((users::name.asc(), users::id.asc()))
        .select((users::id, users::public_id, users::name, users::email))
        .load(conn)
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
