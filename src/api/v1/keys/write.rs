//! Creating, editing, rotating and revoking keys through the management API.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{delegation, ApiKeyOut};
use crate::api::caller::ApiCaller;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::v1::body::{self, nullable, present};
use crate::app::AppState;
use crate::db::run_db;
use crate::domain::key::{AccessLevel, Expiration, KeyName, Overlap, PlainKey, Purpose};
use crate::domain::restrictions::{parse_rate_limit, IpAllowlist, Restrictions};
use crate::domain::FieldError;
use crate::services::api_keys::delegated::{self, Create, Patch};

/// A key and its secret: the only answers that ever carry a secret (create and rotate).
#[derive(Serialize, ToSchema)]
pub struct ApiKeyWithSecret {
    pub key: ApiKeyOut,
    /// The full key. Shown this once: store it now; Mailrith keeps only its SHA-256.
    pub secret: String,
}

/// `30`, `60`, `90`, `365` (days from now), `never`, or a date `YYYY-MM-DD` (the key works
/// through that UTC day).
fn expiration(raw: &str, today: Date) -> Result<Expiration, FieldError> {
    let raw = raw.trim();
    let e = if raw.len() == 10 && raw.as_bytes().get(4) == Some(&b'-') {
        Expiration::parse("custom", raw, today)
    } else {
        Expiration::parse(raw, "", today)
    };
    e.map_err(|e| {
        let message = if e.field == "expiration" {
            "Use 30, 60, 90 or 365 (days), never, or a date as YYYY-MM-DD.".to_owned()
        } else {
            e.message
        };
        FieldError::new("expiration", message)
    })
}

/// The API's names for the restriction fields.
fn restriction_field(mut e: FieldError) -> FieldError {
    if e.field == "rate_limit" {
        e.field = "rate_limit_per_minute";
    }
    e
}

fn allowlist(ips: &[String]) -> Result<Option<IpAllowlist>, FieldError> {
    IpAllowlist::parse(&ips.join(","))
}

fn rate_limit(n: i64) -> Result<Option<u32>, FieldError> {
    parse_rate_limit(&n.to_string()).map_err(restriction_field)
}

/// Every field error of a body, gathered as its fields are parsed.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn ok<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    /// The value, when every field parsed.
    fn or<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(v) if self.0.is_empty() => Ok(v),
            _ => Err(self.0),
        }
    }
}

const KEY_FIELDS: [(&str, &str); 7] = [
    ("name", "a string"),
    ("purpose", "a string"),
    ("access_level", "a string"),
    ("expiration", "a string"),
    ("owner", "a string"),
    ("allowed_ips", "an array of strings, or null"),
    ("rate_limit_per_minute", "a whole number, or null"),
];

/// The body of `POST /api/v1/keys`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyCreateIn {
    /// Required: 1 to 80 characters, unique among the workspace's active keys.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, max_length = 80)]
    name: Option<String>,
    /// What the key is for (up to 500 characters).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    purpose: Option<String>,
    /// `read_only` (the default) or `read_write`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    access_level: Option<String>,
    /// `30`, `60`, `90` (the default) or `365` days, `never`, or a date `YYYY-MM-DD`; within the
    /// workspace's policy.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    expiration: Option<String>,
    /// A member's id (`usr_…`); the person the app acts for when left out.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    owner: Option<String>,
    /// Up to 20 IPv4 or IPv6 addresses or CIDR ranges; any address when left out.
    #[serde(default)]
    #[schema(required = false)]
    allowed_ips: Option<Vec<String>>,
    /// 1 to 100,000; no limit when left out.
    #[serde(default)]
    #[schema(required = false, minimum = 1, maximum = 100000)]
    rate_limit_per_minute: Option<i64>,
}

impl KeyCreateIn {
    fn parse(self, today: Date) -> Result<Create, Vec<FieldError>> {
        let mut e = Errors::default();
        let name = match self.name {
            None => e.ok(Err(FieldError::new("name", "Required."))),
            Some(n) => e.ok(KeyName::parse(&n)),
        };
        let purpose = e.ok(Purpose::parse(self.purpose.as_deref().unwrap_or_default()));
        let access = e.ok(AccessLevel::parse(
            self.access_level.as_deref().unwrap_or("read_only"),
        ));
        let expiration = e.ok(expiration(
            self.expiration.as_deref().unwrap_or("90"),
            today,
        ));
        let allowed_ips = e.ok(allowlist(&self.allowed_ips.unwrap_or_default()));
        let rate_limit = e.ok(self.rate_limit_per_minute.map_or(Ok(None), rate_limit));
        let parsed = match (name, purpose, access, expiration, allowed_ips, rate_limit) {
            (Some(name), Some(purpose), Some(access), Some(expiration), Some(a), Some(r)) => {
                Some(Create {
                    name,
                    purpose,
                    access,
                    expiration,
                    owner: self.owner,
                    restrictions: Restrictions {
                        allowed_ips: a,
                        rate_limit: r,
                    },
                    idempotency_key: None,
                })
            }
            _ => None,
        };
        e.or(parsed)
    }
}

fn with_secret(
    l: crate::models::api_keys::KeyListing,
    secret: PlainKey,
    now: time::PrimitiveDateTime,
) -> ApiKeyWithSecret {
    ApiKeyWithSecret {
        key: ApiKeyOut::new(l, now),
        secret: secret.expose().to_owned(),
    }
}

