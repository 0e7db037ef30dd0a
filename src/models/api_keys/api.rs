//! What the JSON API needs: a key by the hash of its secret, secrets retired by a rotation, the
//! change feed every process follows, and coalesced last use.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::ids::{KeyId, WorkspaceId};
use crate::db::schema::{api_keys, workspaces};
use crate::db::AnyConnection;
use crate::domain::key::AccessLevel;
use crate::domain::restrictions::IpAllowlist;

// ---- What the JSON API needs ---------------------------------------------------------------------

/// A key as the API sees it when a caller presents its secret.
#[derive(Debug)]
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
    /// When the presented secret became the key's secret (its last rotation), to tell its uses
    /// apart from those of a secret that replaced it since.
    pub rotated_at: Option<PrimitiveDateTime>,
    /// `Some(until)` when the presented secret is the key's old one, kept by a rotation's
    /// overlap: it works until then, checked on every request.
    pub old_until: Option<PrimitiveDateTime>,
    /// Where the key may be used from; any address when `None`.
    pub allowed_ips: Option<std::sync::Arc<IpAllowlist>>,
    /// Requests a minute it may make (per server process); no limit when `None`.
    pub rate_limit: Option<u32>,
    /// The `GET /api/v1/key` answer, serialised on the second call and shared by the calls that
    /// follow while the key stays cached (any change to the key replaces the cached entry). Not
    /// on the first: a key that calls once (100,000 keys each calling once, in the scale
    /// benchmark) keeps no copy, so the cache's memory stays what it was.
    pub about_json: std::sync::OnceLock<bytes::Bytes>,
    /// Whether `GET /api/v1/key` answered for this cached key before.
    pub about_asked: std::sync::atomic::AtomicBool,
}

impl Clone for KeyForAuth {
    /// A copy as read from the database: its `/api/v1/key` answer is made again when asked.
    fn clone(&self) -> Self {
        Self {
            public_id: self.public_id.clone(),
            name: self.name.clone(),
            workspace_public_id: self.workspace_public_id.clone(),
            workspace_name: self.workspace_name.clone(),
            allowed_ips: self.allowed_ips.clone(),
            about_json: std::sync::OnceLock::new(),
            about_asked: Default::default(),
            ..*self
        }
    }
}

impl KeyForAuth {
    /// The `GET /api/v1/key` answer kept for this cached key (made by `make`), from its second
    /// call on; `None` on the first, which keeps nothing (see `about_json`).
    pub fn kept_about(&self, make: impl FnOnce() -> bytes::Bytes) -> Option<&bytes::Bytes> {
        let again = self
            .about_asked
            .swap(true, std::sync::atomic::Ordering::Relaxed);
        again.then(|| self.about_json.get_or_init(make))
    }

    /// Which of the key's secrets this is, for last-used tracking.
    pub fn secret_used(&self) -> SecretUsed {
        match self.old_until {
            Some(_) => SecretUsed::Old,
            None => SecretUsed::Current {
                since: self.rotated_at,
            },
        }
    }
}

type AuthRow = (
    (
        KeyId,
        String,
        String,
        WorkspaceId,
        String,
        String,
        AccessLevel,
    ),
    (
        Option<PrimitiveDateTime>,
        Option<PrimitiveDateTime>,
        Option<PrimitiveDateTime>,
    ),
    (String, Option<PrimitiveDateTime>),
    (Option<String>, Option<i32>),
);

