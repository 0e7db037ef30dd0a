//! The API Keys list and one key as the viewer sees it: scoped to the viewer's workspaces, joined to
//! the workspace, the owner and the viewer's own access.

use diesel::prelude::*;

use super::ApiKey;
use time::PrimitiveDateTime;

use crate::db::ids::UserId;
use crate::db::lower;
use crate::db::schema::{api_keys, memberships, users, workspaces};
use crate::db::AnyConnection;
use crate::domain::key::KeyStatus;
use crate::domain::search::{KeyQuery, SortKey, PAGE_SIZE};
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

/// One page of the viewer's keys matching `q`, and the total number of matches.
pub fn search(
    conn: &mut AnyConnection,
    viewer: UserId,
    q: &KeyQuery,
    now: PrimitiveDateTime,
) -> QueryResult<(Vec<KeyListing>, i64)> {
    macro_rules! filtered {
        () => {{
            let mut query = scoped_keys!(viewer).into_boxed();
            if let Some(pattern) = q.like_pattern() {
                query = query.filter(
                    lower(api_keys::name)
                        .like(pattern.clone())
                        .escape('\\')
                        .or(lower(api_keys::purpose).like(pattern.clone()).escape('\\'))
                        .or(lower(workspaces::name).like(pattern.clone()).escape('\\'))
                        .or(lower(users::name.assume_not_null())
                            .like(pattern.clone())
                            .escape('\\'))
                        .or(lower(users::email.assume_not_null())
                            .like(pattern.clone())
                            .escape('\\')),
                );
            }
            if let Some(ws) = &q.workspace {
                query = query.filter(workspaces::public_id.eq(ws.clone()));
            }
            match q.owner.as_deref() {
                Some(crate::domain::search::OWNER_REMOVED) => {
                    query = query.filter(
                        api_keys::owner_id
                            .is_null()
                            .or(owner_memberships
                                .field(memberships::id)
                                .nullable()
                                .is_null())
                            .or(users::disabled.nullable().eq(Some(true))),
                    )
                }
                Some(owner) => {
                    query = query.filter(users::public_id.assume_not_null().eq(owner.to_owned()))
                }
                None => {}
            }
            if let Some(access) = q.access {
                query = query.filter(api_keys::access_level.eq(access));
            }
            match q.status {
                Some(KeyStatus::Active) => {
                    query = query.filter(
                        api_keys::revoked_at.is_null().and(
                            api_keys::expires_at
                                .is_null()
                                .or(api_keys::expires_at.gt(now)),
                        ),
                    )
                }
                Some(KeyStatus::Expired) => {
                    query = query.filter(
                        api_keys::revoked_at
                            .is_null()
                            .and(api_keys::expires_at.le(now)),
                    )
                }
                Some(KeyStatus::Revoked) => {
                    query = query.filter(api_keys::revoked_at.is_not_null())
                }
                None => {}
            }
            query
        }};
    }

    let total: i64 = filtered!().count().get_result(conn)?;
    let mut query = filtered!().select(listing_columns!());
    query = match (q.sort, q.descending) {
        (SortKey::Name, false) => query.order(lower(api_keys::name).asc()),
        (SortKey::Name, true) => query.order(lower(api_keys::name).desc()),
        (SortKey::Created, false) => query.order(api_keys::created_at.asc()),
        (SortKey::Created, true) => query.order(api_keys::created_at.desc()),
        // Never-used keys and keys that never expire go last either way.
        (SortKey::LastUsed, false) => query.order((
            api_keys::last_used_at.is_null().asc(),
            api_keys::last_used_at.asc(),
        )),
        (SortKey::LastUsed, true) => query.order((
            api_keys::last_used_at.is_null().asc(),
            api_keys::last_used_at.desc(),
        )),
        (SortKey::Expires, false) => query.order((
            api_keys::expires_at.is_null().asc(),
            api_keys::expires_at.asc(),
        )),
        (SortKey::Expires, true) => query.order((
            api_keys::expires_at.is_null().asc(),
            api_keys::expires_at.desc(),
        )),
    };
    let rows: Vec<ListingRow> = query
        .then_order_by(api_keys::id.desc())
        .limit(PAGE_SIZE)
        .offset(q.offset())
        .load(conn)?;
    let listings = with_revokers(conn, rows.into_iter().map(to_listing).collect())?;
    Ok((listings, total))
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

/// How many keys the viewer can see at all (for the empty state).
pub fn count_visible(conn: &mut AnyConnection, viewer: UserId) -> QueryResult<i64> {
    scoped_keys!(viewer).count().get_result(conn)
}
