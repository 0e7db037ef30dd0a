//! `/api/v1`: the JSON API that keys and apps' access tokens unlock. A caller sees and changes
//! only its own workspace's data.

pub mod body;
pub mod contacts;
pub mod key;
pub mod keys;
pub mod secret_scanning;

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;

/// A JSON answer, never cached.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

#[derive(Serialize, ToSchema)]
pub struct Ping {
    pub ok: bool,
}

/// Liveness of the API; needs no key and touches no database.
#[utoipa::path(get, path = "/api/v1/ping", tag = "meta", responses((status = 200, description = "The API is up", body = Ping)))]
pub async fn ping() -> HttpResponse {
    json(StatusCode::OK, &Ping { ok: true })
}

/// The OpenAPI 3 document of this API.
pub async fn openapi(state: actix_web::web::Data<crate::app::AppState>) -> HttpResponse {
    let base = state.settings.public_url.as_deref().unwrap_or_default();
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("application/json")
        .body(super::openapi::document_json(base).to_string())
}

/// Any other path under /api: a JSON 404, not an HTML page.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(
        "No such API endpoint. See /api/v1/openapi.json.",
    ))
}
