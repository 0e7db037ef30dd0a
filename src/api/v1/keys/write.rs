//! Creating, editing, rotating and revoking keys through the management API.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::input::{self, KeyCreateIn, KeyPatchIn, KeyRotateIn};
use super::{delegation, ApiKeyOut};
use crate::api::caller::ApiCaller;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::v1::body;
use crate::app::AppState;
use crate::db::run_db;
use crate::domain::key::PlainKey;
use crate::services::api_keys::delegated::{self, Delegation, Managed};

/// A key and its secret: the only answers that ever carry a secret (create and rotate).
#[derive(Serialize, ToSchema)]
pub struct ApiKeyWithSecret {
    pub key: ApiKeyOut,
    /// The full key. Shown this once: store it now; Mailrith keeps only its SHA-256.
    pub secret: String,
}

/// A key's answer, with its `ETag` (the version of its secret, for a rotation's `If-Match`).
pub(super) fn key_answer(
    status: StatusCode,
    m: Managed,
    secret: Option<PlainKey>,
    now: time::PrimitiveDateTime,
) -> HttpResponse {
    let mut b = HttpResponse::build(status);
    b.insert_header((header::ETAG, format!("\"{}\"", m.version)))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    let key = ApiKeyOut::new(m.listing, now);
    match secret {
        None => b.json(&key),
        Some(secret) => {
            if status == StatusCode::CREATED {
                b.insert_header((header::LOCATION, format!("/api/v1/keys/{}", key.id)));
            }
            let body = ApiKeyWithSecret {
                key,
                secret: secret.expose().to_owned(),
            };
            // Never stored by a cache, never compressed (BREACH), as the console's.
            crate::web::htmx::no_store(b.json(&body))
        }
    }
}

/// A request refused for what it carries: a caller that may no longer manage keys is told that
/// first (the app of a person who lost API Keys: Manage gets 403 whatever it sends).
async fn refuse(state: &AppState, d: Delegation, e: ApiError) -> ApiError {
    match run_db(&state.pool, move |c| delegated::check(c, &d)).await {
        Ok(()) => e,
        Err(refused) => refused.into(),
    }
}

/// Create a key. The answer holds its secret, once. With an `Idempotency-Key`, a retry of a
/// create that succeeded creates nothing and answers 409 naming the key.
#[utoipa::path(
    post, path = "/api/v1/keys", operation_id = "create_key", tag = "keys", security(("oauth" = ["keys:manage"])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: a second create with the same key creates nothing (409 naming the key)")),
    request_body(content = KeyCreateIn, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `Location` names the key", body = ApiKeyWithSecret,
            headers(("Location" = String, description = "/api/v1/keys/{id}"))),
        (status = 400, description = "The body is not a JSON object", body = ErrorBody),
        (status = 401, description = "Invalid access token", body = ErrorBody),
        (status = 403, description = "An API key, an app without keys:manage, or a person who may no longer manage keys", body = ErrorBody),
        (status = 409, description = "A key was already created with this Idempotency-Key", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid (the name taken, an expiration the policy refuses, the workspace full)", body = ErrorBody),
        (status = 429, description = "Too many invalid credentials from this client", body = ErrorBody),
    )
)]
pub async fn create(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let d = delegation(&caller, &req, &state)?;
    let read = input::idempotency_key(&req)
        .and_then(|k| body::read::<KeyCreateIn>(&req, &raw, &input::CREATE_FIELDS).map(|b| (k, b)));
    let (key, body) = match read {
        Ok(ok) => ok,
        Err(e) => return Err(refuse(&state, d, e).await),
    };
    let now = d.now;
    let (owner, fields) = body.parse(now.date(), key);
    let (m, secret) = run_db(&state.pool, move |c| {
        delegated::create(c, &d, owner.as_deref(), fields)
    })
    .await?;
    Ok(key_answer(StatusCode::CREATED, m, Some(secret), now))
}

