//! One page of the API Keys list at any size: every query is an index range scan that stops after
//! a page. The page is the merge of "arms", each a `LIMIT`ed scan of one index: a workspace the
//! viewer sees (by the sort's `(workspace_id, value, id)` index), an owner (by
//! `(owner_id, value, id)`), or the keys a trigram index found for the search text. Keys with no
//! value in the sort (never used, never expires) come after the rest, in their own phase. All arms
//! of a page go to the database in one statement (`UNION ALL`), and the merge keeps the first
//! page-full in the sort order.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use time::PrimitiveDateTime;

use crate::db::ids::{UserId, WorkspaceId};
use crate::db::AnyConnection;
use crate::domain::key::{AccessLevel, KeyStatus};
use crate::domain::search::{Page, Position, SortKey, SortValue, PAGE_SIZE};

/// Arms per statement: SQLite allows at most 500 terms in a compound SELECT.
const ARMS_PER_STATEMENT: usize = 200;

/// Which keys an arm reads, and by which index.
#[derive(Debug, Clone)]
pub enum Scope {
    /// A workspace's keys, by the sort's `(workspace_id, value, id)` index.
    Workspace(WorkspaceId),
    /// One person's keys in these workspaces, by the sort's `(owner_id, value, id)` index.
    Owner(UserId, Vec<WorkspaceId>),
    /// A workspace's keys owned by one person (or by nobody: `None`), by `(workspace_id,
    /// owner_id)`; such a set is small and is sorted as read.
    Pair(WorkspaceId, Option<UserId>),
    /// The keys whose name or purpose holds the text, by the trigram index (SQLite FTS5,
    /// PostgreSQL pg_trgm), in the visible workspaces; sorted as read.
    Text { pattern: String, phrase: String },
    /// The keys whose lower-cased name starts with the prefix, by the name index, in the visible
    /// workspaces; sorted as read.
    NamePrefix(String),
}

/// A search condition checked on the rows an arm reads (when the search matches too many keys
/// for its index to be the faster way).
#[derive(Debug, Clone)]
pub enum TextCondition {
    /// The lower-cased name or purpose is LIKE this pattern.
    Substring(String),
    /// The lower-cased name starts with this.
    Prefix(String),
}

/// One arm: a scope, and maybe a search condition on what it reads.
#[derive(Debug, Clone)]
pub struct Source {
    pub scope: Scope,
    pub text: Option<TextCondition>,
}

impl Source {
    pub fn new(scope: Scope) -> Self {
        Self { scope, text: None }
    }
}

/// Whose keys the owner filter keeps.
#[derive(Debug, Clone)]
pub enum OwnerFilter {
    Person(UserId),
    /// No owner, or an owner who is not an active member of the key's workspace: the active
    /// members of each visible workspace.
    Removed(Vec<(WorkspaceId, Vec<UserId>)>),
}

/// What every arm of a page applies.
#[derive(Debug, Clone)]
pub struct Filters {
    /// The workspaces the viewer sees (after the workspace filter).
    pub visible: Vec<WorkspaceId>,
    pub status: Option<KeyStatus>,
    pub access: Option<AccessLevel>,
    pub owner: Option<OwnerFilter>,
    pub now: PrimitiveDateTime,
}

/// A value bound into the statement.
#[derive(Debug, Clone)]
enum Bind {
    Int(i64),
    Text(String),
    Time(PrimitiveDateTime),
}

/// SQL text with its binds, for either backend (`?` or `$n` placeholders).
struct Sql {
    text: String,
    binds: Vec<Bind>,
    postgres: bool,
}

impl Sql {
    fn new(postgres: bool) -> Self {
        Self {
            text: String::new(),
            binds: Vec::new(),
            postgres,
        }
    }

    fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    fn bind(&mut self, b: Bind) -> &mut Self {
        self.binds.push(b);
        if self.postgres {
            self.text.push_str(&format!("${}", self.binds.len()));
        } else {
            self.text.push('?');
        }
        self
    }

    fn load<T>(self, c: &mut AnyConnection) -> QueryResult<Vec<T>>
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

/// A key as an arm returns it: its id and its place in the sort.
#[derive(QueryableByName, Debug)]
struct Candidate {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    sort_text: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    sort_time: Option<PrimitiveDateTime>,
}

impl Candidate {
    fn position(self) -> Position {
        let value = match (self.sort_text, self.sort_time) {
            (Some(t), _) => Some(SortValue::Text(t)),
            (None, Some(t)) => Some(SortValue::Time(t)),
            (None, None) => None,
        };
        Position { value, id: self.id }
    }
}

/// The sort's column, as SQL (a byte-order comparison of the lower-cased name).
fn value_sql(sort: SortKey, postgres: bool) -> &'static str {
    match (sort, postgres) {
        (SortKey::Name, true) => "(lower(k.name) COLLATE \"C\")",
        (SortKey::Name, false) => "lower(k.name)",
        (SortKey::Created, _) => "k.created_at",
        (SortKey::LastUsed, _) => "k.last_used_at",
        (SortKey::Expires, _) => "k.expires_at",
    }
}

