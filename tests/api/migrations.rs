use diesel::prelude::*;
use mailrith::db::schema::*;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

/// Every table and column of the portable schema exists on the backend, and the backend has no
/// table the schema lacks (the two migration folders have not drifted apart); migrations are
/// idempotent.
async fn migrations_create_the_whole_schema(app: TestApp) {
    let backend = app.backend;
    app.db(move |c| {
        macro_rules! every_column_of {
            ($($table:ident),* $(,)?) => {{
                $(
                    $table::table
                        .select($table::all_columns)
                        .limit(0)
                        .execute(c)
                        .unwrap_or_else(|e| panic!("{}: {e}", stringify!($table)));
                )*
                vec![$(stringify!($table)),*]
            }};
        }
        let mut expected = every_column_of!(
            users,
            workspaces,
            memberships,
            api_keys,
            audit_events,
            sessions,
            contacts,
            login_failures,
            instance_secrets,
            api_key_changes,
            key_owners,
            retired_key_hashes,
            invitations,
            oauth_clients,
            oauth_grants,
            oauth_codes,
            oauth_tokens,
            mail_outbox,
            key_usage_daily,
            usage_week_rolled,
        );
        #[derive(QueryableByName)]
        struct Table {
            #[diesel(sql_type = diesel::sql_types::Text)]
            name: String,
        }
        let sql = match backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            }
            Backend::Postgres => {
                "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
            }
        };
        let mut found: Vec<String> = diesel::sql_query(sql)
            .load::<Table>(c)
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .filter(|n| n != "__diesel_schema_migrations")
            // SQLite's full-text index of key names and purposes: a virtual table and its
            // shadow tables, kept in step with `api_keys` by triggers, never read by diesel.
            .filter(|n| !n.starts_with("api_keys_search"))
            .collect();
        found.sort();
        expected.sort_unstable();
        assert_eq!(found, expected, "the database's tables are schema.rs's tables");
        assert_eq!(
            mailrith::db::run_migrations(c).unwrap(),
            0,
            "already applied"
        );
    })
    .await;
}

/// Constraints hold the same way on both backends: unique emails, foreign keys enforced.
async fn constraints_are_enforced(app: TestApp) {
    let now = app.clock_now();
    app.db(move |c| {
        let insert_user = |c: &mut mailrith::db::AnyConnection, pid: &str| {
            diesel::insert_into(users::table)
                .values((
                    users::public_id.eq(pid),
                    users::email.eq("same@example.com"),
                    users::name.eq("X"),
                    users::password_hash.eq("x"),
                    users::created_at.eq(now),
                ))
                .execute(c)
        };
        insert_user(c, "usr_a").unwrap();
        assert!(insert_user(c, "usr_b").is_err(), "emails are unique");
        let orphan = diesel::insert_into(memberships::table)
            .values((
                memberships::user_id.eq(999_999i64),
                memberships::workspace_id.eq(999_999i64),
                memberships::role.eq("owner"),
                memberships::created_at.eq(now),
            ))
            .execute(c);
        assert!(orphan.is_err(), "foreign keys are enforced");
    })
    .await;
}

backend_tests!(migrations_create_the_whole_schema, constraints_are_enforced);

#[test]
fn both_backends_have_the_same_migration_names() {
    let names = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let root = env!("CARGO_MANIFEST_DIR");
    assert_eq!(
        names(&format!("{root}/migrations/sqlite")),
        names(&format!("{root}/migrations/postgres"))
    );
}
