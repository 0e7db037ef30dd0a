//! Server-side sessions. Only the SHA-256 of a session id is stored.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::ids::UserId;
use crate::db::schema::sessions;
use crate::db::AnyConnection;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: i64,
    pub key_hash: String,
    pub user_id: Option<UserId>,
    pub state: String,
    pub created_at: PrimitiveDateTime,
    pub last_seen_at: PrimitiveDateTime,
}

pub fn insert(
    conn: &mut AnyConnection,
    key_hash: &str,
    user_id: Option<UserId>,
    state: &str,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::key_hash.eq(key_hash),
            sessions::user_id.eq(user_id),
            sessions::state.eq(state),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
        ))
        .execute(conn)
}

pub fn find(conn: &mut AnyConnection, key_hash: &str) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .filter(sessions::key_hash.eq(key_hash))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

pub fn update_state(
    conn: &mut AnyConnection,
    key_hash: &str,
    user_id: Option<UserId>,
    state: &str,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(sessions::table.filter(sessions::key_hash.eq(key_hash)))
        .set((
            sessions::user_id.eq(user_id),
            sessions::state.eq(state),
            sessions::last_seen_at.eq(now),
        ))
        .execute(conn)
}

pub fn touch(
    conn: &mut AnyConnection,
    key_hash: &str,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(sessions::table.filter(sessions::key_hash.eq(key_hash)))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)
}

pub fn delete(conn: &mut AnyConnection, key_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::key_hash.eq(key_hash))).execute(conn)
}

/// Ends every session of a user, except the one whose hash is `keep` (if any).
pub fn delete_for_user(
    conn: &mut AnyConnection,
    user_id: UserId,
    keep: Option<&str>,
) -> QueryResult<usize> {
    let q = sessions::table.filter(sessions::user_id.eq(user_id));
    match keep {
        Some(keep) => diesel::delete(q.filter(sessions::key_hash.ne(keep))).execute(conn),
        None => diesel::delete(q).execute(conn),
    }
}

/// Deletes sessions idle since `idle_cutoff` or created before `absolute_cutoff`.
pub fn delete_expired(
    conn: &mut AnyConnection,
    idle_cutoff: PrimitiveDateTime,
    absolute_cutoff: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::last_seen_at
                .lt(idle_cutoff)
                .or(sessions::created_at.lt(absolute_cutoff)),
        ),
    )
    .execute(conn)
}
