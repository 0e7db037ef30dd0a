use diesel::prelude::*;
use mailrith::db::schema::*;

use crate::backend_tests;
use crate::helpers::TestApp;

/// Every table and column of the portable schema exists on the backend (the two migration folders
/// have not drifted apart), and migrations are idempotent.
async fn migrations_create_the_whole_schema(app: TestApp) {
    app.db(|c| {
        users::table
            .select(users::all_columns)
            .limit(0)
            .execute(c)
            .unwrap();
        workspaces::table
            .select(workspaces::all_columns)
            .limit(0)
            .execute(c)
            .unwrap();
        memberships::table
            .select(memberships::all_columns)
            .limit(0)
            .execute(c)
            .unwrap();
        api_keys::table
            .select(api_keys::all_columns)
            .limit(0)
            .execute(c)
            .unwrap();
        audit_events::table
            .select(audit_events::all_columns)
            .limit(0)
            .execute(c)
            .unwrap();
        sessions::table
            .select(sessions::all_columns)
            .limit(0)
            .execute(c)
            .unwrap();
        contacts::table
            .select(contacts::all_columns)
            .limit(0)
            .execute(c)
            .unwrap();
        login_failures::table
            .select(login_failures::all_columns)
            .limit(0)
            .execute(c)
            .unwrap();
        instance_secrets::table
            .select(instance_secrets::all_columns)
            .limit(0)
            .execute(c)
            .unwrap();
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