/// An answer that carries a secret: never stored by a cache, never compressed (BREACH), as the
/// console's.
fn secret_answer(status: StatusCode, body: &ApiKeyWithSecret) -> HttpResponse {
    let mut b = HttpResponse::build(status);
    if status == StatusCode::CREATED {
        b.insert_header((header::LOCATION, format!("/api/v1/keys/{}", body.key.id)));
    }
    crate::web::htmx::no_store(b.json(body))
}

/// The optional `Idempotency-Key` header: 1 to 100 visible ASCII characters.
fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .map(str::trim)
        .filter(|k| (1..=100).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .map(|k| Some(k.to_owned()))
        .ok_or_else(|| {
            let e = "Send 1 to 100 visible ASCII characters, unique per key you create.";
            FieldError::new("Idempotency-Key", e).into()
        })
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
    let idempotency_key = idempotency_key(&req)?;
    let input: KeyCreateIn = body::read(&req, &raw, &KEY_FIELDS)?;
    let input = input.parse(d.now.date()).map(|c| Create {
        idempotency_key,
        ..c
    });
    let now = d.now;
    let (l, secret) = run_db(&state.pool, move |c| delegated::create(c, &d, input)).await?;
    Ok(secret_answer(
        StatusCode::CREATED,
        &with_secret(l, secret, now),
    ))
}

/// The body of `PATCH /api/v1/keys/{id}`: only the fields sent change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyPatchIn {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false, max_length = 80)]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    purpose: Option<String>,
    /// A member's id (`usr_…`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    owner: Option<String>,
    /// `30`, `60`, `90` or `365` days from now, `never`, or a date `YYYY-MM-DD`. An expired key
    /// cannot be extended: rotate it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    expiration: Option<String>,
    /// null clears the list (any address).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<String>>, required = false)]
    allowed_ips: Option<Option<Vec<String>>>,
    /// null removes the limit.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, required = false, minimum = 1, maximum = 100000)]
    rate_limit_per_minute: Option<Option<i64>>,
}

impl KeyPatchIn {
    fn parse(self, today: Date) -> Result<Patch, Vec<FieldError>> {
        let mut e = Errors::default();
        let patch = Patch {
            name: self.name.and_then(|n| e.ok(KeyName::parse(&n))),
            purpose: self.purpose.and_then(|p| e.ok(Purpose::parse(&p))),
            owner: self.owner,
            expiration: self.expiration.and_then(|x| e.ok(expiration(&x, today))),
            allowed_ips: self
                .allowed_ips
                .and_then(|a| e.ok(allowlist(&a.unwrap_or_default()))),
            rate_limit: self
                .rate_limit_per_minute
                .and_then(|r| e.ok(r.map_or(Ok(None), rate_limit))),
        };
        e.or(Some(patch))
    }
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
    let input: KeyPatchIn = body::read(&req, &raw, &KEY_FIELDS)?;
    let (input, id, now) = (input.parse(d.now.date()), path.into_inner(), d.now);
    let l = run_db(&state.pool, move |c| delegated::edit(c, &d, &id, input)).await?;
    // What the key unlocks may have changed: this process forgets it now, others by the feed.
    state.keys_changed([l.key.id]);
    Ok(super::super::json(StatusCode::OK, &ApiKeyOut::new(l, now)))
}

/// The body of `POST /api/v1/keys/{id}/rotate` (optional).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct KeyRotateIn {
    /// `keep` (the default) or a new expiration, as on create. An expired key needs a new one.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    expiration: Option<String>,
    /// When the old secret stops working: `now` (the default), `1h`, `24h` or `7d`. Until then
    /// both secrets work, so the connected system can switch without failing.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    overlap: Option<String>,
}

/// Give a key a new secret. The answer holds it, once.
#[utoipa::path(
    post, path = "/api/v1/keys/{id}/rotate", operation_id = "rotate_key", tag = "keys", security(("oauth" = ["keys:manage"])),
    params(("id" = String, Path, description = "The key's id (`key_…`)")),
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
    let input: KeyRotateIn = if raw.iter().all(u8::is_ascii_whitespace) {
        KeyRotateIn::default()
    } else {
        body::read(
            &req,
            &raw,
            &[("expiration", "a string"), ("overlap", "a string")],
        )?
    };
    let new_expiration = match input.expiration.as_deref().map(str::trim) {
        None | Some("keep") => None,
        Some(e) => Some(expiration(e, d.now.date())?),
    };
    let overlap = Overlap::parse(input.overlap.as_deref().unwrap_or("now").trim())
        .map_err(|_| FieldError::new("overlap", "Use now, 1h, 24h or 7d."))?;
    let (id, now) = (path.into_inner(), d.now);
    let (l, secret) = run_db(&state.pool, move |c| {
        delegated::rotate(c, &d, &id, new_expiration, overlap)
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
    state.keys_changed([l.key.id]);
    Ok(secret_answer(StatusCode::OK, &with_secret(l, secret, now)))
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
    let l = run_db(&state.pool, move |c| delegated::revoke(c, &d, &id)).await?;
    state.keys_changed([l.key.id]);
    Ok(super::super::json(StatusCode::OK, &ApiKeyOut::new(l, now)))
}
