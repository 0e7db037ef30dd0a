//! `GET /settings/api-keys.csv`: the keys of the current search and filters as CSV, streamed a
//! batch at a time (a plain link: no JavaScript needed).

use actix_web::web;
use actix_web::HttpResponse;

use crate::app::AppState;
use crate::db::run_db;
use crate::domain::search::{KeyQuery, KeyQueryParams, Page};
use crate::services::api_keys::{self, ExportBatch};
use crate::views::export::{self, BATCH, KEY_COLUMNS};
use crate::web::actor::Actor;
use crate::web::download;
use crate::web::error::AppError;

pub async fn export(
    me: Actor,
    state: web::Data<AppState>,
    params: web::Query<KeyQueryParams>,
) -> Result<HttpResponse, AppError> {
    let q = KeyQuery {
        page: Page::First,
        ..KeyQuery::parse(&params.into_inner())
    };
    let (viewer, now, pool) = (me.user.id, me.now, state.pool.clone());
    let read = move |q: KeyQuery| {
        let pool = pool.clone();
        async move {
            run_db(&pool, move |c| {
                api_keys::export_batch(c, viewer, &q, now, BATCH)
            })
            .await
        }
    };
    let first = read(q.clone()).await?;
    let filename = export::filename("api-keys", first.workspace.as_deref(), now);
    let write = move |batch: &ExportBatch, header: bool| {
        let bytes = export::rows(
            header.then_some(KEY_COLUMNS),
            batch.keys.iter().map(|l| export::key_row(l, now)),
        );
        let next = batch.next.clone().map(|p| KeyQuery {
            page: Page::After(p),
            ..q.clone()
        });
        (bytes, next)
    };
    let body = download::batches("API keys export", first, read, write);
    Ok(download::csv(&filename, body))
}