fn select_list(sql: &mut Sql, sort: SortKey) {
    let value = value_sql(sort, sql.postgres);
    match sort {
        SortKey::Name => sql.push(&format!(
            "SELECT k.id AS id, {value} AS sort_text, CAST(NULL AS TIMESTAMP) AS sort_time"
        )),
        _ => sql.push(&format!(
            "SELECT k.id AS id, CAST(NULL AS TEXT) AS sort_text, {value} AS sort_time"
        )),
    };
}

fn in_list(sql: &mut Sql, column: &str, ids: impl IntoIterator<Item = i64>) {
    sql.push(column).push(" IN (");
    for (i, id) in ids.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Bind::Int(id));
    }
    sql.push(")");
}

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

fn prefix_range(sql: &mut Sql, prefix: &str) {
    let name = lower_name(sql.postgres);
    sql.push(&format!(" AND {name} >= "))
        .bind(Bind::Text(prefix.to_owned()))
        .push(&format!(" AND {name} < "))
        .bind(Bind::Text(prefix_end(prefix)));
}

fn substring(sql: &mut Sql, pattern: &str) {
    let fold = if sql.postgres { "lower" } else { "mlr_fold" };
    sql.push(&format!(" AND ({fold}(k.name) LIKE "))
        .bind(Bind::Text(pattern.to_owned()))
        .push(&format!(" ESCAPE '\\' OR {fold}(k.purpose) LIKE "))
        .bind(Bind::Text(pattern.to_owned()))
        .push(" ESCAPE '\\')");
}

/// The WHERE conditions of an arm: its scope, its search condition, the filters. (Columns are
/// qualified: a SQLite text arm joins the FTS table.)
fn conditions(sql: &mut Sql, source: &Source, f: &Filters) {
    let mut owner_condition = false;
    match &source.scope {
        Scope::Workspace(ws) => {
            sql.push("k.workspace_id = ").bind(Bind::Int(ws.0));
        }
        Scope::Owner(owner, workspaces) => {
            sql.push("k.owner_id = ")
                .bind(Bind::Int(owner.0))
                .push(" AND ");
            in_list(sql, "k.workspace_id", workspaces.iter().map(|w| w.0));
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
            owner_condition = true;
        }
        Scope::NamePrefix(prefix) => {
            in_list(sql, "k.workspace_id", f.visible.iter().map(|w| w.0));
            prefix_range(sql, prefix);
            owner_condition = true;
        }
    }
    match &source.text {
        Some(TextCondition::Substring(pattern)) => substring(sql, pattern),
        Some(TextCondition::Prefix(prefix)) => prefix_range(sql, prefix),
        None => {}
    }
    match f.status {
        Some(KeyStatus::Active) => {
            sql.push(" AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ")
                .bind(Bind::Time(f.now))
                .push(")");
        }
        Some(KeyStatus::Expired) => {
            sql.push(" AND k.revoked_at IS NULL AND k.expires_at <= ")
                .bind(Bind::Time(f.now));
        }
        Some(KeyStatus::Revoked) => {
            sql.push(" AND k.revoked_at IS NOT NULL");
        }
        None => {}
    }
    if let Some(a) = f.access {
        sql.push(" AND k.access_level = ")
            .bind(Bind::Text(a.as_str().to_owned()));
    }
    // Other scopes are built for the owner filter already.
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

/// `FROM` of an arm: the keys, and on SQLite for a text arm the FTS5 table first (its matches
/// drive the read).
fn from_clause(sql: &mut Sql, source: &Source) {
    if !sql.postgres && matches!(source.scope, Scope::Text { .. }) {
        sql.push(
            " FROM api_keys_search CROSS JOIN api_keys AS k ON k.id = api_keys_search.rowid WHERE ",
        );
    } else {
        sql.push(" FROM api_keys AS k WHERE ");
    }
}

/// The order a page is read in: forward (the sort as asked) or backward (for the page before).
#[derive(Debug, Clone, Copy)]
struct Reading {
    sort: SortKey,
    /// The direction of values and ids in this reading.
    descending: bool,
    /// Keys without a value come first (reading backward) or last (forward).
    nulls_first: bool,
}

/// One arm in one phase: keys with a value (`nulls == false`) or without one, after `from`.
fn arm(
    sql: &mut Sql,
    source: &Source,
    f: &Filters,
    r: Reading,
    nulls: bool,
    from: Option<&Position>,
    limit: usize,
) {
    let value = value_sql(r.sort, sql.postgres);
    let (op, dir) = if r.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    sql.push("SELECT * FROM (");
    select_list(sql, r.sort);
    from_clause(sql, source);
    conditions(sql, source, f);
    if r.sort.nullable() {
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
            });
            sql.push(", ").bind(Bind::Int(*id)).push(")");
        }
        Some(Position { value: None, id }) if nulls => {
            sql.push(&format!(" AND k.id {op} ")).bind(Bind::Int(*id));
        }
        _ => {}
    }
    if nulls {
        sql.push(&format!(" ORDER BY k.id {dir}"));
    } else {
        sql.push(&format!(" ORDER BY {value} {dir}, k.id {dir}"));
    }
    sql.push(&format!(" LIMIT {limit}) AS arm"));
}

