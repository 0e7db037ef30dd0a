//! `GET /settings/activity`: a workspace's audit log, filtered by person and action.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::context;
use crate::app::AppState;
use crate::db::run_db;
use crate::services::team;
use crate::views::forms::{workspace_choices, Choice};
use crate::views::team::{ActivityPage, ActivityRow};
use crate::views::{format_time, relative};
use crate::web::actor::Actor;
use crate::web::error::AppError;
use crate::web::htmx::{self, HxRequest};

#[derive(Deserialize, Default)]
pub struct ActivityQuery {
    #[serde(default)]
    workspace: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    action: String,
}

pub async fn activity(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    q: web::Query<ActivityQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let (acting, now) = (me.acting(), me.now);
    let (ws, person, action) = (q.workspace.clone(), q.person.clone(), q.action.clone());
    let a = run_db(&state.pool, move |c| {
        team::activity(c, &acting, &ws, &person, &action)
    })
    .await?;
    let export_href = format!(
        "/settings/activity.csv?{}",
        serde_urlencoded::to_string([
            ("workspace", a.selected.workspace.public_id.as_str()),
            ("person", q.person.as_str()),
            ("action", q.action.as_str()),
        ])
        .unwrap_or_default()
    );
    let page = ActivityPage {
        export_href,
        ctx: context(&me, "activity")?,
        workspaces: workspace_choices(&a.managed, Some(&a.selected.workspace.public_id)),
        people: a
            .people
            .iter()
            .map(|p| Choice::new(&p.public_id, &p.name, p.public_id == q.person))
            .collect(),
        actions: a
            .actions
            .iter()
            .map(|x| Choice::new(x.as_str(), x.as_str(), x.as_str() == q.action))
            .collect(),
        events: a
            .events
            .into_iter()
            .map(|(e, actor)| ActivityRow {
                when: relative(now, e.created_at),
                when_exact: format_time(e.created_at),
                actor: e.actor_label(actor.as_deref()),
                action: e.action.as_str().to_owned(),
                details: e.details,
                ip: e.ip.unwrap_or_default(),
            })
            .collect(),
    };
    htmx::ok(&hx, &page)
}

/// `GET /settings/activity.csv`: the workspace's events with the current filters as CSV, newest
/// first, streamed a batch at a time; the permission is checked again for every batch.
pub async fn export(
    me: Actor,
    state: web::Data<AppState>,
    q: web::Query<ActivityQuery>,
) -> Result<HttpResponse, AppError> {
    use crate::views::export::{self, ACTIVITY_COLUMNS, BATCH};
    use crate::web::download;

    let q = std::sync::Arc::new(q.into_inner());
    let (acting, now, pool) = (me.acting(), me.now, state.pool.clone());
    let read = {
        let (q, acting, pool) = (q.clone(), acting.clone(), pool.clone());
        move |before: Option<i64>| {
            let (q, acting, pool) = (q.clone(), acting.clone(), pool.clone());
            async move {
                run_db(&pool, move |c| {
                    team::activity_batch(
                        c,
                        &acting,
                        &q.workspace,
                        &q.person,
                        &q.action,
                        before,
                        BATCH as i64,
                    )
                })
                .await
            }
        }
    };
    // The first batch is read before answering: a refusal is an error page, not a broken file.
    let (name, first) = read(None).await?;
    let filename = export::filename("activity", Some(&name), now);
    type Batch = (String, Vec<(crate::models::audit::Event, Option<String>)>);
    let write = move |(_, events): &Batch, header: bool| {
        let bytes = export::rows(
            header.then_some(ACTIVITY_COLUMNS),
            events
                .iter()
                .map(|(e, actor)| export::activity_row(&name, e, actor.as_deref())),
        );
        // A full batch may have more after its last event.
        let next = (events.len() == BATCH)
            .then(|| events.last().map(|(e, _)| Some(e.id)))
            .flatten();
        (bytes, next)
    };
    let body = download::batches("Activity export", (String::new(), first), read, write);
    Ok(download::csv(&filename, body))
}
