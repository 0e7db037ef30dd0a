//! `/metrics`: Prometheus text on its own address (never the public one), with request latency
//! by route pattern (never a raw path), both pools, the verified-key cache, the change feed and
//! the last-used flusher.

use std::time::Duration;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(metrics_are_served_privately_by_route_pattern);

async fn metrics_are_served_privately_by_route_pattern(app: TestApp) {
    let app = app
        .respawn(|s| s.metrics_bind = Some("127.0.0.1:0".into()))
        .await;
    let port = app.metrics_port.expect("a metrics port");
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    let (_, _, secret) = generate(&app.client, &ws, "Metered", &[]).await;
    let secret = secret.unwrap();
    let key_path: String = app
        .db(|c| {
            use diesel::prelude::*;
            use mailrith::db::schema::api_keys;
            api_keys::table
                .select(api_keys::public_id)
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!(
        app.client
            .page(&format!("/settings/api-keys/{key_path}"))
            .await
            .0,
        200
    );
    app.api.keys.clear();
    for _ in 0..2 {
        let r = reqwest::Client::new()
            .get(format!("{}/api/v1/key", app.base))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    app.flush_last_used().await;
    assert_eq!(
        app.client
            .post_form(&format!("/settings/api-keys/{key_path}/revoke"), &[])
            .await
            .status(),
        303
    );
    tokio::time::sleep(Duration::from_millis(600)).await; // the change feed reads the revoke

    let r = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = r.text().await.unwrap();
    for needle in [
        "mailrith_http_request_duration_seconds_bucket{",
        "route=\"/settings/api-keys/{key}\"",
        "route=\"/api/v1/key\"",
        "mailrith_db_pool_in_use{pool=\"console\"}",
        "mailrith_db_pool_in_use{pool=\"api\"}",
        "mailrith_db_pool_connections{pool=\"api\"}",
        "mailrith_key_cache_hits_total",
        "mailrith_key_cache_misses_total",
        "mailrith_key_change_feed_lag_seconds_bucket",
        "mailrith_last_used_flush_keys_bucket",
    ] {
        assert!(text.contains(needle), "{needle} in\n{text}");
    }
    assert!(!text.contains(&key_path), "never a raw path");
    assert!(!text.contains(&secret), "never a secret");
    // The public address does not serve it.
    assert_eq!(app.client.get("/metrics").await.status(), 404);
}
