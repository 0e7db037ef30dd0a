//! Usage at a glance: requests per key and day counted in memory and added to the database by the
//! flusher (one row per key and day, whatever the number of requests), the key page's chart,
//! table and summary drawn from those counts, the list's "Requests (7 days)" and its sort, and
//! "Top keys this week".

use diesel::prelude::*;
use mailrith::db::ids::KeyId;
use mailrith::db::schema::{api_keys, key_usage_daily};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(usage_is_counted_charted_and_ranked);

async fn call(app: &TestApp, key: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/api/v1/key", app.base))
        .header("authorization", format!("Bearer {key}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn internal_id(app: &TestApp, public_id: &str) -> KeyId {
    let public_id = public_id.to_owned();
    app.db(move |c| {
        api_keys::table
            .filter(api_keys::public_id.eq(public_id))
            .select(api_keys::id)
            .first::<KeyId>(c)
            .unwrap()
    })
    .await
}

async fn requests_7d(app: &TestApp, id: KeyId) -> i64 {
    app.db(move |c| {
        api_keys::table
            .find(id)
            .select(api_keys::requests_7d)
            .first::<i64>(c)
            .unwrap()
    })
    .await
}

async fn usage_is_counted_charted_and_ranked(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    let (_, _, secret) = generate(&app.client, &ws, "Importer", &[("rate_limit", "3")]).await;
    let secret = secret.unwrap();
    generate(&app.client, &ws, "Idle hook", &[]).await;
    let importer = key_id_by_name(&app, "Importer").await;
    let id = internal_id(&app, &importer).await;
    let today = app.clock_now().date();

    // Earlier days, as earlier flushes left them: two days ago, and twenty (outside the week).
    app.db(move |c| {
        use mailrith::models::usage::add;
        add(c, id, today - time::Duration::days(2), 1200, 0).unwrap();
        add(c, id, today - time::Duration::days(20), 7, 1).unwrap();
    })
    .await;
    // Today: 3 answered, then 2 refused by the key's own limit.
    for _ in 0..3 {
        assert_eq!(call(&app, &secret).await, 200);
    }
    for _ in 0..2 {
        assert_eq!(call(&app, &secret).await, 429);
    }
    app.flush_last_used().await;
    // Counting again adds to today's row: still one row per key and day.
    assert_eq!(call(&app, &secret).await, 429);
    app.flush_last_used().await;
    let rows = app
        .db(move |c| {
            key_usage_daily::table
                .filter(key_usage_daily::key_id.eq(id.0))
                .order(key_usage_daily::day.asc())
                .select((key_usage_daily::ok, key_usage_daily::refused))
                .load::<(i64, i64)>(c)
                .unwrap()
        })
        .await;
    assert_eq!(rows, vec![(7, 1), (1200, 0), (3, 3)]);

    // The key page: the summary, the chart's bars with their numbers, the table.
    let (_, page) = app
        .client
        .page(&format!("/settings/api-keys/{importer}"))
        .await;
    assert!(
        page.contains("1,206 requests in the last 7 days (3 refused)"),
        "{page}"
    );
    assert!(page.contains(r#"<svg class="usage-chart""#), "{page}");
    let day = |d: time::Date| {
        mailrith::domain::format::format_date(time::PrimitiveDateTime::new(d, time::Time::MIDNIGHT))
    };
    assert!(
        page.contains(&format!(
            "<title>{}: 3 successful, 3 refused</title>",
            day(today)
        )),
        "{page}"
    );
    assert!(page.contains(&format!(
        "<title>{}: 1,200 successful, 0 refused</title>",
        day(today - time::Duration::days(2))
    )));
    assert_eq!(
        page.matches("<title>").count(),
        30 + 1,
        "30 days and the page's own"
    );
    assert_eq!(page.matches(r#"<rect class="ok""#).count(), 3, "{page}");
    assert_eq!(page.matches(r#"<rect class="refused""#).count(), 2);
    assert!(page.contains(&format!(
        "<tr><td>{}</td><td>1,200</td><td>0</td></tr>",
        day(today - time::Duration::days(2))
    )));
    // The tallest day fills the chart.
    assert!(page.contains(r#"y="0" width="14" height="100""#), "{page}");

    // The list: the week's count, Top keys this week, and the sort.
    let (_, list) = app.client.page("/settings/api-keys").await;
    assert!(list.contains("Top keys this week"), "{list}");
    let panel = &list[list.find("id=\"top-keys\"").unwrap()..];
    let panel = &panel[..panel.find("</section>").unwrap()];
    assert!(panel.contains(">Importer</a>"), "{panel}");
    assert!(panel.contains("1,203 requests"), "{panel}");
    assert!(!panel.contains("Idle hook"), "unused keys are not top keys");
    assert!(
        panel.contains("href=\"/settings/api-keys?sort=used&#38;dir=desc\""),
        "{panel}"
    );
    assert!(list.contains(r#"<td data-label="Requests (7 days)" class="num">1,203</td>"#));
    let (_, by_use) = app.client.page("/settings/api-keys?sort=used").await;
    assert_eq!(key_names(&by_use), ["Importer", "Idle hook"]);
    let (_, least) = app
        .client
        .page("/settings/api-keys?sort=used&dir=asc")
        .await;
    assert_eq!(key_names(&least), ["Idle hook", "Importer"]);

    // Rolling the same day rewrites no key (the week's counts have not changed), and once a
    // day is rolled, rolling it again (another process starting) reads nothing: seen with a
    // count the roll would put right.
    assert_eq!(app.api.usage.roll(&app.pool, today).await.unwrap(), 0);
    app.db(move |c| {
        diesel::update(api_keys::table.find(id))
            .set(api_keys::requests_7d.eq(5))
            .execute(c)
            .unwrap()
    })
    .await;
    assert_eq!(app.api.usage.roll(&app.pool, today).await.unwrap(), 0);
    let stale = requests_7d(&app, id).await;
    assert_eq!(stale, 5, "the same day is not rolled twice");
    app.db(move |c| {
        mailrith::models::usage::refresh_week(c, id, mailrith::domain::usage::week_start(today))
            .unwrap()
    })
    .await;
    let week = requests_7d(&app, id).await;
    assert_eq!(week, 1203);

    // Twelve days on: the week is empty, and days older than the chart are gone.
    app.clock.advance(time::Duration::days(12));
    let today = app.clock_now().date();
    assert_eq!(app.api.usage.roll(&app.pool, today).await.unwrap(), 1);
    let (week, days) = app
        .db(move |c| {
            let week: i64 = api_keys::table
                .find(id)
                .select(api_keys::requests_7d)
                .first(c)
                .unwrap();
            let days: i64 = key_usage_daily::table.count().get_result(c).unwrap();
            (week, days)
        })
        .await;
    assert_eq!((week, days), (0, 2));
    app.sign_in_again().await;
    let (_, list) = app.client.page("/settings/api-keys").await;
    assert!(!list.contains("Top keys this week"), "{list}");
    let (_, page) = app
        .client
        .page(&format!("/settings/api-keys/{importer}"))
        .await;
    assert!(page.contains("0 requests in the last 7 days"), "{page}");
    assert!(
        page.contains(r#"<svg class="usage-chart""#),
        "the month still has requests"
    );
}

backend_tests!(a_big_flush_lets_other_writes_in_between);

/// The API's background writes (last-used facts, usage counts, the daily roll of the week) are
/// made in short transactions: a flush of many keys no longer holds SQLite's one write lock (or
/// PostgreSQL's row locks) until it ends. At a million keys a 50,000-key flush held it for about
/// 10 s and the console's writes (a sign-in's session, a revoke) failed after 5 s. Seen here as
/// the flush's progress: another connection sees some of the keys written before the last.
async fn a_big_flush_lets_other_writes_in_between(app: TestApp) {
    use mailrith::db::WRITE_CHUNK;
    use std::sync::atomic::{AtomicBool, Ordering};

    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    generate(&app.client, &ws, "Template", &[]).await;
    let template = internal_id(&app, &key_id_by_name(&app, "Template").await).await;
    let n = 2 * WRITE_CHUNK + 50;
    let now = app.clock_now();
    // Keys like the first, inserted directly (fast): only the last-use columns matter here.
    let ids: Vec<i64> = app
        .db(move |c| {
            let (workspace, created_at): (i64, time::PrimitiveDateTime) = api_keys::table
                .find(template.0)
                .select((api_keys::workspace_id, api_keys::created_at))
                .first(c)
                .unwrap();
            for i in 0..n {
                diesel::insert_into(api_keys::table)
                    .values((
                        api_keys::public_id.eq(format!("key_flush{i:05}")),
                        api_keys::workspace_id.eq(workspace),
                        api_keys::name.eq(format!("Flushed {i}")),
                        api_keys::access_level.eq(mailrith::domain::key::AccessLevel::ReadOnly),
                        api_keys::created_at.eq(created_at),
                        api_keys::key_hash.eq(format!("{i:064}")),
                        api_keys::hint.eq("mlr_…0000"),
                    ))
                    .execute(c)
                    .unwrap();
            }
            api_keys::table
                .filter(api_keys::public_id.like("key_flush%"))
                .order(api_keys::id.asc())
                .select(api_keys::id)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(ids.len(), n);
    let today = now.date();
    for id in &ids {
        app.api
            .last_used
            .record(*id, now, "203.0.113.9", "importer/1.0");
        app.api.usage.ok(*id, today);
    }

    // The flush, and meanwhile another connection counting what it has written.
    let done = AtomicBool::new(false);
    let flush = async {
        app.flush_last_used().await;
        done.store(true, Ordering::SeqCst);
    };
    let watch = async {
        let mut seen = Vec::new();
        while !done.load(Ordering::SeqCst) {
            let counts = app
                .db(|c| {
                    let used: i64 = api_keys::table
                        .filter(api_keys::public_id.like("key_flush%"))
                        .filter(api_keys::last_used_at.is_not_null())
                        .count()
                        .get_result(c)
                        .unwrap();
                    let days: i64 = key_usage_daily::table.count().get_result(c).unwrap();
                    (used as usize, days as usize)
                })
                .await;
            seen.push(counts);
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        seen
    };
    let ((), seen) = tokio::join!(flush, watch);
    assert!(
        seen.iter().any(|(used, _)| (1..n).contains(used)),
        "last uses written in one transaction: seen {seen:?}"
    );
    assert!(
        seen.iter().any(|(_, days)| (1..n).contains(days)),
        "usage counts written in one transaction: seen {seen:?}"
    );
    // And all of it written in the end.
    let (used, weekly) = app
        .db(move |c| {
            let keys = api_keys::table.filter(api_keys::public_id.like("key_flush%"));
            let used: i64 = keys
                .filter(api_keys::last_used_at.eq(Some(now)))
                .filter(api_keys::last_used_ip.eq(Some("203.0.113.9")))
                .count()
                .get_result(c)
                .unwrap();
            let weekly: i64 = keys
                .filter(api_keys::requests_7d.eq(1))
                .count()
                .get_result(c)
                .unwrap();
            (used as usize, weekly as usize)
        })
        .await;
    assert_eq!((used, weekly), (n, n));

    // The week moves on (in steps of `WRITE_CHUNK` keys): every count back to 0, the old days
    // forgotten.
    let later = today + time::Duration::days(60);
    assert_eq!(app.api.usage.roll(&app.pool, later).await.unwrap(), n);
    let (weekly, days) = app
        .db(|c| {
            let weekly: i64 = api_keys::table
                .filter(api_keys::requests_7d.gt(0))
                .count()
                .get_result(c)
                .unwrap();
            let days: i64 = key_usage_daily::table.count().get_result(c).unwrap();
            (weekly, days)
        })
        .await;
    assert_eq!((weekly, days), (0, 0));
}
