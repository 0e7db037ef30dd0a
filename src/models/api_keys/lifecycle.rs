//! Queries of a key's life: keys about to expire, keys that outlive a workspace's maximum
//! lifetime, keys nobody uses (for the policy that revokes them), and active keys against the cap.
//! Each reads a range of a per-workspace index.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use super::ApiKey;
use crate::db::ids::WorkspaceId;
use crate::db::schema::api_keys;
use crate::db::AnyConnection;

/// How many working keys expire within 7 days, per workspace (only workspaces that have some):
/// a range of the per-workspace expiration index each.
pub fn expiring_counts(
    conn: &mut AnyConnection,
    workspaces: &[WorkspaceId],
    now: PrimitiveDateTime,
) -> QueryResult<std::collections::HashMap<WorkspaceId, i64>> {
    if workspaces.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(WorkspaceId, i64)> = api_keys::table
        .filter(api_keys::workspace_id.eq_any(workspaces.to_vec()))
        .filter(api_keys::expires_at.gt(now))
        .filter(api_keys::expires_at.le(now + crate::domain::key::EXPIRING_SOON))
        .filter(api_keys::revoked_at.is_null())
        .group_by(api_keys::workspace_id)
        .select((api_keys::workspace_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Working keys (not revoked, not expired) of a workspace, for the cap on active keys.
pub fn count_active(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    api_keys::table
        .filter(api_keys::workspace_id.eq(workspace))
        .filter(api_keys::revoked_at.is_null())
        .filter(
            api_keys::expires_at
                .is_null()
                .or(api_keys::expires_at.gt(now)),
        )
        .count()
        .get_result(conn)
}

/// Working keys that expire after `latest` (or never), for the policy page: the first `limit`
/// by name, and how many there are.
pub fn outliving(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    latest: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<(Vec<ApiKey>, i64)> {
    let longer = || {
        api_keys::table
            .filter(api_keys::workspace_id.eq(workspace))
            .filter(api_keys::revoked_at.is_null())
            .filter(
                api_keys::expires_at
                    .is_null()
                    .or(api_keys::expires_at.gt(latest)),
            )
    };
    let keys = longer()
        .order((api_keys::name.asc(), api_keys::id.asc()))
        .limit(limit)
        .select(ApiKey::as_select())
        .load(conn)?;
    let n = longer().count().get_result(conn)?;
    Ok((keys, n))
}

/// Working keys of a workspace unused since `cutoff`: last used then or before, or never used and
/// created then or before.
pub fn unused_since(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    cutoff: PrimitiveDateTime,
    now: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<ApiKey>> {
    api_keys::table
        .filter(api_keys::workspace_id.eq(workspace))
        .filter(api_keys::revoked_at.is_null())
        .filter(
            api_keys::expires_at
                .is_null()
                .or(api_keys::expires_at.gt(now)),
        )
        .filter(
            api_keys::last_used_at.le(cutoff).or(api_keys::last_used_at
                .is_null()
                .and(api_keys::created_at.le(cutoff))),
        )
        .order(api_keys::id.asc())
        .limit(limit)
        .select(ApiKey::as_select())
        .load(conn)
}

/// Unrevoked keys of a workspace expiring after `from` and at or before `to` (the expiration
/// index's range), for reminders.
pub fn expiring_between(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    from: PrimitiveDateTime,
    to: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<ApiKey>> {
    api_keys::table
        .filter(api_keys::workspace_id.eq(workspace))
        .filter(api_keys::expires_at.gt(from))
        .filter(api_keys::expires_at.le(to))
        .filter(api_keys::revoked_at.is_null())
        .order(api_keys::expires_at.asc())
        .limit(limit)
        .select(ApiKey::as_select())
        .load(conn)
}

/// Unrevoked keys whose old secret stops after `now` and at or before `until`.
pub fn overlaps_closing(
    conn: &mut AnyConnection,
    now: PrimitiveDateTime,
    until: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<ApiKey>> {
    api_keys::table
        .filter(api_keys::old_retires_at.gt(now))
        .filter(api_keys::old_retires_at.le(until))
        .filter(api_keys::revoked_at.is_null())
        .order(api_keys::old_retires_at.asc())
        .limit(limit)
        .select(ApiKey::as_select())
        .load(conn)
}
