//! `/api/v1/contacts`: a workspace's contacts, read with any key, changed with a Read and Write
//! key (or an app with `contacts:write`).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::json;
use crate::api::caller::ApiCaller;
use crate::api::error::{ApiError, ErrorBody};
use crate::app::AppState;
use crate::db::{run_db, run_db_short};
use crate::domain::account::EmailAddress;
use crate::domain::contact::{ContactName, ContactStatus};
use crate::domain::format::rfc3339;
use crate::domain::FieldError;
use crate::models::contacts::Contact;
use crate::services::contacts::{self, ContactFields};

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
            status: c.status.as_str().to_owned(),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

/// A page of contacts. Pages are read by cursor: pass `next_cursor` as `cursor` for the next
/// one (every page costs the same, however deep). There is no total: counting a big list on
/// every page is what made pages slow.
#[derive(Serialize, ToSchema)]
pub struct ContactList {
    pub data: Vec<ContactOut>,
    pub limit: i64,
    /// The `cursor` of the next page, or null on the last page. Opaque.
    pub next_cursor: Option<String>,
}

/// Kept as text so that a bad value gets a field-named 422, not a generic 400.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1 to 100 (default 25).
    #[param(value_type = i64, required = false, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Where the page starts: the `next_cursor` of the previous page (none for the first).
    #[param(value_type = String, required = false, min_length = 1)]
    pub cursor: Option<String>,
    /// No longer read: pages are read by `cursor`. Sending it is an error, so that a client
    /// written for offsets does not read the first page forever.
    #[param(value_type = i64, required = false)]
    #[deprecated = "pages are read by `cursor`"]
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
        (status = 403, description = "The app's scope has no contacts:read", body = ErrorBody),
        (status = 422, description = "A query parameter is invalid", body = ErrorBody),
        (status = 429, description = "Too many invalid keys from this client", body = ErrorBody),
    )
)]
pub async fn list(
    caller: ApiCaller,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require_read()?;
    let limit = query_number("limit", q.limit.as_deref(), 25, 1, 100)?;
    #[allow(deprecated)]
    if q.offset.as_deref().is_some_and(|o| !o.is_empty()) {
        return Err(FieldError::new(
            "offset",
            "Pages are read with `cursor`: pass the `next_cursor` of the previous page.",
        )
        .into());
    }
    let cursor = q.cursor.clone().filter(|c| !c.is_empty());
    let email = match q.email.as_deref() {
        None | Some("") => None,
        Some(e) => Some(EmailAddress::parse(e)?),
    };
    let ws = caller.workspace_id();
    let (rows, more) = run_db_short(&state.api_pool, move |c| {
        contacts::list(c, ws, email.as_ref(), limit, cursor.as_deref())
    })
    .await?;
    let next_cursor = more
        .then(|| rows.last().map(|c| c.public_id.clone()))
        .flatten();
    Ok(json(
        StatusCode::OK,
        &ContactList {
            data: rows.into_iter().map(ContactOut::from).collect(),
            limit,
            next_cursor,
        },
    ))
}

/// One contact.
#[utoipa::path(
    get, path = "/api/v1/contacts/{id}", tag = "contacts", security(("bearer" = [])),
    params(("id" = String, Path, description = "The contact's id")),
    responses(
        (status = 200, description = "The contact", body = ContactOut),
        (status = 401, description = "Invalid key", body = ErrorBody),
        (status = 403, description = "The app's scope has no contacts:read", body = ErrorBody),
        (status = 404, description = "No such contact in the key's workspace", body = ErrorBody),
        (status = 429, description = "Too many invalid keys from this client", body = ErrorBody),
    )
)]
pub async fn get(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require_read()?;
    let (ws, id) = (caller.workspace_id(), path.into_inner());
    let contact = run_db_short(&state.api_pool, move |c| contacts::get(c, ws, &id)).await?;
    Ok(json(StatusCode::OK, &ContactOut::from(contact)))
}

