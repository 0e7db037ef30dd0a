//! `POST /settings/authorized-apps/{grant}/revoke`: every token of the grant stops at once.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::AppState;
use crate::db::run_db;
use crate::services::apps;
use crate::web::actor::Actor;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::htmx::see_other;

pub async fn revoke(
    req: HttpRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (acting, grant) = (me.acting(), path.into_inner());
    run_db(&state.pool, move |c| apps::revoke_grant(c, &acting, &grant)).await?;
    me.session
        .flash("App access revoked. It stopped working immediately.")?;
    // Back to the Settings page it was revoked from (the tab, a Profile, a review).
    let back = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|b| url::Url::parse(b).ok())
        .map(|u| u.path().to_owned())
        .filter(|p| p.starts_with("/settings/"))
        .unwrap_or_else(|| "/settings/authorized-apps".into());
    Ok(see_other(&back))
}
