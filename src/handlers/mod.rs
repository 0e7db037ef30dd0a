//! Thin handlers: extract, parse, one `run_db`, render.

pub mod api;
pub mod api_keys;
pub mod apps;
pub mod auth;
pub mod developers;
pub mod health;
pub mod invitations;
pub mod oauth;
pub mod settings;
pub mod team;

use actix_session::Session;
use actix_web::http::header;
use actix_web::HttpResponse;

use crate::auth::SESSION_FLASH;
use crate::error::AppError;

/// Post/Redirect/Get.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A one-time message shown on the next page. Never carries a secret.
pub fn set_flash(session: &Session, message: &str) -> Result<(), AppError> {
    session
        .insert(SESSION_FLASH, message)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))
}

pub fn take_flash(session: &Session) -> Option<String> {
    session
        .remove_as::<String>(SESSION_FLASH)
        .and_then(Result::ok)
}
