//! `GET /metrics` in the Prometheus text format, on its own listener (`--metrics-bind`), never on
//! the public address.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;

use crate::db::Pool;
use crate::telemetry::metrics;

async fn render(pools: web::Data<Vec<Pool>>) -> HttpResponse {
    let Some(handle) = metrics::handle() else {
        return HttpResponse::ServiceUnavailable().body("metrics are not available\n");
    };
    for pool in pools.iter() {
        metrics::pool_state(pool.role().as_str(), pool.max_size(), pool.state());
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("cache-control", "no-store"))
        .body(handle.render())
}

/// Binds `bind` and returns the port and the server (to be spawned).
pub fn serve(bind: &str, pools: Vec<Pool>) -> anyhow::Result<(u16, Server)> {
    metrics::handle();
    let listener =
        TcpListener::bind(bind).with_context(|| format!("cannot listen on {bind} for metrics"))?;
    let port = listener.local_addr()?.port();
    let pools = web::Data::new(pools);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(pools.clone())
            .route("/metrics", web::get().to(render))
    })
    .workers(1)
    .listen(listener)?
    .disable_signals()
    .run();
    Ok((port, server))
}
