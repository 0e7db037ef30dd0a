//! The SQL of arms that PostgreSQL's planner once read the slow way.
use super::*;
use crate::db::ids::WorkspaceId;

/// The SQL of one arm read in the default order (newest first) on PostgreSQL.
fn postgres_arm(scope: Scope) -> String {
    arm_sql(true, scope, None, SortKey::Created, true)
}

/// The SQL of one arm's keys with a value in the sort, on either backend, with a status filter.
fn arm_sql(
    postgres: bool,
    scope: Scope,
    status: Option<StatusFilter>,
    sort: SortKey,
    descending: bool,
) -> String {
    let f = Filters {
        visible: vec![WorkspaceId(1)],
        status,
        access: None,
        owner: None,
        now: time::macros::datetime!(2026-12-01 12:00),
    };
    let r = Reading {
        sort,
        descending,
        nulls_first: false,
    };
    let read = ArmRead {
        index: 0,
        nulls: false,
        from: None,
        limit: 26,
    };
    let mut sql = Sql::new(postgres);
    arm(&mut sql, &Source::new(scope), &f, r, read);
    sql.text
}

/// Found by probing filters with sorts at 1M keys: "Expiring soon" by expiry said its range
/// twice and `expires_at IS NOT NULL` besides, and SQLite's planner then read it by skip-scan
/// over every workspace (10 ms instead of 3 for the owner of 186,000 keys); its keys that never
/// expire were read too (none can match), by `expires_at IS NULL`. Now the range is said once,
/// and neither the empty phase nor its condition is read.
#[test]
fn expiring_soon_says_its_range_once_and_reads_no_never_phase() {
    let status = Some(StatusFilter::ExpiringSoon);
    let sql = arm_sql(false, Scope::State, status, SortKey::Expires, false);
    assert_eq!(sql.matches("k.expires_at > ?").count(), 1, "{sql}");
    assert_eq!(sql.matches("k.expires_at <= ?").count(), 1, "{sql}");
    assert!(!sql.contains("IS NOT NULL"), "{sql}");
    let f = |status| Filters {
        visible: vec![WorkspaceId(1)],
        status,
        access: None,
        owner: None,
        now: time::macros::datetime!(2026-12-01 12:00),
    };
    let expired = Some(StatusFilter::Is(KeyStatus::Expired));
    assert!(!f(status).may_lack(SortKey::Expires) && !f(expired).may_lack(SortKey::Expires));
    assert!(f(status).may_lack(SortKey::LastUsed) && f(None).may_lack(SortKey::Expires));
    assert!(!f(None).may_lack(SortKey::Name));
}

/// Found the same way: "Unused" by last use, newest first, walked every key used this month
/// before the first unused one (2 s and a 503 for the admin of 50 workspaces on PostgreSQL);
/// "Active" by expiry, soonest first, walked every expired key. The range the status implies
/// for the sort's value is said as a range of the index.
#[test]
fn a_status_filter_on_the_sorted_value_is_read_as_its_range() {
    let unused = Some(StatusFilter::Unused);
    let sql = arm_sql(
        true,
        Scope::Workspace(WorkspaceId(1)),
        unused,
        SortKey::LastUsed,
        true,
    );
    assert!(
        sql.contains(" AND k.created_at <= $5 AND k.last_used_at <= $6"),
        "{sql}"
    );
    let active = Some(StatusFilter::Is(KeyStatus::Active));
    let sql = arm_sql(
        false,
        Scope::Workspace(WorkspaceId(1)),
        active,
        SortKey::Expires,
        false,
    );
    assert!(sql.contains(") AND k.expires_at > ?"), "{sql}");
    let sql = arm_sql(
        false,
        Scope::Workspace(WorkspaceId(1)),
        active,
        SortKey::Name,
        false,
    );
    assert_eq!(sql.matches("k.expires_at > ?").count(), 1, "{sql}");
    // An unused key has no requests this week: "Unused" by most used is that range of the
    // most-used index (one workspace said as an equality, the range bounding the scan).
    for postgres in [false, true] {
        let sql = arm_sql(
            postgres,
            Scope::Workspace(WorkspaceId(1)),
            unused,
            SortKey::MostUsed,
            true,
        );
        assert!(sql.contains("k.workspace_id = "), "{sql}");
        assert!(sql.contains(" AND k.requests_7d <= "), "{sql}");
    }
}

