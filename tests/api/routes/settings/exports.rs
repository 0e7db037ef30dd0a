//! CSV exports: the API Keys inventory with the current search and filters, and a workspace's
//! Activity with its filters. RFC 4180, a header row, UTC RFC 3339 times, no secret or hash,
//! formulas neutralised, a filename with the workspace and the day, read in batches (a list
//! longer than one batch comes out whole, each key once), and the same permissions as the pages.

use std::collections::HashSet;

use diesel::prelude::*;
use mailrith::db::schema::api_keys;
use mailrith::domain::workspace::{Access, Role, WorkspaceAccess};
use sha2::{Digest, Sha256};

use super::team_members::{person, signed_in};
use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    the_key_inventory_exports_as_csv,
    activity_exports_as_csv_for_owners_and_admins,
);

/// GETs an export: its status, its headers of interest and its rows (parsed as RFC 4180).
async fn export(client: &Client, path: &str) -> (u16, String, String, Vec<Vec<String>>) {
    let r = client.get(path).await;
    let status = r.status().as_u16();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (kind, disposition) = (header("content-type"), header("content-disposition"));
    let body = r.text().await.unwrap();
    if !kind.starts_with("text/csv") {
        return (status, kind, disposition, Vec::new());
    }
    let rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (status, kind, disposition, rows)
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let at = rows[0].iter().position(|h| h == name).unwrap();
    rows[1..].iter().map(|r| r[at].clone()).collect()
}

