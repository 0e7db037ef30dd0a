//! API key rows and queries. Reads are always scoped to the workspaces the acting user belongs to;
//! writes take the key's row id only after such a scoped read.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::ids::{KeyId, UserId, WorkspaceId};
use crate::db::lower;
use crate::db::schema::{api_keys, memberships, users, workspaces};
use crate::db::AnyConnection;
use crate::domain::key::{AccessLevel, KeyStatus};
use crate::domain::search::{KeyQuery, SortKey, PAGE_SIZE};
use crate::domain::workspace::{Access, Role, WorkspaceAccess};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: KeyId,
    pub public_id: String,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub purpose: String,
    pub access_level: AccessLevel,
    pub owner_id: Option<UserId>,
    pub created_by: Option<UserId>,
    pub created_at: PrimitiveDateTime,
    pub expires_at: Option<PrimitiveDateTime>,
    pub last_used_at: Option<PrimitiveDateTime>,
    pub last_used_ip: Option<String>,
    pub last_used_user_agent: Option<String>,
    pub rotated_at: Option<PrimitiveDateTime>,
    pub revoked_at: Option<PrimitiveDateTime>,
    pub revoked_by: Option<UserId>,
    pub hint: String,
}

impl ApiKey {
    pub fn status(&self, now: PrimitiveDateTime) -> KeyStatus {
        KeyStatus::of(self.revoked_at, self.expires_at, now)
    }
}

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

#[derive(Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey<'a> {
    pub public_id: &'a str,
    pub workspace_id: WorkspaceId,
    pub name: &'a str,
    pub purpose: &'a str,
    pub access_level: AccessLevel,
    pub owner_id: Option<UserId>,
    pub created_by: Option<UserId>,
    pub created_at: PrimitiveDateTime,
    pub expires_at: Option<PrimitiveDateTime>,
    pub key_hash: &'a str,
    pub hint: &'a str,
    pub request_id: Option<&'a str>,
}

pub fn insert(conn: &mut AnyConnection, new: &NewApiKey<'_>) -> QueryResult<ApiKey> {
    diesel::insert_into(api_keys::table)
        .values(new)
        .execute(conn)?;
    api_keys::table
        .filter(api_keys::public_id.eq(new.public_id))
        .select(ApiKey::as_select())
        .first(conn)
}

/// The key created by an earlier submit of the same Generate form, if any.
pub fn find_by_request_id(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    request_id: &str,
) -> QueryResult<Option<ApiKey>> {
    api_keys::table
        .filter(api_keys::workspace_id.eq(workspace_id))
        .filter(api_keys::request_id.eq(request_id))
        .select(ApiKey::as_select())
        .first(conn)
        .optional()
}

/// Whether an active key of the workspace already has this name (case-insensitive).
pub fn active_name_taken(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    name: &str,
    now: PrimitiveDateTime,
    except: Option<KeyId>,
) -> QueryResult<bool> {
    let mut query = api_keys::table
        .filter(api_keys::workspace_id.eq(workspace_id))
        .filter(lower(api_keys::name).eq(name.to_lowercase()))
        .filter(api_keys::revoked_at.is_null())
        .filter(
            api_keys::expires_at
                .is_null()
                .or(api_keys::expires_at.gt(now)),
        )
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(api_keys::id.ne(id));
    }
    let n: i64 = query.count().get_result(conn)?;
    Ok(n > 0)
}

pub fn current_hash(conn: &mut AnyConnection, id: KeyId) -> QueryResult<String> {
    api_keys::table
        .find(id)
        .select(api_keys::key_hash)
        .first(conn)
}

/// Replaces the secret only if it is still `old_hash` (so of two concurrent rotations exactly one
/// wins) and the key is not revoked. Returns the number of rows changed (0 or 1).
pub fn rotate(
    conn: &mut AnyConnection,
    id: KeyId,
    old_hash: &str,
    new_hash: &str,
    new_hint: &str,
    expires_at: Option<PrimitiveDateTime>,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::key_hash.eq(old_hash))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set((
        api_keys::key_hash.eq(new_hash),
        api_keys::hint.eq(new_hint),
        api_keys::expires_at.eq(expires_at),
        api_keys::rotated_at.eq(Some(now)),
    ))
    .execute(conn)
}

/// Revokes a key that is not already revoked. Returns the number of rows changed (0 or 1).
pub fn revoke(
    conn: &mut AnyConnection,
    id: KeyId,
    by: UserId,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set((
        api_keys::revoked_at.eq(Some(now)),
        api_keys::revoked_by.eq(Some(by)),
    ))
    .execute(conn)
}

pub fn update_details(
    conn: &mut AnyConnection,
    id: KeyId,
    name: &str,
    purpose: &str,
    owner_id: Option<UserId>,
) -> QueryResult<usize> {
    diesel::update(api_keys::table.find(id))
        .set((
            api_keys::name.eq(name),
            api_keys::purpose.eq(purpose),
            api_keys::owner_id.eq(owner_id),
        ))
        .execute(conn)
}

// ---- What the JSON API needs ---------------------------------------------------------------------

/// A key as the API sees it when a caller presents its secret (fields in `find_by_hash` order).
#[derive(Queryable, Debug, Clone)]
pub struct KeyForAuth {
    pub id: KeyId,
    pub public_id: String,
    pub name: String,
    pub workspace_id: WorkspaceId,
    pub workspace_public_id: String,
    pub workspace_name: String,
    pub access_level: AccessLevel,
    pub expires_at: Option<PrimitiveDateTime>,
    pub revoked_at: Option<PrimitiveDateTime>,
}

