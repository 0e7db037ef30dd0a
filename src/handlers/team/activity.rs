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
    let page = ActivityPage {
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
                actor: actor.unwrap_or_else(|| "Mailrith".into()),
                action: e.action.as_str().to_owned(),
                details: e.details,
                ip: e.ip.unwrap_or_default(),
            })
            .collect(),
    };
    htmx::ok(&hx, &page)
}