/// The key whose current secret, or old secret during an overlap, has this hash: lookups by
/// unique index only. (One `key_hash = ? OR old_key_hash = ?` joined to the workspace let SQLite's
/// planner, whose statistics say an all-NULL `old_key_hash` index matches every row, walk every
/// workspace's keys instead: seconds for each unknown secret. The old hash is looked up alone.)
pub fn find_by_hash(conn: &mut AnyConnection, hash: &str) -> QueryResult<Option<KeyForAuth>> {
    macro_rules! by {
        ($condition:expr) => {
            api_keys::table
                .inner_join(workspaces::table)
                .filter($condition)
                .select((
                    (
                        api_keys::id,
                        api_keys::public_id,
                        api_keys::name,
                        api_keys::workspace_id,
                        workspaces::public_id,
                        workspaces::name,
                        api_keys::access_level,
                    ),
                    (
                        api_keys::expires_at,
                        api_keys::revoked_at,
                        api_keys::rotated_at,
                    ),
                    (api_keys::key_hash, api_keys::old_retires_at),
                    (api_keys::allowed_ips, api_keys::rate_limit_per_minute),
                ))
                .first::<AuthRow>(conn)
                .optional()?
        };
    }
    let row = match by!(api_keys::key_hash.eq(hash)) {
        Some(row) => Some(row),
        None => {
            let old: Option<KeyId> = api_keys::table
                .filter(api_keys::old_key_hash.eq(hash))
                .select(api_keys::id)
                .first(conn)
                .optional()?;
            match old {
                Some(id) => by!(api_keys::id.eq(id)),
                None => None,
            }
        }
    };
    Ok(row.map(
        |(k, (expires_at, revoked_at, rotated_at), (current, retires), (ips, rate))| {
            let old = current != hash;
            KeyForAuth {
                id: k.0,
                public_id: k.1,
                name: k.2,
                workspace_id: k.3,
                workspace_public_id: k.4,
                workspace_name: k.5,
                access_level: k.6,
                expires_at,
                revoked_at,
                // The old secret dates from before the last rotation.
                rotated_at: if old { None } else { rotated_at },
                old_until: old.then(|| retires.unwrap_or(PrimitiveDateTime::MIN)),
                // A stored list always parses; if it ever did not, the key would work from
                // nowhere rather than from everywhere.
                allowed_ips: ips.map(|text| {
                    std::sync::Arc::new(
                        IpAllowlist::parse(&text)
                            .ok()
                            .flatten()
                            .unwrap_or_else(IpAllowlist::nowhere),
                    )
                }),
                rate_limit: rate.and_then(|r| u32::try_from(r).ok()),
                about_json: std::sync::OnceLock::new(),
                about_asked: Default::default(),
            }
        },
    ))
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
    let n = diesel::insert_into(api_key_changes::table)
        .values((
            api_key_changes::key_id.eq(key_id),
            api_key_changes::changed_at.eq(now),
        ))
        .execute(conn)?;
    if let AnyConnection::Postgresql(_) = conn {
        // Delivered to every listening server process when the transaction commits.
        diesel::sql_query(format!("SELECT pg_notify('{CHANGES_CHANNEL}', $1)"))
            .bind::<diesel::sql_types::Text, _>(key_id.0.to_string())
            .execute(conn)?;
    }
    Ok(n)
}

/// The PostgreSQL channel that names each changed key.
pub const CHANGES_CHANNEL: &str = "mailrith_key_changes";

/// Starts listening for key changes on this (PostgreSQL) connection.
pub fn listen_for_changes(conn: &mut AnyConnection) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))
}

/// The keys named by the notifications that arrived since the last call (never waits).
pub fn notified_changes(conn: &mut AnyConnection) -> QueryResult<Vec<KeyId>> {
    let AnyConnection::Postgresql(pg) = conn else {
        return Ok(Vec::new());
    };
    let mut keys = Vec::new();
    for n in pg.notifications_iter() {
        let n = n?;
        if let Ok(id) = n.payload.parse() {
            keys.push(KeyId(id));
        }
    }
    Ok(keys)
}

/// Changes after `after`, oldest first.
pub fn changes_since(
    conn: &mut AnyConnection,
    after: i64,
) -> QueryResult<Vec<(i64, KeyId, PrimitiveDateTime)>> {
    use crate::db::schema::api_key_changes;
    api_key_changes::table
        .filter(api_key_changes::id.gt(after))
        .order(api_key_changes::id.asc())
        .limit(10_000)
        .select((
            api_key_changes::id,
            api_key_changes::key_id,
            api_key_changes::changed_at,
        ))
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

/// Which secret of a key a use was made with: the current one (as of the rotation that made it
/// current), or the old one kept by an overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretUsed {
    Current { since: Option<PrimitiveDateTime> },
    Old,
}

/// Writes coalesced last-used facts; never moves a time backwards. A use of the old secret also
/// sets when it was last used; the first use of the current secret is kept once, and only if that
/// secret is still the current one.
pub fn record_last_used(
    conn: &mut AnyConnection,
    key_id: KeyId,
    secret: SecretUsed,
    first_at: PrimitiveDateTime,
    at: PrimitiveDateTime,
    ip: &str,
    user_agent: &str,
) -> QueryResult<usize> {
    match secret {
        SecretUsed::Old => {
            diesel::update(
                api_keys::table
                    .filter(api_keys::id.eq(key_id))
                    .filter(api_keys::old_key_hash.is_not_null())
                    .filter(
                        api_keys::old_last_used_at
                            .is_null()
                            .or(api_keys::old_last_used_at.lt(at)),
                    ),
            )
            .set(api_keys::old_last_used_at.eq(Some(at)))
            .execute(conn)?;
        }
        SecretUsed::Current { since } => {
            let first = api_keys::secret_first_used_at.eq(Some(first_at));
            let unset = api_keys::table
                .filter(api_keys::id.eq(key_id))
                .filter(api_keys::secret_first_used_at.is_null());
            match since {
                Some(r) => diesel::update(unset.filter(api_keys::rotated_at.eq(r)))
                    .set(first)
                    .execute(conn)?,
                None => diesel::update(unset.filter(api_keys::rotated_at.is_null()))
                    .set(first)
                    .execute(conn)?,
            };
        }
    }
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