pub fn find_by_hash(conn: &mut AnyConnection, hash: &str) -> QueryResult<Option<KeyForAuth>> {
    api_keys::table
        .inner_join(workspaces::table)
        .filter(api_keys::key_hash.eq(hash))
        .select((
            api_keys::id,
            api_keys::public_id,
            api_keys::name,
            api_keys::workspace_id,
            workspaces::public_id,
            workspaces::name,
            api_keys::access_level,
            api_keys::expires_at,
            api_keys::revoked_at,
        ))
        .first::<KeyForAuth>(conn)
        .optional()
}

/// The key whose secret this was before a rotation, if any (for the key's history only).
pub fn find_retired(
    conn: &mut AnyConnection,
    hash: &str,
) -> QueryResult<Option<(KeyId, WorkspaceId, String)>> {
    use crate::db::schema::retired_key_hashes;
    retired_key_hashes::table
        .inner_join(api_keys::table.on(api_keys::id.eq(retired_key_hashes::key_id)))
        .filter(retired_key_hashes::key_hash.eq(hash))
        .select((api_keys::id, api_keys::workspace_id, api_keys::public_id))
        .first(conn)
        .optional()
}

pub fn retire_hash(
    conn: &mut AnyConnection,
    key_id: KeyId,
    hash: &str,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    use crate::db::schema::retired_key_hashes;
    diesel::insert_into(retired_key_hashes::table)
        .values((
            retired_key_hashes::key_hash.eq(hash),
            retired_key_hashes::key_id.eq(key_id),
            retired_key_hashes::retired_at.eq(now),
        ))
        .execute(conn)
}

/// Records that a key changed, in the caller's transaction, for every server process's cache.
pub fn record_change(
    conn: &mut AnyConnection,
    key_id: KeyId,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    use crate::db::schema::api_key_changes;
    diesel::insert_into(api_key_changes::table)
        .values((
            api_key_changes::key_id.eq(key_id),
            api_key_changes::changed_at.eq(now),
        ))
        .execute(conn)
}

/// Changes after `after`, oldest first.
pub fn changes_since(conn: &mut AnyConnection, after: i64) -> QueryResult<Vec<(i64, KeyId)>> {
    use crate::db::schema::api_key_changes;
    api_key_changes::table
        .filter(api_key_changes::id.gt(after))
        .order(api_key_changes::id.asc())
        .limit(10_000)
        .select((api_key_changes::id, api_key_changes::key_id))
        .load(conn)
}

pub fn last_change_id(conn: &mut AnyConnection) -> QueryResult<i64> {
    use crate::db::schema::api_key_changes;
    let max: Option<i64> = api_key_changes::table
        .select(diesel::dsl::max(api_key_changes::id))
        .first(conn)?;
    Ok(max.unwrap_or(0))
}

pub fn prune_changes(conn: &mut AnyConnection, before: PrimitiveDateTime) -> QueryResult<usize> {
    use crate::db::schema::api_key_changes;
    diesel::delete(api_key_changes::table.filter(api_key_changes::changed_at.lt(before)))
        .execute(conn)
}

/// Writes coalesced last-used facts; never moves `last_used_at` backwards.
pub fn record_last_used(
    conn: &mut AnyConnection,
    key_id: KeyId,
    at: PrimitiveDateTime,
    ip: &str,
    user_agent: &str,
) -> QueryResult<usize> {
    diesel::update(
        api_keys::table.filter(api_keys::id.eq(key_id)).filter(
            api_keys::last_used_at
                .is_null()
                .or(api_keys::last_used_at.lt(at)),
        ),
    )
    .set((
        api_keys::last_used_at.eq(Some(at)),
        api_keys::last_used_ip.eq(Some(ip)),
        api_keys::last_used_user_agent.eq(Some(user_agent)),
    ))
    .execute(conn)
}

/// Active (not revoked) keys a person owns in a workspace, for the offboarding review.
pub fn owned_by(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    owner_id: UserId,
) -> QueryResult<Vec<ApiKey>> {
    api_keys::table
        .filter(api_keys::workspace_id.eq(workspace_id))
        .filter(api_keys::owner_id.eq(owner_id))
        .filter(api_keys::revoked_at.is_null())
        .order(api_keys::name.asc())
        .select(ApiKey::as_select())
        .load(conn)
}

/// How many unrevoked keys each person owns in a workspace.
pub fn count_owned(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    owner_id: UserId,
) -> QueryResult<i64> {
    api_keys::table
        .filter(api_keys::workspace_id.eq(workspace_id))
        .filter(api_keys::owner_id.eq(owner_id))
        .filter(api_keys::revoked_at.is_null())
        .count()
        .get_result(conn)
}

pub fn set_owner(conn: &mut AnyConnection, id: KeyId, owner_id: UserId) -> QueryResult<usize> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::owner_id.eq(Some(owner_id)))
        .execute(conn)
}

pub fn find_in_workspace(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    public_id: &str,
) -> QueryResult<Option<ApiKey>> {
    api_keys::table
        .filter(api_keys::workspace_id.eq(workspace_id))
        .filter(api_keys::public_id.eq(public_id))
        .select(ApiKey::as_select())
        .first(conn)
        .optional()
}
