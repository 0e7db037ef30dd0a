//! The API Keys list and one key as the viewer sees it: scoped to the viewer's workspaces, joined to
//! the workspace, the owner and the viewer's own access.

use diesel::prelude::*;

use super::ApiKey;

use crate::db::ids::{UserId, WorkspaceId};
use crate::db::schema::{api_keys, memberships, users, workspaces};
use crate::db::AnyConnection;
use crate::domain::workspace::{Access, Role, WorkspaceAccess};

/// A key as the list and detail pages show it: with its workspace, owner, and what the viewer
/// may do in its workspace.
#[derive(Debug, Clone)]
pub struct KeyListing {
    pub key: ApiKey,
    pub workspace_name: String,
    pub workspace_public_id: String,
    pub owner_name: Option<String>,
    pub owner_email: Option<String>,
    pub owner_public_id: Option<String>,
    pub viewer_access: WorkspaceAccess,
    /// No owner, or the owner left the workspace or was disabled.
    pub owner_removed: bool,
    /// Who revoked the key, when it is revoked and that person still exists.
    pub revoked_by_name: Option<String>,
}

type ListingRow = (
    ApiKey,
    (String, String),
    (Option<String>, Option<String>, Option<String>, Option<bool>),
    (Role, Access, Access),
    Option<i64>,
);

fn to_listing(row: ListingRow) -> KeyListing {
    let (
        key,
        (workspace_name, workspace_public_id),
        (owner_name, owner_email, owner_public_id, owner_disabled),
        (role, keys, apps),
        owner_membership,
    ) = row;
    let owner_removed =
        key.owner_id.is_none() || owner_membership.is_none() || owner_disabled == Some(true);
    KeyListing {
        key,
        workspace_name,
        workspace_public_id,
        owner_name,
        owner_email,
        owner_public_id,
        viewer_access: WorkspaceAccess::new(role, keys, apps),
        owner_removed,
        revoked_by_name: None,
    }
}

/// Fills in who revoked each revoked key of a page, in one query.
fn with_revokers(
    conn: &mut AnyConnection,
    mut listings: Vec<KeyListing>,
) -> QueryResult<Vec<KeyListing>> {
    let ids: Vec<UserId> = listings.iter().filter_map(|l| l.key.revoked_by).collect();
    let names = crate::models::users::names(conn, ids)?;
    for l in &mut listings {
        l.revoked_by_name = l.key.revoked_by.and_then(|id| names.get(&id).cloned());
    }
    Ok(listings)
}

diesel::alias!(memberships as owner_memberships: OwnerMemberships);

/// Keys joined to their workspace, the viewer's membership in it (only workspaces where the
/// viewer may at least view keys), the owner, and the owner's membership (to tell a removed owner).
macro_rules! scoped_keys {
    ($viewer:expr) => {
        api_keys::table
            .inner_join(workspaces::table)
            .inner_join(
                memberships::table.on(memberships::workspace_id
                    .eq(api_keys::workspace_id)
                    .and(memberships::user_id.eq($viewer))
                    .and(
                        memberships::role
                            .eq(Role::Owner)
                            .or(memberships::role.eq(Role::Admin))
                            .or(memberships::api_keys_permission.ne(Access::None)),
                    )),
            )
            .left_join(users::table.on(api_keys::owner_id.eq(users::id.nullable())))
            .left_join(
                owner_memberships.on(owner_memberships
                    .field(memberships::workspace_id)
                    .eq(api_keys::workspace_id)
                    .and(
                        owner_memberships
                            .field(memberships::user_id)
                            .nullable()
                            .eq(api_keys::owner_id),
                    )),
            )
    };
}

macro_rules! listing_columns {
    () => {
        (
            ApiKey::as_select(),
            (workspaces::name, workspaces::public_id),
            (
                users::name.nullable(),
                users::email.nullable(),
                users::public_id.nullable(),
                users::disabled.nullable(),
            ),
            (
                memberships::role,
                memberships::api_keys_permission,
                memberships::apps_permission,
            ),
            owner_memberships.field(memberships::id).nullable(),
        )
    };
}

/// The keys of a page, as the list shows them, in the order of `ids`.
pub fn by_ids(
    conn: &mut AnyConnection,
    viewer: UserId,
    ids: &[i64],
) -> QueryResult<Vec<KeyListing>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<ListingRow> = scoped_keys!(viewer)
        .filter(api_keys::id.eq_any(ids.to_vec()))
        .select(listing_columns!())
        .load(conn)?;
    let mut listings = with_revokers(conn, rows.into_iter().map(to_listing).collect())?;
    listings.sort_by_key(|l| ids.iter().position(|id| *id == l.key.id.0));
    Ok(listings)
}

/// Whether any of these workspaces has a key (for the empty state).
pub fn any_in(conn: &mut AnyConnection, workspaces: &[WorkspaceId]) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        api_keys::table.filter(api_keys::workspace_id.eq_any(workspaces.to_vec())),
    ))
    .get_result(conn)
}

/// One key by public id, only if the viewer belongs to its workspace.
pub fn find_for_viewer(
    conn: &mut AnyConnection,
    viewer: UserId,
    public_id: &str,
) -> QueryResult<Option<KeyListing>> {
    let row: Option<ListingRow> = scoped_keys!(viewer)
        .filter(api_keys::public_id.eq(public_id))
        .select(listing_columns!())
        .first(conn)
        .optional()?;
    Ok(
        with_revokers(conn, row.into_iter().map(to_listing).collect())?
            .into_iter()
            .next(),
    )
}