/// The body of POST and PATCH. Unknown fields are refused; a field that is sent must not be null.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactIn {
    /// Required on POST.
    #[serde(default, deserialize_with = "super::body::present")]
    #[schema(value_type = String, required = false, format = Email, min_length = 3, max_length = 254)]
    email: Option<String>,
    #[serde(default, deserialize_with = "super::body::present")]
    #[schema(value_type = String, required = false, max_length = 200)]
    name: Option<String>,
    /// `subscribed` (the default), `unsubscribed` or `bounced`.
    #[serde(default, deserialize_with = "super::body::present")]
    #[schema(value_type = ContactStatusName, required = false)]
    status: Option<String>,
}

/// A contact's status.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // the schema of `ContactIn::status`; the text is parsed as `ContactStatus`
pub enum ContactStatusName {
    Subscribed,
    Unsubscribed,
    Bounced,
}

/// Reads a body into `ContactIn`; every error names its field.
fn read_body(req: &HttpRequest, body: &[u8]) -> Result<ContactFields, ApiError> {
    let input: ContactIn = super::body::read(
        req,
        body,
        &[
            ("email", "a string"),
            ("name", "a string"),
            ("status", "a string"),
        ],
    )?;
    Ok(ContactFields {
        email: input
            .email
            .as_deref()
            .map(EmailAddress::parse)
            .transpose()?,
        name: input.name.as_deref().map(ContactName::parse).transpose()?,
        status: input
            .status
            .as_deref()
            .map(ContactStatus::parse)
            .transpose()?,
    })
}

/// Create a contact. Needs a Read and Write key.
#[utoipa::path(
    post, path = "/api/v1/contacts", tag = "contacts", security(("bearer" = [])),
    request_body(content = ContactIn, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = ContactOut),
        (status = 400, description = "The body is not a JSON object", body = ErrorBody),
        (status = 401, description = "Invalid key", body = ErrorBody),
        (status = 403, description = "The key is Read Only, or the app's scope has no contacts:write", body = ErrorBody),
        (status = 409, description = "The email is taken", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
        (status = 429, description = "Too many invalid keys from this client", body = ErrorBody),
    )
)]
pub async fn create(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require_write()?;
    let fields = read_body(&req, &body)?;
    if fields.email.is_none() {
        return Err(FieldError::new("email", "Required.").into());
    }
    let (ws, now) = (caller.workspace_id(), state.clock.now());
    let created = run_db(&state.api_pool, move |c| {
        contacts::create(c, ws, fields, now)
    })
    .await?;
    Ok(json(StatusCode::CREATED, &ContactOut::from(created)))
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
        (status = 403, description = "The key is Read Only, or the app's scope has no contacts:write", body = ErrorBody),
        (status = 404, description = "No such contact in the key's workspace", body = ErrorBody),
        (status = 409, description = "The email is taken", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
        (status = 429, description = "Too many invalid keys from this client", body = ErrorBody),
    )
)]
pub async fn update(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require_write()?;
    let fields = read_body(&req, &body)?;
    let (ws, id, now) = (caller.workspace_id(), path.into_inner(), state.clock.now());
    let updated = run_db(&state.api_pool, move |c| {
        contacts::update(c, ws, &id, fields, now)
    })
    .await?;
    Ok(json(StatusCode::OK, &ContactOut::from(updated)))
}

/// Delete a contact. Needs a Read and Write key.
#[utoipa::path(
    delete, path = "/api/v1/contacts/{id}", tag = "contacts", security(("bearer" = [])),
    params(("id" = String, Path, description = "The contact's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Invalid key", body = ErrorBody),
        (status = 403, description = "The key is Read Only, or the app's scope has no contacts:write", body = ErrorBody),
        (status = 404, description = "No such contact in the key's workspace", body = ErrorBody),
        (status = 429, description = "Too many invalid keys from this client", body = ErrorBody),
    )
)]
pub async fn delete(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require_write()?;
    let (ws, id) = (caller.workspace_id(), path.into_inner());
    run_db(&state.api_pool, move |c| contacts::delete(c, ws, &id)).await?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}
