//! `/api/v1`: the JSON API that keys unlock. A key sees and changes only its own workspace's data.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::PrimitiveDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::ApiCaller;
use crate::api::error::{ApiError, ErrorBody};
use crate::domain::account::EmailAddress;
use crate::domain::contact::{ContactName, ContactStatus};
use crate::domain::ids::public_id;
use crate::domain::FieldError;
use crate::models::contacts::{self, Contact, NewContact};
use crate::startup::AppState;
use crate::telemetry::run_db;

fn rfc3339(t: PrimitiveDateTime) -> String {
    t.assume_utc().format(&Rfc3339).unwrap_or_default()
}

fn json<T: Serialize>(status: actix_web::http::StatusCode, body: &T) -> HttpResponse {
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
    json(actix_web::http::StatusCode::OK, &Ping { ok: true })
}

#[derive(Serialize, ToSchema)]
pub struct WorkspaceRef {
    /// The workspace's public id.
    pub id: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct KeyInfo {
    /// The key's public id (never its secret).
    pub id: String,
    pub name: String,
    pub workspace: WorkspaceRef,
    /// `read_only` or `read_write`.
    pub access_level: String,
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
    let k = &caller.key;
    json(
        actix_web::http::StatusCode::OK,
        &KeyInfo {
            id: k.public_id.clone(),
            name: k.name.clone(),
            workspace: WorkspaceRef {
                id: k.workspace_public_id.clone(),
                name: k.workspace_name.clone(),
            },
            access_level: caller.access.as_str().to_owned(),
            expires_at: k.expires_at.map(rfc3339),
        },
    )
}

#[derive(Serialize, ToSchema)]
pub struct ContactOut {
    pub id: String,
    pub email: String,
    pub name: String,
    /// `subscribed`, `unsubscribed` or `bounced`.
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Contact> for ContactOut {
    fn from(c: Contact) -> Self {
        Self {
            id: c.public_id,
            email: c.email,
            name: c.name,
            status: c.status,
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContactList {
    pub data: Vec<ContactOut>,
    /// Matching contacts in all pages.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    /// The `offset` of the next page, or null on the last page.
    pub next_offset: Option<i64>,
}

/// Kept as text so that a bad value gets a field-named 422, not a generic 400.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1 to 100 (default 25).
    #[param(value_type = i64, required = false, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// How many to skip (default 0).
    #[param(value_type = i64, required = false, minimum = 0, maximum = 10000000)]
    pub offset: Option<String>,
    /// Only the contact with this email address (case-insensitive).
    #[param(value_type = String, required = false, format = Email)]
    pub email: Option<String>,
}

fn query_number(
    field: &'static str,
    raw: Option<&str>,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ApiError> {
    match raw {
        None | Some("") => Ok(default),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    format!("Must be a whole number from {min} to {max}."),
                )
                .into()
            }),
    }
}

/// The workspace's contacts, oldest first.
#[utoipa::path(
    get, path = "/api/v1/contacts", tag = "contacts", security(("bearer" = [])), params(ListQuery),
    responses(
        (status = 200, description = "A page of contacts", body = ContactList),
        (status = 401, description = "Invalid key", body = ErrorBody),
        (status = 422, description = "A query parameter is invalid", body = ErrorBody),
        (status = 429, description = "Too many invalid keys from this client", body = ErrorBody),
    )
)]
pub async fn list_contacts(
    caller: ApiCaller,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query_number("limit", q.limit.as_deref(), 25, 1, 100)?;
    let offset = query_number("offset", q.offset.as_deref(), 0, 0, 10_000_000)?;
    let email = match q.email.as_deref() {
        None | Some("") => None,
        Some(e) => Some(EmailAddress::parse(e)?.as_str().to_owned()),
    };
    let ws = caller.key.workspace_id;
    let (rows, total) = run_db(&state.pool, move |c| {
        Ok(contacts::list(c, ws, email.as_deref(), limit, offset)?)
    })
    .await?;
    let next = offset + rows.len() as i64;
    Ok(json(
        actix_web::http::StatusCode::OK,
        &ContactList {
            data: rows.into_iter().map(ContactOut::from).collect(),
            total,
            limit,
            offset,
            next_offset: (next < total).then_some(next),
        },
    ))
}

