//! `GET /settings/api-keys.csv`: the keys of the current search and filters as CSV, streamed a
//! batch at a time (a plain link: no JavaScript needed).

use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;

use crate::app::AppState;
use crate::db::run_db;
use crate::domain::search::{KeyQuery, KeyQueryParams, Page};
use crate::services::api_keys::{self, ExportBatch};
use crate::views::export::{self, BATCH, KEY_COLUMNS};
use crate::web::actor::Actor;
use crate::web::download;
use crate::web::error::AppError;

/// What is left to write: the next batch's query, and the batch already read (the first).
struct Left {
    q: Option<KeyQuery>,
    read: Option<ExportBatch>,
    header: bool,
}

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
    // The first batch is read before answering: a failure is an error page, not a broken file.
    let first_q = q.clone();
    let first = run_db(&pool, move |c| {
        api_keys::export_batch(c, viewer, &first_q, now, BATCH)
    })
    .await?;
    let filename = export::filename("api-keys", first.workspace.as_deref(), now);
    let start = Left {
        q: Some(q),
        read: Some(first),
        header: true,
    };
    let body = futures_util::stream::unfold(start, move |left| {
        let pool = pool.clone();
        async move {
            let q = left.q?;
            let batch = match left.read {
                Some(b) => b,
                None => {
                    let next_q = q.clone();
                    let read = run_db(&pool, move |c| {
                        api_keys::export_batch(c, viewer, &next_q, now, BATCH)
                    })
                    .await;
                    match read {
                        Ok(b) => b,
                        Err(e) => {
                            let done = Left {
                                q: None,
                                read: None,
                                header: false,
                            };
                            return Some((Err(download::failed("API keys export", e)), done));
                        }
                    }
                }
            };
            let bytes = export::rows(
                left.header.then_some(KEY_COLUMNS),
                batch.keys.iter().map(|l| export::key_row(l, now)),
            );
            let next = Left {
                q: batch.next.map(|p| KeyQuery {
                    page: Page::After(p),
                    ..q
                }),
                read: None,
                header: false,
            };
            Some((Ok(Bytes::from(bytes)), next))
        }
    });
    Ok(download::csv(&filename, body))
}