/// The phases to read after `from`, in reading order: `false` = keys with a value.
fn phases(r: Reading, from: Option<&Position>) -> Vec<(bool, Option<Position>)> {
    let order: &[bool] = match (r.sort.nullable(), r.nulls_first) {
        (false, _) => &[false],
        (true, false) => &[false, true],
        (true, true) => &[true, false],
    };
    let Some(from) = from else {
        return order.iter().map(|n| (*n, None)).collect();
    };
    let from_nulls = from.value.is_none();
    let mut out = Vec::new();
    let mut reached = false;
    for &nulls in order {
        if nulls == from_nulls {
            reached = true;
            out.push((nulls, Some(from.clone())));
        } else if reached {
            out.push((nulls, None));
        }
    }
    out
}

/// A page of key ids in the sort order, and whether there are keys before and after it.
#[derive(Debug, Default)]
pub struct IdPage {
    pub ids: Vec<i64>,
    pub first: Option<Position>,
    pub last: Option<Position>,
    pub has_before: bool,
    pub has_after: bool,
}

/// Reads one page from the given sources.
pub fn page(
    c: &mut AnyConnection,
    sources: &[Source],
    f: &Filters,
    sort: SortKey,
    descending: bool,
    at: &Page,
) -> QueryResult<IdPage> {
    let postgres = matches!(c, AnyConnection::Postgresql(_));
    let (reading, from, backward) = match at {
        Page::First => (forward(sort, descending), None, false),
        Page::After(p) => (forward(sort, descending), Some(p), false),
        Page::Before(p) => (
            Reading {
                sort,
                descending: !descending,
                nulls_first: true,
            },
            Some(p),
            true,
        ),
    };
    let limit = PAGE_SIZE + 1;
    let mut found: Vec<Position> = Vec::new();
    let terms: Vec<(&Source, (bool, Option<Position>))> = sources
        .iter()
        .flat_map(|s| phases(reading, from).into_iter().map(move |p| (s, p)))
        .collect();
    for chunk in terms.chunks(ARMS_PER_STATEMENT) {
        let mut sql = Sql::new(postgres);
        for (i, (source, (nulls, start))) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            arm(&mut sql, source, f, reading, *nulls, start.as_ref(), limit);
        }
        found.extend(
            sql.load::<Candidate>(c)?
                .into_iter()
                .map(Candidate::position),
        );
    }
    // The reading order (a backward reading is the forward order reversed).
    let reading_desc = reading.descending;
    found.sort_by(|a, b| {
        let forward_order = a.cmp_in(
            b,
            if backward {
                !reading_desc
            } else {
                reading_desc
            },
        );
        if backward {
            forward_order.reverse()
        } else {
            forward_order
        }
    });
    found.dedup_by(|a, b| a.id == b.id);
    let more = found.len() > PAGE_SIZE;
    found.truncate(PAGE_SIZE);
    if backward {
        found.reverse();
    }
    Ok(IdPage {
        ids: found.iter().map(|p| p.id).collect(),
        first: found.first().cloned(),
        last: found.last().cloned(),
        has_before: if backward { more } else { from.is_some() },
        has_after: if backward { true } else { more },
    })
}

fn forward(sort: SortKey, descending: bool) -> Reading {
    Reading {
        sort,
        descending,
        nulls_first: false,
    }
}

