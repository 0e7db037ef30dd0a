//! The WHERE conditions of an arm: its scope, its search text, and the filters.

use super::*;

/// The lower-cased name, as the name indexes hold it.
fn lower_name(postgres: bool) -> &'static str {
    if postgres {
        "(lower(k.name) COLLATE \"C\")"
    } else {
        "lower(k.name)"
    }
}

/// The upper bound of the names starting with `prefix` (in byte order).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

pub(in crate::models::api_keys::page) fn prefix_range(sql: &mut Sql, prefix: &str) {
    prefix_between(sql, lower_name(sql.postgres), prefix);
}

/// The prefix checked on the keys a scan reads: on PostgreSQL the generated lower-cased column
/// (no lower() per key read), which the default order's index carries.
fn prefix_checked(sql: &mut Sql, prefix: &str) {
    let name = match sql.postgres {
        true => "(k.name_lower COLLATE \"C\")",
        false => lower_name(false),
    };
    prefix_between(sql, name, prefix);
}

fn prefix_between(sql: &mut Sql, name: &str, prefix: &str) {
    sql.push(&format!(" AND {name} >= "))
        .bind(Bind::Text(prefix.to_owned()))
        .push(&format!(" AND {name} < "))
        .bind(Bind::Text(prefix_end(prefix)));
}

/// The name or purpose holds `pattern`, as the trigram index (PostgreSQL) can find it.
pub(in crate::models::api_keys::page) fn substring(sql: &mut Sql, pattern: &str) {
    // SQLite's LIKE ignores case for ASCII letters in its own C code; a search with other letters
    // folds both sides with `mlr_fold` (Rust's `to_lowercase`), as PostgreSQL's `lower` does.
    let columns = match (sql.postgres, pattern.is_ascii()) {
        (true, _) => ("lower(k.name)", "lower(k.purpose)"),
        (false, true) => ("k.name", "k.purpose"),
        (false, false) => ("mlr_fold(k.name)", "mlr_fold(k.purpose)"),
    };
    substring_of(sql, columns, pattern);
}

/// The same, checked on the keys a scan reads: on PostgreSQL the generated lower-cased columns
/// (no lower() per key read), which the default order's index carries.
fn substring_checked(sql: &mut Sql, pattern: &str) {
    match sql.postgres {
        true => substring_of(sql, ("k.name_lower", "k.purpose_lower"), pattern),
        false => substring(sql, pattern),
    }
}

fn substring_of(sql: &mut Sql, (name, purpose): (&str, &str), pattern: &str) {
    sql.push(&format!(" AND ({name} LIKE "))
        .bind(Bind::Text(pattern.to_owned()))
        .push(&format!(" ESCAPE '\\' OR {purpose} LIKE "))
        .bind(Bind::Text(pattern.to_owned()))
        .push(" ESCAPE '\\')");
}

/// PostgreSQL: the keys whose name or purpose holds `pattern`, found by the trigram index with
/// `word` alone (a part of it). `|| ''` keeps the whole pattern out of the index's conditions
/// (it is not the indexed expression), so it is checked on the keys the word finds.
pub(in crate::models::api_keys::page) fn word_first(sql: &mut Sql, word: &str, pattern: &str) {
    for (i, column) in ["k.name", "k.purpose"].into_iter().enumerate() {
        sql.push(if i == 0 { " AND ((" } else { " OR (" })
            .push(&format!("lower({column}) LIKE "))
            .bind(Bind::Text(word.to_owned()))
            .push(&format!(" ESCAPE '\\' AND (lower({column}) || '') LIKE "))
            .bind(Bind::Text(pattern.to_owned()))
            .push(" ESCAPE '\\')");
    }
    sql.push(")");
}

/// The WHERE conditions of an arm: its scope, its search condition, the filters. (Columns are
/// qualified: a SQLite text arm joins the FTS table.)
pub(in crate::models::api_keys::page) fn conditions(sql: &mut Sql, source: &Source, f: &Filters) {
    scope_condition(sql, &source.scope, f, false);
    filter_conditions(sql, source, f);
}

