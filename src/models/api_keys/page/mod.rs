//! One page of the API Keys list at any size: every query is an index range scan that stops after
//! a page. The page is the merge of "arms", each a `LIMIT`ed scan of one index: a workspace the
//! viewer sees (by the sort's `(workspace_id, value, id)` index), an owner (by
//! `(owner_id, value, id)`), or the keys a trigram index found for the search text. Keys with no
//! value in the sort (never used, never expires) come after the rest, in their own phase. All arms
//! of a page go to the database in one statement (`UNION ALL`), and the merge keeps the first
//! page-full in the sort order.

mod count;
mod merge;
mod sql;

pub use count::{
    count, count_now, estimate_text, matching_ids, owners_in, tallied, Tallied, TextEstimate,
};
pub use merge::page;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use time::PrimitiveDateTime;

use crate::db::ids::{UserId, WorkspaceId};
use crate::db::AnyConnection;
use crate::domain::key::{AccessLevel, KeyStatus, StatusFilter};
use crate::domain::search::{Page, Position, SortKey, SortValue};

use sql::{
    arm, conditions, from_clause, groupable, in_list, lateral, prefix_range, substring, word_first,
    ArmRead, Bind, Reading, Sql,
};

/// Arms per statement: SQLite allows at most 500 terms in a compound SELECT.
const ARMS_PER_STATEMENT: usize = 200;

/// Which keys an arm reads, and by which index.
#[derive(Debug, Clone)]
pub enum Scope {
    /// A workspace's keys, by the sort's `(workspace_id, value, id)` index.
    Workspace(WorkspaceId),
    /// The keys of every visible workspace, by the sort's `(value, id)` index over all keys (the
    /// workspace checked on each key read): one arm instead of one per workspace, for someone
    /// who sees every workspace (`sees_every_workspace`).
    All,
    /// One person's keys in these workspaces, by the sort's `(owner_id, value, id)` index.
    Owner(UserId, Vec<WorkspaceId>),
    /// A workspace's keys owned by one person (or by nobody: `None`), by `(workspace_id,
    /// owner_id)`; such a set is small and is sorted as read.
    Pair(WorkspaceId, Option<UserId>),
    /// Keys without an owner in these workspaces, by the sort's `(owner_id, value, id)` index.
    NoOwner(Vec<WorkspaceId>),
    /// Several workspaces' keys at once: for counting only (they have no common order).
    Workspaces(Vec<WorkspaceId>),
    /// These keys (the few a search found by its index), in the visible workspaces; sorted as
    /// read.
    Ids(Vec<i64>),
    /// The keys whose name or purpose holds the text, by the trigram index (SQLite FTS5,
    /// PostgreSQL pg_trgm), in the visible workspaces; sorted as read.
    Text { pattern: String, phrase: String },
    /// The keys whose lower-cased name starts with the prefix, by the name index, in the visible
    /// workspaces; sorted as read.
    NamePrefix(String),
    /// The keys of the status filter's state ("Expiring soon", "Expired", "Revoked") in the
    /// visible workspaces, by the state index (which holds every sort's value); sorted as read.
    State,
}

/// A search condition checked on the rows an arm reads (when the search matches too many keys
/// for its index to be the faster way).
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Whether `visible` (the workspaces whose keys a viewer sees on a page) is every workspace, and
/// more than one: their keys are then read by `Scope::All`, one arm in the sort's order over all
/// keys, rather than one arm per workspace merged.
pub fn sees_every_workspace(c: &mut AnyConnection, visible: &[WorkspaceId]) -> QueryResult<bool> {
    Ok(visible.len() > 1 && crate::models::workspaces::count(c)? == visible.len())
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
    pub status: Option<StatusFilter>,
    pub access: Option<AccessLevel>,
    pub owner: Option<OwnerFilter>,
    pub now: PrimitiveDateTime,
}

impl Filters {
    /// No status, access or owner filter: every key of the visible workspaces is listed.
    pub fn unfiltered(&self) -> bool {
        self.status.is_none() && self.access.is_none() && self.owner.is_none()
    }

    /// Whether some keys listed may have no value in this sort: not when the status filter
    /// compares the value itself ("Expired" and "Expiring soon" only hold keys that expire).
    pub fn may_lack(&self, sort: SortKey) -> bool {
        let expiring = matches!(
            self.status,
            Some(StatusFilter::ExpiringSoon | StatusFilter::Is(KeyStatus::Expired))
        );
        sort.nullable() && !(sort == SortKey::Expires && expiring)
    }
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

/// How many keys a list holds, as far as it was cheap to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exact(usize),
    /// At least this many: the count reached its cap, or its time ran out.
    AtLeast(usize),
}
