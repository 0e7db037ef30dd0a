//! Revoke a key: the confirmation, and the revocation that stops it at once.

use actix_web::{web, HttpResponse};

use super::context;
use crate::app::AppState;
use crate::db::run_db;
use crate::services::api_keys;
use crate::views::api_keys::RevokeKeyPage;
use crate::web::actor::Actor;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::htmx::{self, see_other, HxRequest};

pub async fn revoke_form(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (acting, key) = (me.acting(), path.into_inner());
    let l = run_db(&state.pool, move |c| api_keys::manageable(c, &acting, &key)).await?;
    let page = RevokeKeyPage {
        ctx: context(&me)?,
        modal: hx.wants_fragment(),
        key_id: l.key.public_id.clone(),
        key_name: l.key.name.clone(),
        workspace: l.workspace_name.clone(),
    };
    htmx::ok(&hx, &page)
}

pub async fn revoke(
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (acting, key) = (me.acting(), path.into_inner());
    let l = run_db(&state.pool, move |c| api_keys::revoke(c, &acting, &key)).await?;
    // The key stops working in this process at once, in others within a second.
    state.keys_changed([l.key.id]);
    me.session.flash(&format!(
        "Revoked \"{}\". It stopped working immediately.",
        l.key.name
    ))?;
    Ok(see_other(&format!(
        "/settings/api-keys/{}",
        l.key.public_id
    )))
}
