use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::app::AppState;
use crate::db::run_db;

/// 200 when the database answers, 503 otherwise.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let ok = run_db(&state.pool, |c| {
        c.batch_execute("SELECT 1")
            .map_err(crate::services::Error::from)
    })
    .await
    .is_ok();
    let (mut builder, status) = if ok {
        (HttpResponse::Ok(), "ok")
    } else {
        (HttpResponse::ServiceUnavailable(), "unavailable")
    };
    builder
        .insert_header(("cache-control", "no-store"))
        .json(json!({ "status": status, "database": if ok { "reachable" } else { "unreachable" } }))
}