/// Change a key's name, purpose, owner, expiration or restrictions.
#[utoipa::path(
    patch, path = "/api/v1/keys/{id}", operation_id = "update_key", tag = "keys", security(("oauth" = ["keys:manage"])),
    params(("id" = String, Path, description = "The key's id (`key_…`)")),
    request_body(content = KeyPatchIn, content_type = "application/json"),
    responses(
        (status = 200, description = "The key as it now is", body = ApiKeyOut),
        (status = 400, description = "The body is not a JSON object", body = ErrorBody),
        (status = 401, description = "Invalid access token", body = ErrorBody),
        (status = 403, description = "An API key, an app without keys:manage, or a person who may no longer manage keys", body = ErrorBody),
        (status = 404, description = "No such key in the app's workspace", body = ErrorBody),
        (status = 409, description = "The key is revoked, or expired (for a new expiration)", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
        (status = 429, description = "Too many invalid credentials from this client", body = ErrorBody),
    )
)]
pub async fn update(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let d = delegation(&caller, &req, &state)?;
    let body = match body::read::<KeyPatchIn>(&req, &raw, &input::PATCH_FIELDS) {
        Ok(b) => b,
        Err(e) => return Err(refuse(&state, d, e).await),
    };
    let (id, now) = (path.into_inner(), d.now);
    let patch = body.parse(now.date());
    let m = run_db(&state.pool, move |c| delegated::edit(c, &d, &id, patch)).await?;
    // What the key unlocks may have changed: this process forgets it now, others by the feed.
    state.keys_changed([m.listing.key.id]);
    Ok(key_answer(StatusCode::OK, m, None, now))
}

/// Give a key a new secret. The answer holds it, once.
#[utoipa::path(
    post, path = "/api/v1/keys/{id}/rotate", operation_id = "rotate_key", tag = "keys", security(("oauth" = ["keys:manage"])),
    params(
        ("id" = String, Path, description = "The key's id (`key_…`)"),
        ("If-Match" = Option<String>, Header, description = "The key's `ETag` as you last read it: rotates that secret or answers 409 (a retried rotation never rotates twice)"),
    ),
    request_body(content = Option<KeyRotateIn>, content_type = "application/json"),
    responses(
        (status = 200, description = "Rotated", body = ApiKeyWithSecret),
        (status = 400, description = "The body is not a JSON object", body = ErrorBody),
        (status = 401, description = "Invalid access token", body = ErrorBody),
        (status = 403, description = "An API key, an app without keys:manage, or a person who may no longer manage keys", body = ErrorBody),
        (status = 404, description = "No such key in the app's workspace", body = ErrorBody),
        (status = 409, description = "The key is revoked, or was just rotated by someone else", body = ErrorBody),
        (status = 415, description = "A body not sent as application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
        (status = 429, description = "Too many invalid credentials from this client", body = ErrorBody),
    )
)]
pub async fn rotate(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let d = delegation(&caller, &req, &state)?;
    let now = d.now;
    let read = input::if_match(&req).and_then(|version| {
        let body = if raw.iter().all(u8::is_ascii_whitespace) {
            KeyRotateIn::default()
        } else {
            body::read::<KeyRotateIn>(&req, &raw, &input::ROTATE_FIELDS)?
        };
        Ok((version, body))
    });
    let (version, choice) = match read.map(|(v, b)| (v, b.parse(now.date()))) {
        Ok((v, Ok(choice))) => (v, choice),
        Ok((_, Err(mut errors))) => {
            let e = ApiError::InvalidField(errors.swap_remove(0));
            return Err(refuse(&state, d, e).await);
        }
        Err(e) => return Err(refuse(&state, d, e).await),
    };
    let id = path.into_inner();
    let (m, secret) = run_db(&state.pool, move |c| {
        delegated::rotate(c, &d, &id, version, choice.0, choice.1)
    })
    .await
    .map_err(|e| match e {
        // The console's words name the dialog's field.
        crate::services::Error::Invalid(mut v) => {
            for f in &mut v {
                if f.field == "old_secret" {
                    f.field = "overlap";
                }
            }
            crate::services::Error::Invalid(v)
        }
        other => other,
    })?;
    state.keys_changed([m.listing.key.id]);
    Ok(key_answer(StatusCode::OK, m, Some(secret), now))
}

/// Revoke a key: it stops working at once, on every server. It stays listed, as revoked.
#[utoipa::path(
    post, path = "/api/v1/keys/{id}/revoke", operation_id = "revoke_key", tag = "keys", security(("oauth" = ["keys:manage"])),
    params(("id" = String, Path, description = "The key's id (`key_…`)")),
    responses(
        (status = 200, description = "Revoked", body = ApiKeyOut),
        (status = 401, description = "Invalid access token", body = ErrorBody),
        (status = 403, description = "An API key, an app without keys:manage, or a person who may no longer manage keys", body = ErrorBody),
        (status = 404, description = "No such key in the app's workspace", body = ErrorBody),
        (status = 409, description = "The key is already revoked", body = ErrorBody),
        (status = 429, description = "Too many invalid credentials from this client", body = ErrorBody),
    )
)]
pub async fn revoke(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let d = delegation(&caller, &req, &state)?;
    let (id, now) = (path.into_inner(), d.now);
    let m = run_db(&state.pool, move |c| delegated::revoke(c, &d, &id)).await?;
    state.keys_changed([m.listing.key.id]);
    Ok(key_answer(StatusCode::OK, m, None, now))
}