/// `conditions` of an arm read in the sort's order: on PostgreSQL, one workspace's keys with a
/// value, when no condition bounds that value, say the workspace as a range of one value. An
/// equality tells its planner the workspace is fixed, and it then drops the workspace from the
/// order (`ORDER BY k.workspace_id, …`, see `arm`) and may walk the sort's index over every key,
/// checking the workspace on each ("Read Only" by most used: 68,888 keys of other workspaces
/// read, 119 ms, for the owner of 186,000 keys at 1M; 0.8 ms by the workspace's own index). Only
/// in the orders by use, whose values the keys of other workspaces crowd (most of them used
/// more); not when a range of the value (or `IS NULL`) is to bound the scan: after a range on the
/// first column, it does not. (In the order by expiry the range form made "Revoked" walk the
/// expiry index checking each key's row: 16 -> 40 ms.)
pub(super) fn arm_conditions(
    sql: &mut Sql,
    source: &Source,
    f: &Filters,
    sort: SortKey,
    nulls: bool,
) {
    let by_use = matches!(sort, SortKey::MostUsed | SortKey::LastUsed);
    let range = sql.postgres && by_use && !nulls && implied(f, sort).is_none();
    scope_condition(sql, &source.scope, f, range);
    filter_conditions(sql, source, f);
}

/// Which keys the scope holds (one workspace as a range of one value with `range`, on
/// PostgreSQL: see `arm_conditions`).
fn scope_condition(sql: &mut Sql, scope: &Scope, f: &Filters, range: bool) {
    match scope {
        Scope::Workspace(ws) if range => {
            sql.push("k.workspace_id >= ")
                .bind(Bind::Int(ws.0))
                .push(" AND k.workspace_id <= ")
                .bind(Bind::Int(ws.0));
        }
        Scope::Workspace(ws) => {
            sql.push("k.workspace_id = ").bind(Bind::Int(ws.0));
        }
        Scope::Owner(owner, workspaces) => {
            sql.push("k.owner_id = ")
                .bind(Bind::Int(owner.0))
                .push(" AND ");
            in_list(sql, "k.workspace_id", workspaces.iter().map(|w| w.0));
        }
        Scope::NoOwner(workspaces) => {
            sql.push("k.owner_id IS NULL AND ");
            in_list(sql, "k.workspace_id", workspaces.iter().map(|w| w.0));
        }
        Scope::Workspaces(workspaces) => {
            in_list(sql, "k.workspace_id", workspaces.iter().map(|w| w.0));
        }
        Scope::All => {
            in_list(sql, "k.workspace_id", f.visible.iter().map(|w| w.0));
        }
        Scope::Pair(ws, owner) => {
            sql.push("k.workspace_id = ").bind(Bind::Int(ws.0));
            match owner {
                Some(o) => sql.push(" AND k.owner_id = ").bind(Bind::Int(o.0)),
                None => sql.push(" AND k.owner_id IS NULL"),
            };
        }
        Scope::Text { pattern, phrase } => {
            if sql.postgres {
                sql.push("TRUE");
                substring(sql, pattern);
            } else {
                sql.push("api_keys_search MATCH ")
                    .bind(Bind::Text(format!("{{name purpose}} : {phrase}")));
            }
            sql.push(" AND ");
            in_list(sql, "k.workspace_id", f.visible.iter().map(|w| w.0));
        }
        Scope::NamePrefix(prefix) => {
            in_list(sql, "k.workspace_id", f.visible.iter().map(|w| w.0));
            prefix_range(sql, prefix);
        }
        // The state itself is the status filter's condition (said once: said twice, SQLite's
        // planner estimates the range as far narrower than it is and reads it by skip-scan
        // over every workspace's keys instead of the viewer's).
        Scope::State => {
            in_list(sql, "k.workspace_id", f.visible.iter().map(|w| w.0));
        }
        Scope::Ids(ids) => {
            if sql.postgres {
                // Read by `from_clause`.
                sql.push("TRUE");
            } else if ids.is_empty() {
                sql.push("FALSE");
            } else {
                in_list(sql, "k.id", ids.iter().copied());
            }
            sql.push(" AND ");
            in_list(sql, "k.workspace_id", f.visible.iter().map(|w| w.0));
        }
    }
}

