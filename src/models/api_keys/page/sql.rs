//! The SQL of an arm, for either backend: its scope, search condition and filters as WHERE
//! conditions, and the `LIMIT`ed, ordered read of one phase.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use time::PrimitiveDateTime;

use super::{Filters, OwnerFilter, Scope, Source, TextCondition};
use crate::db::AnyConnection;
use crate::domain::key::{KeyStatus, StatusFilter, EXPIRING_SOON, NEVER_USED_AFTER, UNUSED_AFTER};
use crate::domain::search::{Position, SortKey, SortValue};

mod conditions;
mod indexes;
mod lateral;

use conditions::{arm_conditions, filter_conditions, implied_range};
pub(super) use conditions::{conditions, prefix_range, substring, word_first};

use indexes::index_for;
pub(super) use lateral::lateral;

/// A value bound into the statement.
#[derive(Debug, Clone)]
pub(super) enum Bind {
    Int(i64),
    Text(String),
    Time(PrimitiveDateTime),
}

/// SQL text with its binds, for either backend (`?` or `$n` placeholders).
pub(super) struct Sql {
    text: String,
    binds: Vec<Bind>,
    pub(super) postgres: bool,
}

impl Sql {
    pub(super) fn new(postgres: bool) -> Self {
        Self {
            text: String::new(),
            binds: Vec::new(),
            postgres,
        }
    }

    pub(super) fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    pub(super) fn bind(&mut self, b: Bind) -> &mut Self {
        self.binds.push(b);
        if self.postgres {
            self.text.push_str(&format!("${}", self.binds.len()));
        } else {
            self.text.push('?');
        }
        self
    }

    pub(super) fn load<T>(self, c: &mut AnyConnection) -> QueryResult<Vec<T>>
    where
        T: QueryableByName<crate::db::MultiBackend> + 'static,
    {
        let mut q = diesel::sql_query(self.text).into_boxed();
        for b in self.binds {
            q = match b {
                Bind::Int(v) => q.bind::<BigInt, _>(v),
                Bind::Text(v) => q.bind::<Text, _>(v),
                Bind::Time(v) => q.bind::<Timestamp, _>(v),
            };
        }
        q.load(c)
    }
}

/// The sort's column, as SQL (a byte-order comparison of the lower-cased name).
pub(super) fn value_sql(sort: SortKey, postgres: bool) -> &'static str {
    match (sort, postgres) {
        (SortKey::Name, true) => "(lower(k.name) COLLATE \"C\")",
        (SortKey::Name, false) => "lower(k.name)",
        (SortKey::Created, _) => "k.created_at",
        (SortKey::LastUsed, _) => "k.last_used_at",
        (SortKey::Expires, _) => "k.expires_at",
        (SortKey::MostUsed, _) => "k.requests_7d",
    }
}

/// The three sort columns every arm returns, only the sort's own set: `sort_text`, `sort_time`,
/// `sort_count`.
fn sort_columns(sort: SortKey, value: &str) -> String {
    let (text, time, count) = match sort {
        SortKey::Name => (value, "CAST(NULL AS TIMESTAMP)", "CAST(NULL AS BIGINT)"),
        SortKey::MostUsed => ("CAST(NULL AS TEXT)", "CAST(NULL AS TIMESTAMP)", value),
        SortKey::Created | SortKey::LastUsed | SortKey::Expires => {
            ("CAST(NULL AS TEXT)", value, "CAST(NULL AS BIGINT)")
        }
    };
    format!("{text} AS sort_text, {time} AS sort_time, {count} AS sort_count")
}

pub(super) fn select_list(sql: &mut Sql, arm: usize, sort: SortKey, value: &str) {
    let arm = if sql.postgres {
        format!("CAST({arm} AS BIGINT)")
    } else {
        arm.to_string()
    };
    sql.push(&format!(
        "SELECT {arm} AS arm, k.id AS id, {}",
        sort_columns(sort, value)
    ));
}