/// How many keys the sources hold, counted up to `cap` (more: `None`).
pub fn count(
    c: &mut AnyConnection,
    sources: &[Source],
    f: &Filters,
    cap: usize,
) -> QueryResult<Option<usize>> {
    let postgres = matches!(c, AnyConnection::Postgresql(_));
    // Sources may overlap (a key found by its name and by its owner): count distinct ids.
    let overlapping = sources.len() > 1
        && sources
            .iter()
            .any(|s| !matches!(s.scope, Scope::Workspace(_)));
    let fetch = if overlapping { cap * 3 + 3 } else { cap + 1 };
    let mut ids = std::collections::HashSet::new();
    let mut fetched = 0;
    for chunk in sources.chunks(ARMS_PER_STATEMENT) {
        let mut sql = Sql::new(postgres);
        sql.push("SELECT id FROM (");
        for (i, source) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            sql.push("SELECT k.id AS id");
            from_clause(&mut sql, source);
            conditions(&mut sql, source, f);
        }
        sql.push(&format!(") AS counted LIMIT {}", fetch - fetched));
        let rows = sql.load::<Id>(c)?;
        fetched += rows.len();
        ids.extend(rows.into_iter().map(|r| r.id));
        if ids.len() > cap || fetched >= fetch {
            return Ok(None);
        }
    }
    Ok(Some(ids.len()))
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Whether at most `cap` keys in the visible workspaces match the scope's index (a `Text` or
/// `NamePrefix` scope): then reading them all and sorting is the fast way. (SQLite's FTS5 table
/// holds every workspace's keys: its count is an upper bound.)
pub fn few_matches(
    c: &mut AnyConnection,
    scope: &Scope,
    visible: &[WorkspaceId],
    cap: usize,
) -> QueryResult<bool> {
    let postgres = matches!(c, AnyConnection::Postgresql(_));
    let mut sql = Sql::new(postgres);
    match scope {
        Scope::Text { phrase, .. } if !postgres => {
            sql.push("SELECT rowid AS id FROM api_keys_search WHERE api_keys_search MATCH ")
                .bind(Bind::Text(format!("{{name purpose}} : {phrase}")));
        }
        Scope::Text { pattern, .. } => {
            sql.push("SELECT k.id AS id FROM api_keys AS k WHERE ");
            in_list(&mut sql, "k.workspace_id", visible.iter().map(|w| w.0));
            substring(&mut sql, pattern);
        }
        Scope::NamePrefix(prefix) => {
            sql.push("SELECT k.id AS id FROM api_keys AS k WHERE ");
            in_list(&mut sql, "k.workspace_id", visible.iter().map(|w| w.0));
            prefix_range(&mut sql, prefix);
        }
        _ => return Ok(false),
    }
    sql.push(&format!(" LIMIT {}", cap + 1));
    Ok(sql.load::<Id>(c)?.len() <= cap)
}

/// The people who own keys in a workspace, read by skipping through the `(workspace_id,
/// owner_id)` index (one seek per owner; `None` for keys without an owner).
pub fn owners_in(c: &mut AnyConnection, ws: WorkspaceId) -> QueryResult<Vec<Option<UserId>>> {
    #[derive(QueryableByName)]
    struct Owner {
        #[diesel(sql_type = Nullable<BigInt>)]
        owner: Option<i64>,
    }
    let postgres = matches!(c, AnyConnection::Postgresql(_));
    let mut sql = Sql::new(postgres);
    sql.push(
        "WITH RECURSIVE o(owner) AS (SELECT (SELECT min(owner_id) FROM api_keys WHERE workspace_id = ",
    )
    .bind(Bind::Int(ws.0))
    .push(
        ") UNION ALL SELECT (SELECT min(owner_id) FROM api_keys WHERE workspace_id = ",
    )
    .bind(Bind::Int(ws.0))
    .push(" AND owner_id > o.owner) FROM o WHERE o.owner IS NOT NULL) SELECT owner FROM o WHERE owner IS NOT NULL");
    let mut out: Vec<Option<UserId>> = sql
        .load::<Owner>(c)?
        .into_iter()
        .filter_map(|o| o.owner.map(|id| Some(UserId(id))))
        .collect();
    let mut nobody = Sql::new(postgres);
    nobody
        .push("SELECT k.id AS id FROM api_keys AS k WHERE k.workspace_id = ")
        .bind(Bind::Int(ws.0))
        .push(" AND k.owner_id IS NULL LIMIT 1");
    if !nobody.load::<Id>(c)?.is_empty() {
        out.push(None);
    }
    Ok(out)
}