async fn load_contact(
    state: &AppState,
    caller: &ApiCaller,
    id: String,
) -> Result<Contact, ApiError> {
    let ws = caller.key.workspace_id;
    run_db(&state.pool, move |c| Ok(contacts::find(c, ws, &id)?))
        .await?
        .ok_or(ApiError::NotFound(
            "No contact with this id in the key's workspace.",
        ))
}

/// One contact.
#[utoipa::path(
    get, path = "/api/v1/contacts/{id}", tag = "contacts", security(("bearer" = [])),
    params(("id" = String, Path, description = "The contact's id")),
    responses(
        (status = 200, description = "The contact", body = ContactOut),
        (status = 401, description = "Invalid key", body = ErrorBody),
        (status = 404, description = "No such contact in the key's workspace", body = ErrorBody),
        (status = 429, description = "Too many invalid keys from this client", body = ErrorBody),
    )
)]
pub async fn get_contact(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let c = load_contact(&state, &caller, path.into_inner()).await?;
    Ok(json(actix_web::http::StatusCode::OK, &ContactOut::from(c)))
}

/// The body of POST and PATCH. Unknown fields are refused; a field that is sent must not be null.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ContactIn {
    /// Required on POST.
    #[schema(required = false, format = Email, min_length = 3, max_length = 254)]
    email: String,
    #[schema(required = false, max_length = 200)]
    name: String,
    /// `subscribed` (the default), `unsubscribed` or `bounced`.
    #[schema(required = false)]
    status: ContactStatusName,
}

/// A contact's status.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ContactStatusName {
    Subscribed,
    Unsubscribed,
    Bounced,
}

struct ContactFields {
    email: Option<EmailAddress>,
    name: Option<ContactName>,
    status: Option<ContactStatus>,
}

/// A JSON body must say so: `Content-Type: application/json`, with or without a charset.
fn require_json(req: &HttpRequest) -> Result<(), ApiError> {
    let media_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    match media_type {
        Some(t) if t.eq_ignore_ascii_case("application/json") => Ok(()),
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

/// Parses a JSON object field by field, so every error names its field.
fn parse_contact_body(
    req: &HttpRequest,
    body: &[u8],
    creating: bool,
) -> Result<ContactFields, ApiError> {
    require_json(req)?;
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadJson(format!("The body is not valid JSON: {e}.")))?;
    let Value::Object(map) = value else {
        return Err(ApiError::BadJson("The body must be a JSON object.".into()));
    };
    for key in map.keys() {
        if !matches!(key.as_str(), "email" | "name" | "status") {
            let shown: String = key.chars().take(40).collect();
            return Err(FieldError::new(
                "body",
                format!("Unknown field \"{shown}\": use email, name and status."),
            )
            .into());
        }
    }
    fn text<'a>(
        map: &'a Map<String, Value>,
        field: &'static str,
    ) -> Result<Option<&'a str>, ApiError> {
        match map.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(FieldError::new(field, "Must be a string.").into()),
        }
    }
    let email = text(&map, "email")?.map(EmailAddress::parse).transpose()?;
    if creating && email.is_none() {
        return Err(FieldError::new("email", "Required.").into());
    }
    let name = text(&map, "name")?.map(ContactName::parse).transpose()?;
    let status = text(&map, "status")?
        .map(ContactStatus::parse)
        .transpose()?;
    Ok(ContactFields {
        email,
        name,
        status,
    })
}

fn email_conflict() -> ApiError {
    ApiError::Conflict(FieldError::new(
        "email",
        "A contact with this email already exists in the workspace.",
    ))
}