/// Found the same way: one workspace's keys, "Read Only" by most used, were read by
/// PostgreSQL from the index over every key (68,888 keys of other workspaces, 119 ms). Ordered
/// by the workspace first, and the workspace said as a range (an equality lets the planner drop
/// it from the order), only the workspace's index gives the order.
#[test]
fn one_workspace_on_postgres_is_ordered_by_the_workspace_first() {
    let sql = arm_sql(
        true,
        Scope::Workspace(WorkspaceId(1)),
        None,
        SortKey::MostUsed,
        true,
    );
    assert!(
        sql.contains("k.workspace_id >= $1 AND k.workspace_id <= $2"),
        "{sql}"
    );
    // Not in the order by expiry: "Revoked" then walked the expiry index checking each key's row.
    let revoked = Some(StatusFilter::Is(KeyStatus::Revoked));
    let by_expiry = arm_sql(
        true,
        Scope::Workspace(WorkspaceId(1)),
        revoked,
        SortKey::Expires,
        false,
    );
    assert!(
        by_expiry.contains("k.workspace_id = $1 AND "),
        "{by_expiry}"
    );
    assert!(
        sql.contains(" ORDER BY k.workspace_id DESC, k.requests_7d DESC, k.id DESC LIMIT 26"),
        "{sql}"
    );
    let sqlite = arm_sql(
        false,
        Scope::Workspace(WorkspaceId(1)),
        None,
        SortKey::MostUsed,
        true,
    );
    assert!(
        sqlite.contains(" ORDER BY k.requests_7d DESC, k.id DESC"),
        "{sqlite}"
    );
}

/// Found by bench/scale.sh (503s under 8 concurrent owners): with `k.id = ANY(…)` as a
/// condition, PostgreSQL walked the sort's index of a 186k-key workspace checking each key
/// against 5,000 ids (1.8 s). The ids are read first, in a subquery it keeps.
#[test]
fn postgres_reads_keys_by_id_before_ordering_them() {
    let sql = postgres_arm(Scope::Ids(vec![3, 1, 2]));
    assert!(
        sql.contains(
            " FROM (SELECT * FROM api_keys WHERE id = ANY($1::bigint[]) OFFSET 0) AS k WHERE TRUE"
        ),
        "{sql}"
    );
    assert!(
        sql.contains(" ORDER BY k.created_at DESC, k.id DESC LIMIT 26"),
        "{sql}"
    );
}

/// `owner_id IS NULL` does not tell PostgreSQL's planner that the owner index's first column
/// is fixed: without the owner first in the order it sorted every key without an owner.
#[test]
fn keys_without_an_owner_are_ordered_by_the_owner_index() {
    let sql = postgres_arm(Scope::NoOwner(vec![WorkspaceId(1)]));
    assert!(sql.contains("k.owner_id IS NULL AND "), "{sql}");
    assert!(
        sql.contains(" ORDER BY k.owner_id DESC, k.created_at DESC, k.id DESC LIMIT 26"),
        "{sql}"
    );
}

/// One workspace is `= $n`, which tells PostgreSQL the index's first column is fixed (so a
/// name-prefix arm reads the name index in order and stops); several are one array parameter.
#[test]
fn one_workspace_is_an_equality_and_several_one_array() {
    let one = postgres_arm(Scope::NamePrefix("hu".into()));
    assert!(one.contains("k.workspace_id = $1 AND "), "{one}");
    let several = postgres_arm(Scope::NoOwner(vec![WorkspaceId(1), WorkspaceId(2)]));
    assert!(
        several.contains("k.workspace_id = ANY(CAST($1 AS BIGINT[]))"),
        "{several}"
    );
    let mut sql = Sql::new(false);
    in_list(&mut sql, "k.workspace_id", [4, 5]);
    assert_eq!(sql.text, "k.workspace_id IN (?, ?)");
}

/// "Revoked" in the orders by use reads the revoked keys' own indexes (SQLite is told them; the
/// arm says the partial index's condition, as SQLite requires to use it): those orders hold the
/// revoked keys last, behind every key still in use.
#[test]
fn revoked_keys_by_use_read_their_own_index() {
    let revoked = Some(StatusFilter::Is(KeyStatus::Revoked));
    for (scope, sort, index) in [
        (
            Scope::Workspace(WorkspaceId(1)),
            SortKey::LastUsed,
            "api_keys_ws_revoked_last_used",
        ),
        (
            Scope::Workspace(WorkspaceId(1)),
            SortKey::MostUsed,
            "api_keys_ws_revoked_requests_7d",
        ),
        (
            Scope::All,
            SortKey::LastUsed,
            "api_keys_all_revoked_last_used",
        ),
        (
            Scope::All,
            SortKey::MostUsed,
            "api_keys_all_revoked_requests_7d",
        ),
    ] {
        let sql = arm_sql(false, scope, revoked, sort, true);
        assert!(sql.contains(&format!("INDEXED BY {index} ")), "{sql}");
        assert!(sql.contains("k.revoked_at IS NOT NULL"), "{sql}");
    }
    // Without the filter, the orders' own indexes.
    let sql = arm_sql(false, Scope::All, None, SortKey::LastUsed, true);
    assert!(sql.contains("INDEXED BY api_keys_all_last_used "), "{sql}");
}
