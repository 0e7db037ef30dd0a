//! The SQL of arms that PostgreSQL's planner once read the slow way.
use super::*;
use crate::db::ids::WorkspaceId;

/// The SQL of one arm read in the default order (newest first) on PostgreSQL.
fn postgres_arm(scope: Scope) -> String {
    let f = Filters {
        visible: vec![WorkspaceId(1)],
        status: None,
        access: None,
        owner: None,
        now: time::macros::datetime!(2026-12-01 12:00),
    };
    let r = Reading {
        sort: SortKey::Created,
        descending: true,
        nulls_first: false,
    };
    let read = ArmRead {
        index: 0,
        nulls: false,
        from: None,
        limit: 26,
    };
    let mut sql = Sql::new(true);
    arm(&mut sql, &Source::new(scope), &f, r, read);
    sql.text
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