/// `column IN (ids)`; one id is `column = $n` (PostgreSQL then takes the column as fixed, and
/// reads an index on it and the sort in order); several on PostgreSQL are
/// `column = ANY(CAST($n AS BIGINT[]))`, one parameter for the whole list: the same plan, but a
/// statement of fourteen arms of fifty workspaces each planned in 3.1 ms rather than 4.8 ms (700
/// parameters fewer to parse and fold).
pub(super) fn in_list(sql: &mut Sql, column: &str, ids: impl IntoIterator<Item = i64>) {
    let ids: Vec<i64> = ids.into_iter().collect();
    if let [id] = ids[..] {
        sql.push(column).push(" = ").bind(Bind::Int(id));
        return;
    }
    if sql.postgres {
        let list: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        sql.push(column)
            .push(" = ANY(CAST(")
            .bind(Bind::Text(format!("{{{}}}", list.join(","))))
            .push(" AS BIGINT[]))");
        return;
    }
    sql.push(column).push(" IN (");
    for (i, id) in ids.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Bind::Int(id));
    }
    sql.push(")");
}

/// `FROM` of an arm: the keys, and on SQLite for a text arm the FTS5 table first (its matches
/// drive the read). With `sort`, SQLite is told the scope's index (`INDEXED BY`): its planner
/// would otherwise sometimes walk the sort's index of a whole workspace to find a few keys of one
/// owner. PostgreSQL plans by its statistics.
pub(super) fn from_clause(sql: &mut Sql, source: &Source, f: &Filters, sort: Option<SortKey>) {
    if !sql.postgres && matches!(source.scope, Scope::Text { .. }) {
        sql.push(
            " FROM api_keys_search CROSS JOIN api_keys AS k ON k.id = api_keys_search.rowid WHERE ",
        );
        return;
    }
    if let (true, Scope::Ids(ids)) = (sql.postgres, &source.scope) {
        // The keys by their ids first, then ordered: left to itself PostgreSQL may walk the sort's
        // index of the whole workspace checking each key against thousands of ids (1.8 s for
        // 5,000 ids in 186,000 keys, under load). `OFFSET 0` keeps the subquery as it is.
        sql.push(" FROM (SELECT * FROM api_keys WHERE id = ANY(")
            .bind(Bind::Text(lateral::array_literal(
                ids.iter().map(i64::to_string),
                false,
            )))
            .push("::bigint[]) OFFSET 0) AS k WHERE ");
        return;
    }
    let revoked = f.status == Some(StatusFilter::Is(KeyStatus::Revoked));
    match sort.map(|s| index_for(&source.scope, s, revoked)) {
        Some(index) if !sql.postgres && !index.is_empty() => {
            sql.push(&format!(" FROM api_keys AS k INDEXED BY {index} WHERE "))
        }
        _ => sql.push(" FROM api_keys AS k WHERE "),
    };
}

/// What PostgreSQL's state index holds: every sort's value, and the states.
const STATE_COLUMNS: &str = "k.id, k.workspace_id, k.revoked_at, k.expires_at, k.access_level, \
     k.created_at, k.last_used_at, k.requests_7d, k.name_lower";

/// The order a page is read in: forward (the sort as asked) or backward (for the page before).
#[derive(Debug, Clone, Copy)]
pub(super) struct Reading {
    pub(super) sort: SortKey,
    /// The direction of values and ids in this reading.
    pub(super) descending: bool,
    /// Keys without a value come first (reading backward) or last (forward).
    pub(super) nulls_first: bool,
}

/// One arm in one phase: keys with a value (`nulls == false`) or without one, after `from`.
/// What one read of an arm asks for: which arm (reported with each row), which phase (keys
/// without a value in the sort, or with one), after which position, and how many.
pub(super) struct ArmRead<'a> {
    pub(super) index: usize,
    pub(super) nulls: bool,
    pub(super) from: Option<&'a Position>,
    pub(super) limit: usize,
}

