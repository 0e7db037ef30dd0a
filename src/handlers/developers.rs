//! The Developer Quickstart: how to store a key and make a first call against this server.

use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::views::developers::QuickstartPage;
use crate::web::actor::Actor;
use crate::web::error::AppError;
use crate::web::htmx::{self, HxRequest};

pub async fn quickstart(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let page = QuickstartPage {
        ctx: super::context(&me.session, &me.user, "quickstart")?,
        // `--public-url`, or the address we listen on: never the Host header.
        base_url: state.settings.public_url.clone().unwrap_or_default(),
    };
    htmx::ok(&hx, &page)
}
