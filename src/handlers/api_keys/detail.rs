//! `GET /settings/api-keys/{key}`: one key, its facts and its history.

use actix_web::{web, HttpResponse};

use super::context;
use crate::app::AppState;
use crate::db::run_db;
use crate::services::api_keys::{self, expiration_text};
use crate::views::api_keys::{HistoryRow, KeyDetailPage, KeyRow, UsageChart};
use crate::views::{format_time, relative};
use crate::web::actor::Actor;
use crate::web::error::AppError;
use crate::web::htmx::{self, HxRequest};

pub async fn detail(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (viewer, key, now) = (me.user.id, path.into_inner(), me.now);
    let today = now.date();
    let d = run_db(&state.pool, move |c| {
        api_keys::detail(c, viewer, &key, today)
    })
    .await?;
    let k = &d.listing.key;
    let page = KeyDetailPage {
        ctx: context(&me)?,
        key: KeyRow::new(&d.listing, now, ""),
        usage: UsageChart::new(&d.usage, today),
        expires_exact: expiration_text(k.expires_at),
        created_by: match (d.created_by, &k.created_via) {
            (who, Some(app)) => format!("{} via {app}", who.as_deref().unwrap_or("a removed user")),
            (who, None) => who.unwrap_or_else(|| "a removed user".into()),
        },
        rotated: k
            .rotated_at
            .map(format_time)
            .unwrap_or_else(|| "never".into()),
        last_used_ip: k.last_used_ip.clone().unwrap_or_default(),
        last_used_agent: k.last_used_user_agent.clone().unwrap_or_default(),
        history: d
            .history
            .into_iter()
            .map(|(e, actor)| HistoryRow {
                when: relative(now, e.created_at),
                when_exact: format_time(e.created_at),
                actor: e.actor_label(actor.as_deref()),
                action: e.action.label().to_owned(),
                details: e.details,
                ip: e.ip.unwrap_or_default(),
            })
            .collect(),
    };
    htmx::ok(&hx, &page)
}
