//! Settings > API Keys: list and search, generate, the one-time Save dialog, detail, edit, rotate,
//! revoke. Every action is a service call that is scoped to the viewer's workspaces and checked.

pub mod detail;
pub mod edit;
pub mod export;
pub mod generate;
pub mod list;
pub mod revoke;
pub mod rotate;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use time::PrimitiveDateTime;

use crate::domain::key::PlainKey;
use crate::models::api_keys::KeyListing;
use crate::services::api_keys::expiration_text;
use crate::views::api_keys::SaveKeyPage;
use crate::views::PageContext;
use crate::web::actor::Actor;
use crate::web::error::AppError;
use crate::web::htmx::{self, HxRequest};

pub(crate) fn context(me: &Actor) -> Result<PageContext, AppError> {
    super::context(&me.session, &me.user, "api-keys")
}

/// The first day a custom expiration may be: tomorrow (UTC).
fn tomorrow(now: PrimitiveDateTime) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    (now.date() + time::Duration::days(1))
        .format(&fmt)
        .unwrap_or_default()
}

/// The Save Your API Key dialog. The secret is in this response only: `no-store`, never
/// compressed, never in a URL, the session, a flash message or a log line.
fn save_dialog(
    hx: &HxRequest,
    me: &Actor,
    l: &KeyListing,
    secret: &PlainKey,
    rotated: bool,
) -> Result<HttpResponse, AppError> {
    let page = SaveKeyPage {
        ctx: context(me)?,
        modal: hx.wants_fragment(),
        secret: secret.expose().to_owned(),
        name: l.key.name.clone(),
        workspace: l.workspace_name.clone(),
        access: l.key.access_level.label(),
        expiration: expiration_text(l.key.expires_at),
        rotated,
        old_until: l
            .key
            .old_retires_at
            .filter(|_| rotated)
            .map(crate::domain::format::format_time)
            .unwrap_or_default(),
        done_href: format!(
            "/settings/api-keys?highlight={}#key-{}",
            l.key.public_id, l.key.public_id
        ),
    };
    Ok(htmx::no_store(htmx::render(hx, StatusCode::OK, &page)?))
}