async fn the_key_inventory_exports_as_csv(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    let today = app.clock_now().date();
    let (_, _, secret) = generate(
        &app.client,
        &ws,
        "=HYPERLINK(\"http://evil.example\",\"x\")",
        &[("purpose", "Syncs \"deals\", nightly\nand on demand")],
    )
    .await;
    let secret = secret.unwrap();
    generate(&app.client, &ws, "CRM sync", &[]).await;
    // More keys than one batch of the export (1,000), straight into the database.
    let now = app.clock_now();
    let ws_id = app
        .db(|c| {
            mailrith::models::workspaces::find_by_name(c, WORKSPACE)
                .unwrap()
                .unwrap()
                .id
        })
        .await;
    app.db(move |c| {
        c.write_transaction::<_, diesel::result::Error, _>(|c| {
            for i in 0..1_200 {
                diesel::insert_into(api_keys::table)
                    .values((
                        api_keys::public_id.eq(format!("key_bulk{i:012}")),
                        api_keys::workspace_id.eq(ws_id),
                        api_keys::name.eq(format!("Bulk {i:04}")),
                        api_keys::purpose.eq(""),
                        api_keys::access_level.eq(mailrith::domain::key::AccessLevel::ReadOnly),
                        api_keys::created_at.eq(now - time::Duration::minutes(i + 1)),
                        api_keys::key_hash.eq(format!("{i:064}")),
                        api_keys::hint.eq("mlr_…bulk"),
                    ))
                    .execute(c)?;
            }
            Ok(())
        })
        .unwrap();
    })
    .await;

    // Everything: the list's link, a CSV attachment named for all workspaces and the day.
    let (_, list) = app.client.page("/settings/api-keys").await;
    assert!(list.contains(r#"href="/settings/api-keys.csv""#), "{list}");
    let (status, kind, disposition, rows) = export(&app.client, "/settings/api-keys.csv").await;
    assert_eq!(status, 200);
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert_eq!(
        disposition,
        format!("attachment; filename=\"mailrith-api-keys-all-workspaces-{today}.csv\"")
    );
    assert_eq!(rows[0][..3], ["id", "name", "purpose"]);
    assert_eq!(rows.len(), 1 + 1_202, "a header and every key");
    let ids: HashSet<String> = column(&rows, "id").into_iter().collect();
    assert_eq!(ids.len(), 1_202, "each key once across the batches");
    // Newest first, as the list: the two generated keys, then the bulk keys by age.
    assert_eq!(column(&rows, "name")[2], "Bulk 0000");
    assert_eq!(column(&rows, "name")[1_201], "Bulk 1199");
    // Formulas neutralised, quoting kept, times in UTC RFC 3339, no secret and no hash.
    let names = column(&rows, "name");
    assert!(names.contains(&"'=HYPERLINK(\"http://evil.example\",\"x\")".to_owned()));
    assert!(
        column(&rows, "purpose").contains(&"Syncs \"deals\", nightly\nand on demand".to_owned())
    );
    let created = &column(&rows, "created_at")[0];
    assert!(
        created.len() == 20 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{created}"
    );
    let raw = app
        .client
        .get("/settings/api-keys.csv")
        .await
        .text()
        .await
        .unwrap();
    let hash = format!("{:x}", Sha256::digest(secret.as_bytes()));
    assert!(
        !raw.contains(&secret) && !raw.contains(&hash),
        "no secret, no hash"
    );
    assert!(raw.starts_with("id,name,purpose,") && raw.contains("\r\n"));

    // The current search and filters: the link carries them; the file is named for the workspace.
    let (_, found) = app
        .client
        .page(&format!("/settings/api-keys?q=hyperlink&workspace={ws}"))
        .await;
    let link = format!("href=\"/settings/api-keys.csv?q=hyperlink&#38;workspace={ws}\"");
    assert!(found.contains(&link), "{found}");
    let (_, _, disposition, rows) = export(
        &app.client,
        &format!("/settings/api-keys.csv?q=hyperlink&workspace={ws}"),
    )
    .await;
    assert_eq!(
        disposition,
        format!("attachment; filename=\"mailrith-api-keys-acme-marketing-{today}.csv\"")
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(column(&rows, "access_level"), ["Read Only"]);

    // Someone who may not see the workspace's keys exports none of them.
    person(
        &app,
        "nia@example.com",
        Some(WorkspaceAccess::new(
            Role::Member,
            Access::None,
            Access::None,
        )),
    )
    .await;
    let nia = signed_in(&app, "nia@example.com").await;
    let (status, _, _, rows) = export(&nia, "/settings/api-keys.csv").await;
    assert_eq!((status, rows.len()), (200, 1), "the header only");
    // Signed out: the sign-in page, not a file.
    assert_redirect_to(
        &app.client.fresh().get("/settings/api-keys.csv").await,
        "/login",
    );
}

async fn activity_exports_as_csv_for_owners_and_admins(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    let today = app.clock_now().date();
    generate(&app.client, &ws, "Importer", &[]).await;
    generate(&app.client, &ws, "CRM sync", &[]).await;
    let (_, page) = app.client.page("/settings/activity").await;
    assert!(page.contains("Export CSV"), "{page}");
    let link = format!("href=\"/settings/activity.csv?workspace={ws}&#38;person=&#38;action=\"");
    assert!(page.contains(&link), "{page}");

    let (status, kind, disposition, rows) = export(
        &app.client,
        &format!("/settings/activity.csv?workspace={ws}"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert_eq!(
        disposition,
        format!("attachment; filename=\"mailrith-activity-acme-marketing-{today}.csv\"")
    );
    assert_eq!(
        rows[0],
        [
            "time",
            "workspace",
            "person",
            "action",
            "subject",
            "details",
            "ip"
        ]
    );
    let actions = column(&rows, "action");
    assert_eq!(
        actions.iter().filter(|a| *a == "api_key.generate").count(),
        2,
        "{actions:?}"
    );
    assert!(column(&rows, "person")
        .iter()
        .all(|p| p == ADMIN_NAME || p == "Mailrith"));
    assert!(column(&rows, "workspace").iter().all(|w| w == WORKSPACE));
    // Filtered by action.
    let (_, _, _, created) = export(
        &app.client,
        &format!("/settings/activity.csv?workspace={ws}&action=api_key.generate"),
    )
    .await;
    assert_eq!(created.len(), 3);
    let details = column(&created, "details").join(" | ");
    assert_eq!(details.matches("Read Only").count(), 2, "{details}");
    let subjects = column(&created, "subject");
    assert!(
        subjects.iter().all(|s| s.starts_with("key_")),
        "{subjects:?}"
    );

    // A Member with key access is not an Owner or Admin: no Activity, no export.
    person(
        &app,
        "maya@example.com",
        Some(WorkspaceAccess::new(
            Role::Member,
            Access::Manage,
            Access::None,
        )),
    )
    .await;
    let maya = signed_in(&app, "maya@example.com").await;
    let (status, kind, _, _) =
        export(&maya, &format!("/settings/activity.csv?workspace={ws}")).await;
    assert_eq!(status, 404, "not a workspace she manages");
    assert!(kind.starts_with("text/html"), "{kind}");
}
