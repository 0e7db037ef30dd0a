//! `GET /api/v1/key`: the calling key (or app).

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::json;
use crate::api::auth::Caller;
use crate::api::caller::ApiCaller;
use crate::api::error::ErrorBody;
use crate::domain::format::rfc3339;

#[derive(Serialize, ToSchema)]
pub struct WorkspaceRef {
    /// The workspace's public id.
    pub id: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct KeyInfo {
    /// The key's public id (never its secret); for an app, its grant's.
    pub id: String,
    pub name: String,
    pub workspace: WorkspaceRef,
    /// What it may do with contacts: `read_only` or `read_write`; `none` for an app whose scope
    /// is only `keys:manage`.
    pub access_level: String,
    /// For an app: its OAuth scope (`contacts:read keys:manage`); absent for an API key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// RFC 3339, or null when the key never expires.
    pub expires_at: Option<String>,
}

/// The key making this request.
#[utoipa::path(
    get, path = "/api/v1/key", tag = "keys", security(("bearer" = [])),
    responses(
        (status = 200, description = "The calling key", body = KeyInfo),
        (status = 401, description = "Missing, malformed, unknown, revoked, rotated-out or expired key", body = ErrorBody),
        (status = 429, description = "Too many invalid keys from this client", body = ErrorBody),
    )
)]
pub async fn key(caller: ApiCaller) -> HttpResponse {
    if let Caller::Key(k) = &caller.0 {
        // (Serialising these fields cannot fail; were it to, the answer is built below.)
        let kept = k.kept_about(|| {
            serde_json::to_vec(&about(&caller))
                .unwrap_or_default()
                .into()
        });
        if let Some(body) = kept.filter(|b| !b.is_empty()) {
            return HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header(header::ContentType::json())
                .body(body.clone());
        }
    }
    json(StatusCode::OK, &about(&caller))
}

/// What `GET /api/v1/key` says about the caller.
fn about(caller: &ApiCaller) -> KeyInfo {
    let access = caller
        .contacts_access()
        .map_or("none", |a| a.as_str())
        .to_owned();
    match &caller.0 {
        Caller::Key(k) => KeyInfo {
            id: k.public_id.clone(),
            name: k.name.clone(),
            workspace: WorkspaceRef {
                id: k.workspace_public_id.clone(),
                name: k.workspace_name.clone(),
            },
            access_level: access,
            scope: None,
            expires_at: k.expires_at.map(rfc3339),
        },
        Caller::App(a) => KeyInfo {
            id: a.grant_public_id.clone(),
            name: a.app.clone(),
            workspace: WorkspaceRef {
                id: a.workspace_public_id.clone(),
                name: a.workspace_name.clone(),
            },
            access_level: access,
            scope: Some(a.scope.as_str()),
            expires_at: Some(rfc3339(a.expires_at)),
        },
    }
}
