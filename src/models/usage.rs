//! Requests per key and day (`key_usage_daily`), added to in batches.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date as SqlDate};
use time::Date;

use crate::db::ids::KeyId;
use crate::db::schema::key_usage_daily;
use crate::db::AnyConnection;

/// Adds counts to a key's day (an upsert).
pub fn add(
    conn: &mut AnyConnection,
    key: KeyId,
    day: Date,
    ok: i64,
    refused: i64,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO key_usage_daily (key_id, day, ok, refused) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (key_id, day) DO UPDATE \
         SET ok = key_usage_daily.ok + excluded.ok, refused = key_usage_daily.refused + excluded.refused",
    )
    .bind::<BigInt, _>(key.0)
    .bind::<SqlDate, _>(day)
    .bind::<BigInt, _>(ok)
    .bind::<BigInt, _>(refused)
    .execute(conn)
}

/// A key's days from `from` on: (day, ok, refused), oldest first.
pub fn daily(
    conn: &mut AnyConnection,
    key: KeyId,
    from: Date,
) -> QueryResult<Vec<(Date, i64, i64)>> {
    key_usage_daily::table
        .filter(key_usage_daily::key_id.eq(key.0))
        .filter(key_usage_daily::day.ge(from))
        .order(key_usage_daily::day.asc())
        .select((
            key_usage_daily::day,
            key_usage_daily::ok,
            key_usage_daily::refused,
        ))
        .load(conn)
}

/// Sets a key's `requests_7d` from its days since `from` (the first of its last 7).
pub fn refresh_week(conn: &mut AnyConnection, key: KeyId, from: Date) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE api_keys SET requests_7d = (SELECT COALESCE(SUM(u.ok), 0) FROM key_usage_daily AS u \
         WHERE u.key_id = $1 AND u.day >= $2) WHERE id = $1",
    )
    .bind::<BigInt, _>(key.0)
    .bind::<SqlDate, _>(from)
    .execute(conn)
}

/// When the day changes, one step of recounting the week of every key used in the last one:
/// the next `limit` such keys after `after` (the partial index `api_keys_used_this_week` holds
/// just those), of which only those whose count changes are written (rewriting each used key,
/// 100,000 of a million, each in all its indexes, set off a vacuum of the whole table that slowed
/// the console for minutes). Returns how
/// many were written and the last key looked at, or `None` when there are no more.
pub fn roll_week_step(
    conn: &mut AnyConnection,
    from: Date,
    after: i64,
    limit: usize,
) -> QueryResult<(usize, Option<i64>)> {
    use crate::db::schema::api_keys;
    let ids: Vec<i64> = api_keys::table
        .filter(api_keys::requests_7d.gt(0))
        .filter(api_keys::id.gt(after))
        .order(api_keys::id.asc())
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .select(api_keys::id)
        .load(conn)?;
    let Some(&last) = ids.last() else {
        return Ok((0, None));
    };
    let week = "COALESCE((SELECT SUM(u.ok) FROM key_usage_daily AS u \
                WHERE u.key_id = api_keys.id AND u.day >= $1), 0)";
    let n = diesel::sql_query(format!(
        "UPDATE api_keys SET requests_7d = {week} \
         WHERE id > $2 AND id <= $3 AND requests_7d > 0 AND requests_7d <> {week}"
    ))
    .bind::<SqlDate, _>(from)
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(last)
    .execute(conn)?;
    Ok((n, (ids.len() == limit).then_some(last)))
}

/// Forgets up to `limit` days older than `keep_from`; returns how many.
pub fn forget_days(conn: &mut AnyConnection, keep_from: Date, limit: usize) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM key_usage_daily WHERE day < $1 AND key_id IN \
         (SELECT key_id FROM key_usage_daily WHERE day < $1 ORDER BY day, key_id LIMIT $2)",
    )
    .bind::<SqlDate, _>(keep_from)
    .bind::<BigInt, _>(i64::try_from(limit).unwrap_or(i64::MAX))
    .execute(conn)
}

/// The day the usage week was last moved on (by any process), if ever.
pub fn rolled_on(conn: &mut AnyConnection) -> QueryResult<Option<Date>> {
    use crate::db::schema::usage_week_rolled;
    usage_week_rolled::table
        .select(usage_week_rolled::day)
        .first(conn)
        .optional()
}

/// Records that the week was moved on `day`.
pub fn set_rolled_on(conn: &mut AnyConnection, day: Date) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO usage_week_rolled (id, day) VALUES (1, $1) \
         ON CONFLICT (id) DO UPDATE SET day = excluded.day",
    )
    .bind::<SqlDate, _>(day)
    .execute(conn)
}