/// The search condition and the filters (each starts with ` AND `).
pub(super) fn filter_conditions(sql: &mut Sql, source: &Source, f: &Filters) {
    // Other scopes are built for the owner filter already.
    let owner_condition = matches!(
        source.scope,
        Scope::Text { .. } | Scope::NamePrefix(_) | Scope::Ids(_) | Scope::State
    );
    match &source.text {
        Some(TextCondition::Substring(pattern)) => substring_checked(sql, pattern),
        Some(TextCondition::Prefix(prefix)) => prefix_checked(sql, prefix),
        None => {}
    }
    let working = |sql: &mut Sql| {
        sql.push(" AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ")
            .bind(Bind::Time(f.now))
            .push(")");
    };
    match f.status {
        Some(StatusFilter::Is(KeyStatus::Active)) => working(sql),
        Some(StatusFilter::Is(KeyStatus::Expired)) => {
            sql.push(" AND k.revoked_at IS NULL AND k.expires_at <= ")
                .bind(Bind::Time(f.now));
        }
        Some(StatusFilter::Is(KeyStatus::Revoked)) => {
            sql.push(" AND k.revoked_at IS NOT NULL");
        }
        Some(StatusFilter::ExpiringSoon) => {
            sql.push(" AND k.revoked_at IS NULL AND k.expires_at > ")
                .bind(Bind::Time(f.now))
                .push(" AND k.expires_at <= ")
                .bind(Bind::Time(f.now + EXPIRING_SOON));
        }
        Some(StatusFilter::Unused) => {
            working(sql);
            sql.push(" AND (k.last_used_at <= ")
                .bind(Bind::Time(f.now - UNUSED_AFTER))
                .push(" OR (k.last_used_at IS NULL AND k.created_at <= ")
                .bind(Bind::Time(f.now - NEVER_USED_AFTER))
                .push("))");
            // Implied by the above (a key is used only after it is created), and a range of the
            // created index: the newest month, where no key can be unused, is not read at all.
            sql.push(" AND k.created_at <= ")
                .bind(Bind::Time(f.now - NEVER_USED_AFTER));
        }
        None => {}
    }
    if let Some(a) = f.access {
        sql.push(" AND k.access_level = ")
            .bind(Bind::Text(a.as_str().to_owned()));
    }
    if owner_condition {
        match &f.owner {
            Some(OwnerFilter::Person(id)) => {
                sql.push(" AND k.owner_id = ").bind(Bind::Int(id.0));
            }
            Some(OwnerFilter::Removed(_)) => {
                let active = if sql.postgres {
                    "NOT u.disabled"
                } else {
                    "u.disabled = 0"
                };
                sql.push(&format!(
                    " AND (k.owner_id IS NULL OR NOT EXISTS (SELECT 1 FROM memberships m \
                     JOIN users u ON u.id = m.user_id WHERE m.workspace_id = k.workspace_id \
                     AND m.user_id = k.owner_id AND {active}))"
                ));
            }
            None => {}
        }
    }
    if !sql.postgres {
        sql.push(" AND mlr_deadline()");
    }
}

/// For keys with a value in the sort (`nulls == false`), the range of that value the status
/// filter implies, said as a range of the sort's index (each starts with ` AND `). The filter
/// says it inside an `OR` (a working key expires later or never; an unused key was last used
/// long ago or never), which no index reads: "Unused" by last use, newest first, walked every
/// key used this month before the first unused one (2 s and a "narrow it" answer for an admin of
/// 50 workspaces on PostgreSQL at 1M keys).
pub(super) fn implied_range(sql: &mut Sql, f: &Filters, sort: SortKey, nulls: bool) {
    if nulls {
        return;
    }
    if let Some((condition, value)) = implied(f, sort) {
        sql.push(condition).bind(value);
    }
}

/// The range of the sort's value the status filter implies (see `implied_range`), if any.
///
/// An unused key has no requests this week: each request counted is a use, and the process that
/// counts it writes the key's last use first (within seconds; the counts once a minute), so a
/// key with requests in the last 7 days was used in them. "Unused" by most used is then the
/// keys without requests, in the order of their ids: read as that range of the most-used index,
/// it no longer walks the keys used this week first, reading each one's row for its last use
/// (18,600 keys, 50 ms, for the owner of 186,000 keys at 1M on SQLite).
fn implied(f: &Filters, sort: SortKey) -> Option<(&'static str, Bind)> {
    let working = matches!(
        f.status,
        Some(StatusFilter::Is(KeyStatus::Active) | StatusFilter::Unused)
    );
    let unused = f.status == Some(StatusFilter::Unused);
    match sort {
        SortKey::Expires if working => Some((" AND k.expires_at > ", Bind::Time(f.now))),
        SortKey::LastUsed if unused => {
            Some((" AND k.last_used_at <= ", Bind::Time(f.now - UNUSED_AFTER)))
        }
        SortKey::MostUsed if unused => Some((" AND k.requests_7d <= ", Bind::Int(0))),
        _ => None,
    }
}