/// Create a contact. Needs a Read and Write key.
#[utoipa::path(
    post, path = "/api/v1/contacts", tag = "contacts", security(("bearer" = [])),
    request_body(content = ContactIn, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = ContactOut),
        (status = 400, description = "The body is not a JSON object", body = ErrorBody),
        (status = 401, description = "Invalid key", body = ErrorBody),
        (status = 403, description = "The key is Read Only, or the app's scope is contacts:read", body = ErrorBody),
        (status = 409, description = "The email is taken", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
        (status = 429, description = "Too many invalid keys from this client", body = ErrorBody),
    )
)]
pub async fn create_contact(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require_write()?;
    let f = parse_contact_body(&req, &body, true)?;
    let email = f
        .email
        .ok_or_else(|| ApiError::from(FieldError::new("email", "Required.")))?;
    let name = f.name.map(|n| n.as_str().to_owned()).unwrap_or_default();
    let status = f.status.unwrap_or(ContactStatus::Subscribed);
    let (ws, now) = (caller.key.workspace_id, state.clock.now());
    let created = run_db(&state.pool, move |c| {
        c.write_transaction::<_, crate::error::AppError, _>(|c| {
            if contacts::email_taken(c, ws, email.as_str(), None)? {
                return Ok(None);
            }
            let row = NewContact {
                public_id: public_id("ct"),
                workspace_id: ws,
                email: email.as_str(),
                name: &name,
                status: status.as_str(),
                created_at: now,
                updated_at: now,
            };
            Ok(Some(contacts::insert(c, &row)?))
        })
    })
    .await?
    .ok_or_else(email_conflict)?;
    Ok(json(
        actix_web::http::StatusCode::CREATED,
        &ContactOut::from(created),
    ))
}

/// Change a contact's email, name or status. Needs a Read and Write key.
#[utoipa::path(
    patch, path = "/api/v1/contacts/{id}", tag = "contacts", security(("bearer" = [])),
    params(("id" = String, Path, description = "The contact's id")),
    request_body(content = ContactIn, content_type = "application/json"),
    responses(
        (status = 200, description = "Updated", body = ContactOut),
        (status = 400, description = "The body is not a JSON object", body = ErrorBody),
        (status = 401, description = "Invalid key", body = ErrorBody),
        (status = 403, description = "The key is Read Only, or the app's scope is contacts:read", body = ErrorBody),
        (status = 404, description = "No such contact in the key's workspace", body = ErrorBody),
        (status = 409, description = "The email is taken", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
        (status = 429, description = "Too many invalid keys from this client", body = ErrorBody),
    )
)]
pub async fn update_contact(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require_write()?;
    let f = parse_contact_body(&req, &body, false)?;
    let current = load_contact(&state, &caller, path.into_inner()).await?;
    let email = f
        .email
        .map(|e| e.as_str().to_owned())
        .unwrap_or_else(|| current.email.clone());
    let name = f
        .name
        .map(|n| n.as_str().to_owned())
        .unwrap_or_else(|| current.name.clone());
    let status = f
        .status
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|| current.status.clone());
    let (ws, id, now, pid) = (
        caller.key.workspace_id,
        current.id,
        state.clock.now(),
        current.public_id.clone(),
    );
    let updated = run_db(&state.pool, move |c| {
        c.write_transaction::<_, crate::error::AppError, _>(|c| {
            if contacts::email_taken(c, ws, &email, Some(id))? {
                return Ok(None);
            }
            contacts::update(c, id, &email, &name, &status, now)?;
            Ok(contacts::find(c, ws, &pid)?)
        })
    })
    .await?
    .ok_or_else(email_conflict)?;
    Ok(json(
        actix_web::http::StatusCode::OK,
        &ContactOut::from(updated),
    ))
}

/// Delete a contact. Needs a Read and Write key.
#[utoipa::path(
    delete, path = "/api/v1/contacts/{id}", tag = "contacts", security(("bearer" = [])),
    params(("id" = String, Path, description = "The contact's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Invalid key", body = ErrorBody),
        (status = 403, description = "The key is Read Only, or the app's scope is contacts:read", body = ErrorBody),
        (status = 404, description = "No such contact in the key's workspace", body = ErrorBody),
        (status = 429, description = "Too many invalid keys from this client", body = ErrorBody),
    )
)]
pub async fn delete_contact(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require_write()?;
    let current = load_contact(&state, &caller, path.into_inner()).await?;
    run_db(&state.pool, move |c| Ok(contacts::delete(c, current.id)?)).await?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// The OpenAPI 3 document of this API.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("application/json")
        .body(crate::api::openapi::document_json())
}

/// Any other path under /api: a JSON 404, not an HTML page.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(
        "No such API endpoint. See /api/v1/openapi.json.",
    ))
}
