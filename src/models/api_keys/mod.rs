//! API key rows and queries. Reads are always scoped to the workspaces the acting user belongs to;
//! writes take the key's row id only after such a scoped read.

mod api;
mod lifecycle;
mod listing;
pub mod page;

pub use api::*;
pub use lifecycle::*;
pub use listing::*;

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::ids::{KeyId, UserId, WorkspaceId};
use crate::db::lower;
use crate::db::schema::api_keys;
use crate::db::AnyConnection;
use crate::domain::key::{AccessLevel, KeyStatus};

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
    /// During a rotation's overlap: the old secret's hint, when it stops working, and when it was
    /// last used.
    pub old_hint: Option<String>,
    pub old_retires_at: Option<PrimitiveDateTime>,
    pub old_last_used_at: Option<PrimitiveDateTime>,
    /// When the current secret was first used (none yet after a rotation: "waiting for first use").
    pub secret_first_used_at: Option<PrimitiveDateTime>,
    /// Reported public by secret scanning: when, where, and by what source.
    pub leaked_at: Option<PrimitiveDateTime>,
    pub leaked_url: Option<String>,
    pub leaked_source: Option<String>,
    /// Where the key may be used from ("203.0.113.0/24, 2001:db8::/32"); any when `None`.
    pub allowed_ips: Option<String>,
    pub rate_limit_per_minute: Option<i32>,
    /// Successful requests in the last 7 days (UTC days), as of the last usage flush.
    pub requests_7d: i64,
    /// The authorized app that created the key through the API, if one did ("created via CRM Sync").
    pub created_via: Option<String>,
}

impl ApiKey {
    pub fn status(&self, now: PrimitiveDateTime) -> KeyStatus {
        KeyStatus::of(self.revoked_at, self.expires_at, now)
    }

    /// When the old secret of a rotation stops working, while it still works.
    pub fn overlap_until(&self, now: PrimitiveDateTime) -> Option<PrimitiveDateTime> {
        self.old_retires_at
            .filter(|t| *t > now && self.status(now) == KeyStatus::Active)
    }
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
    pub allowed_ips: Option<&'a str>,
    pub rate_limit_per_minute: Option<i32>,
    pub created_via: Option<&'a str>,
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

/// The secret a rotation replaces, and whether it keeps working for a while.
pub struct Replaced<'a> {
    pub hash: &'a str,
    pub hint: &'a str,
    /// `Some(until)`: the old secret keeps working until then (an overlap).
    pub until: Option<PrimitiveDateTime>,
}

/// Replaces the secret only if it is still `old.hash` (so of two concurrent rotations exactly one
/// wins) and the key is not revoked; with an overlap the old secret is kept beside the new one.
/// The caller retired any earlier old secret first. Returns the number of rows changed (0 or 1).
pub fn rotate(
    conn: &mut AnyConnection,
    id: KeyId,
    old: &Replaced<'_>,
    new_hash: &str,
    new_hint: &str,
    expires_at: Option<PrimitiveDateTime>,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    let kept = old.until.map(|until| (old.hash, old.hint, until));
    diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::key_hash.eq(old.hash))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set((
        api_keys::key_hash.eq(new_hash),
        api_keys::hint.eq(new_hint),
        api_keys::expires_at.eq(expires_at),
        api_keys::rotated_at.eq(Some(now)),
        api_keys::secret_first_used_at.eq(None::<PrimitiveDateTime>),
        api_keys::old_key_hash.eq(kept.map(|k| k.0)),
        api_keys::old_hint.eq(kept.map(|k| k.1)),
        api_keys::old_retires_at.eq(kept.map(|k| k.2)),
        api_keys::old_last_used_at.eq(None::<PrimitiveDateTime>),
    ))
    .execute(conn)
}

/// A key's old secret during an overlap: its hash, when it retires, when it was last used, and
/// when the new secret was first used.
pub struct OldSecret {
    pub hash: String,
    pub retires_at: Option<PrimitiveDateTime>,
    pub last_used_at: Option<PrimitiveDateTime>,
    pub new_first_used_at: Option<PrimitiveDateTime>,
}