pub(super) fn arm(sql: &mut Sql, source: &Source, f: &Filters, r: Reading, read: ArmRead<'_>) {
    let ArmRead {
        index,
        nulls,
        from,
        limit,
    } = read;
    let value = match (&source.scope, r.sort) {
        // The state index carries the generated lower-cased name (an index's `INCLUDE` holds
        // columns, not `lower(name)`): the same value, read without the table.
        (Scope::State, SortKey::Name) if sql.postgres => "(k.name_lower COLLATE \"C\")",
        _ => value_sql(r.sort, sql.postgres),
    };
    let (op, dir) = if r.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    sql.push("SELECT * FROM (");
    select_list(sql, index, r.sort, value);
    // PostgreSQL reads a state's keys from the state index first, then sorts them: left to
    // itself, its planner walked the sort's index checking each key's state, through every
    // key used this week before the first revoked one (630 ms for "Revoked" by most used, the
    // owner of 186,000 keys). The subquery (kept as it is by `OFFSET 0`) selects only what
    // the state index holds (and the owner, for an owner filter).
    let state_first = sql.postgres && matches!(source.scope, Scope::State);
    if state_first {
        sql.push(&format!(
            " FROM (SELECT {STATE_COLUMNS}{} FROM api_keys AS k WHERE ",
            if f.owner.is_some() {
                ", k.owner_id"
            } else {
                ""
            }
        ));
    } else {
        from_clause(sql, source, f, Some(r.sort));
    }
    arm_conditions(sql, source, f, r.sort, nulls);
    if state_first {
        sql.push(" OFFSET 0) AS k WHERE TRUE");
    }
    implied_range(sql, f, r.sort, nulls);
    // Not said when the filters imply it (SQLite's planner then reads "Expiring soon" by
    // skip-scan over every workspace).
    if f.may_lack(r.sort) {
        sql.push(&format!(
            " AND {value} IS {}NULL",
            if nulls { "" } else { "NOT " }
        ));
    }
    match from {
        Some(Position { value: Some(v), id }) if !nulls => {
            sql.push(&format!(" AND ({value}, k.id) {op} ("));
            sql.bind(match v {
                SortValue::Text(t) => Bind::Text(t.clone()),
                SortValue::Time(t) => Bind::Time(*t),
                SortValue::Count(n) => Bind::Int(*n),
            });
            sql.push(", ").bind(Bind::Int(*id)).push(")");
        }
        Some(Position { value: None, id }) if nulls => {
            sql.push(&format!(" AND k.id {op} ")).bind(Bind::Int(*id));
        }
        _ => {}
    }
    // Keys without a value are ordered by the value too (all NULL): the order of the index, so
    // that PostgreSQL reads it in order instead of sorting every such key of the scope. Keys
    // without an owner likewise by their owner first: PostgreSQL does not take `owner_id IS NULL`
    // as fixing the owner index's first column, and sorted all 5,029 such keys at 1M (15 ms).
    // One workspace's keys on PostgreSQL are ordered by the workspace first (all the same, said
    // as a range: see `scope_condition`): only the workspace's own index gives that order, so
    // its planner no longer walks the index over every key, checking the workspace on each.
    let owner = match &source.scope {
        Scope::NoOwner(_) => format!("k.owner_id {dir}, "),
        Scope::Workspace(_) if sql.postgres => format!("k.workspace_id {dir}, "),
        _ => String::new(),
    };
    sql.push(&format!(" ORDER BY {owner}{value} {dir}, k.id {dir}"));
    sql.push(&format!(" LIMIT {limit}) AS a"));
}

/// Whether arms can share one PostgreSQL statement over arrays (see `lateral`): workspace arms,
/// workspace-and-owner arms, and owner arms (a person's keys in a list of workspaces).
pub(super) fn groupable(scope: &Scope) -> bool {
    matches!(
        scope,
        Scope::Workspace(_) | Scope::Pair(_, Some(_)) | Scope::Owner(..)
    )
}

#[cfg(test)]
mod tests;
