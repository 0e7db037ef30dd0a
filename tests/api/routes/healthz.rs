use crate::backend_tests;
use crate::helpers::TestApp;

async fn healthz_reports_the_database(app: TestApp) {
    let r = app.client.get("/healthz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "reachable");
}

async fn unknown_paths_are_a_404_page(app: TestApp) {
    let r = app.client.get("/no/such/page").await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "text/html; charset=utf-8"
    );
    assert!(r.text().await.unwrap().contains("Not found"));
}

backend_tests!(healthz_reports_the_database, unknown_paths_are_a_404_page);

/// With no database connection to be had (every pooled connection held elsewhere), /healthz
/// answers 503 within the pool's 5-second timeout, and recovers afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_503_when_the_database_cannot_be_reached() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    let pool = app.pool.clone();
    let size = pool.max_size();
    let held = tokio::task::spawn_blocking(move || {
        (0..size).map(|_| pool.get().unwrap()).collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let r = app.client.get("/healthz").await;
    assert_eq!(r.status(), 503);
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    drop(held);
    let r = app.client.get("/healthz").await;
    assert_eq!(r.status(), 200, "recovers once connections are free");
}