pub fn old_secret(conn: &mut AnyConnection, id: KeyId) -> QueryResult<Option<OldSecret>> {
    type Row = (
        Option<String>,
        Option<PrimitiveDateTime>,
        Option<PrimitiveDateTime>,
        Option<PrimitiveDateTime>,
    );
    let row: Option<Row> = api_keys::table
        .find(id)
        .select((
            api_keys::old_key_hash,
            api_keys::old_retires_at,
            api_keys::old_last_used_at,
            api_keys::secret_first_used_at,
        ))
        .first(conn)
        .optional()?;
    Ok(
        row.and_then(|(hash, retires_at, last_used_at, new_first_used_at)| {
            hash.map(|hash| OldSecret {
                hash,
                retires_at,
                last_used_at,
                new_first_used_at,
            })
        }),
    )
}

/// Ends an overlap: the old secret `hash` stops working. 0 when another process already did.
pub fn clear_old_secret(conn: &mut AnyConnection, id: KeyId, hash: &str) -> QueryResult<usize> {
    diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::old_key_hash.eq(hash)),
    )
    .set((
        api_keys::old_key_hash.eq(None::<String>),
        api_keys::old_hint.eq(None::<String>),
        api_keys::old_retires_at.eq(None::<PrimitiveDateTime>),
    ))
    .execute(conn)
}

/// Keys whose old secret's time has come (by the partial index on `old_retires_at`).
pub fn due_old_secrets(
    conn: &mut AnyConnection,
    now: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<ApiKey>> {
    api_keys::table
        .filter(api_keys::old_retires_at.le(now))
        .order(api_keys::old_retires_at.asc())
        .limit(limit)
        .select(ApiKey::as_select())
        .load(conn)
}

/// Revokes a key that is not already revoked. Returns the number of rows changed (0 or 1).
pub fn revoke(
    conn: &mut AnyConnection,
    id: KeyId,
    by: Option<UserId>,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set((
        api_keys::revoked_at.eq(Some(now)),
        api_keys::revoked_by.eq(by),
    ))
    .execute(conn)
}

pub fn update_details(
    conn: &mut AnyConnection,
    id: KeyId,
    name: &str,
    purpose: &str,
    owner_id: Option<UserId>,
    allowed_ips: Option<&str>,
    rate_limit_per_minute: Option<i32>,
) -> QueryResult<usize> {
    diesel::update(api_keys::table.find(id))
        .set((
            api_keys::name.eq(name),
            api_keys::purpose.eq(purpose),
            api_keys::owner_id.eq(owner_id),
            api_keys::allowed_ips.eq(allowed_ips),
            api_keys::rate_limit_per_minute.eq(rate_limit_per_minute),
        ))
        .execute(conn)
}

/// A new expiration (the management API's edit).
pub fn set_expiration(
    conn: &mut AnyConnection,
    id: KeyId,
    expires_at: Option<PrimitiveDateTime>,
) -> QueryResult<usize> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::expires_at.eq(expires_at))
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

/// How many unrevoked keys each person owns in a workspace (from `key_owners`, kept by triggers).
pub fn count_owned(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
) -> QueryResult<std::collections::HashMap<UserId, i64>> {
    use crate::db::schema::key_owners;
    Ok(key_owners::table
        .filter(key_owners::workspace_id.eq(workspace_id.0))
        .select((key_owners::owner_id, key_owners::unrevoked))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .map(|(o, n)| (UserId(o), n))
        .collect())
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

pub fn find_by_id(conn: &mut AnyConnection, id: KeyId) -> QueryResult<Option<ApiKey>> {
    api_keys::table
        .find(id)
        .select(ApiKey::as_select())
        .first(conn)
        .optional()
}

/// Marks a key as reported public at `url`; 0 when it already was, at that URL.
pub fn mark_leaked(
    conn: &mut AnyConnection,
    id: KeyId,
    url: &str,
    source: &str,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        api_keys::table.filter(api_keys::id.eq(id)).filter(
            api_keys::leaked_url
                .is_null()
                .or(api_keys::leaked_url.ne(url)),
        ),
    )
    .set((
        api_keys::leaked_at.eq(Some(now)),
        api_keys::leaked_url.eq(Some(url)),
        api_keys::leaked_source.eq(Some(source)),
    ))
    .execute(conn)
}
