//! One-time invitations to a workspace. Only the SHA-256 of the link's token is stored.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::ids::{InvitationId, UserId, WorkspaceId};
use crate::db::schema::{invitations, users, workspaces};
use crate::db::AnyConnection;
use crate::domain::workspace::{Access, Role, WorkspaceAccess};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: InvitationId,
    pub public_id: String,
    pub workspace_id: WorkspaceId,
    pub email: String,
    pub role: Role,
    pub api_keys_permission: Access,
    pub apps_permission: Access,
    pub invited_by: Option<UserId>,
    pub created_at: PrimitiveDateTime,
    pub expires_at: PrimitiveDateTime,
    pub accepted_at: Option<PrimitiveDateTime>,
    pub accepted_by: Option<UserId>,
    pub cancelled_at: Option<PrimitiveDateTime>,
}

impl Invitation {
    pub fn access(&self) -> WorkspaceAccess {
        WorkspaceAccess::new(self.role, self.api_keys_permission, self.apps_permission)
    }

    pub fn is_open(&self, now: PrimitiveDateTime) -> bool {
        self.accepted_at.is_none() && self.cancelled_at.is_none() && self.expires_at > now
    }
}

#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &mut AnyConnection,
    public_id: &str,
    workspace_id: WorkspaceId,
    email: &str,
    access: WorkspaceAccess,
    token_hash: &str,
    invited_by: UserId,
    now: PrimitiveDateTime,
    expires_at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(invitations::table)
        .values((
            invitations::public_id.eq(public_id),
            invitations::workspace_id.eq(workspace_id),
            invitations::email.eq(email),
            invitations::role.eq(access.role),
            invitations::api_keys_permission.eq(access.stored_api_keys()),
            invitations::apps_permission.eq(access.stored_apps()),
            invitations::token_hash.eq(token_hash),
            invitations::invited_by.eq(Some(invited_by)),
            invitations::created_at.eq(now),
            invitations::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

pub fn find_by_token_hash(
    conn: &mut AnyConnection,
    hash: &str,
) -> QueryResult<Option<(Invitation, String)>> {
    invitations::table
        .inner_join(workspaces::table)
        .filter(invitations::token_hash.eq(hash))
        .select((Invitation::as_select(), workspaces::name))
        .first(conn)
        .optional()
}

pub fn find_any(conn: &mut AnyConnection, public_id: &str) -> QueryResult<Option<Invitation>> {
    invitations::table
        .filter(invitations::public_id.eq(public_id))
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

/// Open invitations of a workspace, newest first, with the inviter's name.
pub fn open_for_workspace(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    now: PrimitiveDateTime,
) -> QueryResult<Vec<(Invitation, Option<String>)>> {
    invitations::table
        .left_join(users::table.on(invitations::invited_by.eq(users::id.nullable())))
        .filter(invitations::workspace_id.eq(workspace_id))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::cancelled_at.is_null())
        .filter(invitations::expires_at.gt(now))
        .order(invitations::id.desc())
        .select((Invitation::as_select(), users::name.nullable()))
        .load(conn)
}

pub fn open_for_email(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    email: &str,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    let n: i64 = invitations::table
        .filter(invitations::workspace_id.eq(workspace_id))
        .filter(invitations::email.eq(email))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::cancelled_at.is_null())
        .filter(invitations::expires_at.gt(now))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn cancel(
    conn: &mut AnyConnection,
    id: InvitationId,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        invitations::table
            .filter(invitations::id.eq(id))
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::cancelled_at.is_null()),
    )
    .set(invitations::cancelled_at.eq(Some(now)))
    .execute(conn)
}

/// A new token and a new 7-day window for an open invitation.
pub fn reissue(
    conn: &mut AnyConnection,
    id: InvitationId,
    token_hash: &str,
    expires_at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        invitations::table
            .filter(invitations::id.eq(id))
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::cancelled_at.is_null()),
    )
    .set((
        invitations::token_hash.eq(token_hash),
        invitations::expires_at.eq(expires_at),
    ))
    .execute(conn)
}

/// Marks an open invitation accepted; 0 when it was not open any more (used twice, cancelled).
pub fn accept(
    conn: &mut AnyConnection,
    id: InvitationId,
    user_id: UserId,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        invitations::table
            .filter(invitations::id.eq(id))
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::cancelled_at.is_null())
            .filter(invitations::expires_at.gt(now)),
    )
    .set((
        invitations::accepted_at.eq(Some(now)),
        invitations::accepted_by.eq(Some(user_id)),
    ))
    .execute(conn)
}
