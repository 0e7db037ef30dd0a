//! `/api/v1/keys`: the management API. Only an authorized app with the scope `keys:manage` may
//! call it, acting as the person who connected it, in its grant's workspace, with that person's
//! permission as it is at each call (see `services::api_keys::delegated`). A plain API key never
//! manages keys. Secrets appear only in the answers of create and rotate.

mod input;
mod write;

pub use input::{KeyCreateIn, KeyPatchIn, KeyRotateIn};
pub use write::*;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::json;
use super::key::WorkspaceRef;
use crate::api::auth::Caller;
use crate::api::caller::ApiCaller;
use crate::api::error::{ApiError, ErrorBody};
use crate::app::AppState;
use crate::db::run_db;
use crate::domain::format::rfc3339;
use crate::domain::key::{AccessLevel, StatusFilter};
use crate::domain::search::{KeyQuery, KeyQueryParams, Position, SortKey};
use crate::domain::FieldError;
use crate::models::api_keys::KeyListing;
use crate::services::api_keys::delegated::{self, Delegation};
use crate::web::client_ip::client_ip;

/// Who a management call acts for: 403 for an API key, and for an app without `keys:manage`.
pub(super) fn delegation(
    caller: &ApiCaller,
    req: &HttpRequest,
    state: &AppState,
) -> Result<Delegation, ApiError> {
    match &caller.0 {
        Caller::Key(_) => Err(ApiError::Forbidden(
            "API keys cannot manage API keys. Use an authorized app with the scope keys:manage, connected by someone with API Keys: Manage.",
        )),
        Caller::App(a) if !a.scope.manage_keys => Err(ApiError::InsufficientScope {
            message: "This access token's scope does not include keys:manage. Ask someone with API Keys: Manage to connect the app again with the scope keys:manage.",
            scope: "keys:manage",
        }),
        Caller::App(a) => Ok(Delegation {
            grant: a.grant_public_id.clone(),
            user: a.user,
            workspace: a.workspace_id,
            app: a.app.clone(),
            ip: client_ip(req, &state.settings.trusted_proxies),
            now: state.clock.now(),
        }),
    }
}

#[derive(Serialize, ToSchema)]
pub struct OwnerRef {
    /// The member's public id (`usr_…`).
    pub id: String,
    pub name: String,
    pub email: String,
}

/// An API key as the management API shows it: never its secret or hash.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyOut {
    /// The key's public id (`key_…`).
    pub id: String,
    pub name: String,
    pub purpose: String,
    pub workspace: WorkspaceRef,
    /// Null when the key has no owner.
    pub owner: Option<OwnerRef>,
    /// The owner left the workspace or was disabled: someone must take the key over.
    pub owner_removed: bool,
    /// `read_only` or `read_write`.
    pub access_level: String,
    /// `active`, `expired` or `revoked`.
    pub status: String,
    /// `mlr_…` and the secret's last 4 characters.
    pub hint: String,
    pub created_at: String,
    /// The authorized app that created the key, if one did.
    pub created_via: Option<String>,
    /// Null when the key never expires.
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub rotated_at: Option<String>,
    pub revoked_at: Option<String>,
    /// After a rotation with an overlap: until when the old secret still works.
    pub old_secret_works_until: Option<String>,
    /// The addresses and CIDR ranges the key may be used from; empty for any.
    pub allowed_ips: Vec<String>,
    /// Null for no limit.
    pub rate_limit_per_minute: Option<i32>,
    /// Successful requests in the last 7 days (UTC days), as of the last usage flush.
    pub requests_7d: i64,
    /// When a secret scanner reported the key public, if one did.
    pub leaked_at: Option<String>,
}

impl ApiKeyOut {
    pub fn new(l: KeyListing, now: time::PrimitiveDateTime) -> Self {
        let k = &l.key;
        Self {
            id: k.public_id.clone(),
            name: k.name.clone(),
            purpose: k.purpose.clone(),
            workspace: WorkspaceRef {
                id: l.workspace_public_id.clone(),
                name: l.workspace_name.clone(),
            },
            owner: match (&l.owner_public_id, &l.owner_name, &l.owner_email) {
                (Some(id), Some(name), Some(email)) => Some(OwnerRef {
                    id: id.clone(),
                    name: name.clone(),
                    email: email.clone(),
                }),
                _ => None,
            },
            owner_removed: l.owner_removed,
            access_level: k.access_level.as_str().to_owned(),
            status: k.status(now).as_str().to_owned(),
            hint: k.hint.clone(),
            created_at: rfc3339(k.created_at),
            created_via: k.created_via.clone(),
            expires_at: k.expires_at.map(rfc3339),
            last_used_at: k.last_used_at.map(rfc3339),
            rotated_at: k.rotated_at.map(rfc3339),
            revoked_at: k.revoked_at.map(rfc3339),
            old_secret_works_until: k.overlap_until(now).map(rfc3339),
            allowed_ips: k
                .allowed_ips
                .as_deref()
                .map(|a| a.split(", ").map(str::to_owned).collect())
                .unwrap_or_default(),
            rate_limit_per_minute: k.rate_limit_per_minute,
            requests_7d: k.requests_7d,
            leaked_at: k.leaked_at.map(rfc3339),
        }
    }
}

/// A page of keys. Pass `next_cursor` as `cursor` for the next one.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyList {
    pub data: Vec<ApiKeyOut>,
    pub limit: i64,
    /// The `cursor` of the next page, or null on the last page. Opaque, and tied to the sort.
    pub next_cursor: Option<String>,
}

/// The console's search, filters and sorts. Kept as text so that a bad value gets a field-named
/// 422.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct KeyListQuery {
    /// Search by name, purpose, owner name or email, or workspace name (case-insensitive; fewer
    /// than 3 characters match the start of a name).
    #[param(value_type = String, required = false, max_length = 200)]
    pub q: Option<String>,
    /// The workspace's id: the app's own (an app reaches one workspace).
    #[param(value_type = String, required = false)]
    pub workspace: Option<String>,
    /// A member's id (`usr_…`), or `removed` for keys whose owner left.
    #[param(value_type = String, required = false)]
    pub owner: Option<String>,
    /// `active`, `expired`, `revoked`, `expiring` (within 7 days) or `unused`.
    #[param(value_type = String, required = false)]
    pub status: Option<String>,
    /// `read_only` or `read_write`.
    #[param(value_type = String, required = false)]
    pub access: Option<String>,
    /// `created` (the default), `name`, `last_used`, `expires` or `used` (requests in 7 days).
    #[param(value_type = String, required = false)]
    pub sort: Option<String>,
    /// `asc` or `desc` (the default: `asc` for `name`, else `desc`).
    #[param(value_type = String, required = false)]
    pub dir: Option<String>,
    /// The `next_cursor` of the previous page (none for the first).
    #[param(value_type = String, required = false)]
    pub cursor: Option<String>,
    /// 1 to 100 (default 25).
    #[param(value_type = i64, required = false, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

fn text(v: &Option<String>) -> String {
    v.as_deref().unwrap_or_default().trim().to_owned()
}

impl KeyListQuery {
    /// The console's query, checked strictly (the console falls back to defaults; an API client
    /// is told what is wrong), and the page size.
    fn parse(&self, workspace: &str) -> Result<(KeyQuery, i64), ApiError> {
        let limit = match text(&self.limit).as_str() {
            "" => 25,
            s => s
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| FieldError::new("limit", "Must be a whole number from 1 to 100."))?,
        };
        let (sort, dir, status, access) = (
            text(&self.sort),
            text(&self.dir),
            text(&self.status),
            text(&self.access),
        );
        let key = match sort.as_str() {
            "" => SortKey::Created,
            s => SortKey::parse(s).ok_or_else(|| {
                FieldError::new("sort", "Use created, name, last_used, expires or used.")
            })?,
        };
        if !matches!(dir.as_str(), "" | "asc" | "desc") {
            return Err(FieldError::new("dir", "Use asc or desc.").into());
        }
        if !status.is_empty() && StatusFilter::parse(&status).is_none() {
            let e = "Use active, expired, revoked, expiring or unused.";
            return Err(FieldError::new("status", e).into());
        }
        if !access.is_empty() && AccessLevel::parse(&access).is_err() {
            return Err(FieldError::new("access", "Use read_only or read_write.").into());
        }
        let ws = text(&self.workspace);
        if !ws.is_empty() && ws != workspace {
            let e = format!("This app reaches one workspace: {workspace}.");
            return Err(FieldError::new("workspace", e).into());
        }
        let q = text(&self.q);
        if q.chars().count() > 200 {
            return Err(FieldError::new("q", "Search with at most 200 characters.").into());
        }
        let params = KeyQueryParams {
            q,
            owner: text(&self.owner),
            status,
            access,
            sort,
            dir,
            after: text(&self.cursor),
            ..Default::default()
        };
        let query = KeyQuery::parse(&params);
        let descending = query.descending;
        if !params.after.is_empty()
            && Position::from_cursor(&params.after, key, descending).is_none()
        {
            let e = "Not a cursor of this list and sort: pass the next_cursor of the previous page, with the same sort and dir.";
            return Err(FieldError::new("cursor", e).into());
        }
        Ok((query, limit))
    }
}

/// The keys of the app's workspace, searched, filtered and sorted as in the console.
#[utoipa::path(
    get, path = "/api/v1/keys", operation_id = "list_keys", tag = "keys", security(("oauth" = ["keys:manage"])),
    params(KeyListQuery),
    responses(
        (status = 200, description = "A page of keys", body = ApiKeyList),
        (status = 401, description = "Invalid access token", body = ErrorBody),
        (status = 403, description = "An API key, an app without keys:manage, or a person who may no longer manage keys", body = ErrorBody),
        (status = 422, description = "A query parameter is invalid", body = ErrorBody),
        (status = 429, description = "Too many invalid credentials from this client", body = ErrorBody),
    )
)]
pub async fn list(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    q: web::Query<KeyListQuery>,
) -> Result<HttpResponse, ApiError> {
    let d = delegation(&caller, &req, &state)?;
    let workspace = match &caller.0 {
        Caller::App(a) => a.workspace_public_id.clone(),
        Caller::Key(k) => k.workspace_public_id.clone(),
    };
    let (query, limit) = q.parse(&workspace)?;
    let (sort, descending, now) = (query.sort, query.descending, d.now);
    let batch = run_db(&state.pool, move |c| {
        delegated::list(c, &d, query, limit as usize)
    })
    .await?;
    Ok(json(
        StatusCode::OK,
        &ApiKeyList {
            data: batch
                .keys
                .into_iter()
                .map(|l| ApiKeyOut::new(l, now))
                .collect(),
            limit,
            next_cursor: batch.next.map(|p| p.cursor(sort, descending)),
        },
    ))
}

/// One key of the app's workspace.
#[utoipa::path(
    get, path = "/api/v1/keys/{id}", operation_id = "get_key", tag = "keys", security(("oauth" = ["keys:manage"])),
    params(("id" = String, Path, description = "The key's id (`key_…`)")),
    responses(
        (status = 200, description = "The key", body = ApiKeyOut,
            headers(("ETag" = String, description = "The version of the key's secret: send it as `If-Match` to rotate that secret and no other"))),
        (status = 401, description = "Invalid access token", body = ErrorBody),
        (status = 403, description = "An API key, an app without keys:manage, or a person who may no longer manage keys", body = ErrorBody),
        (status = 404, description = "No such key in the app's workspace", body = ErrorBody),
        (status = 429, description = "Too many invalid credentials from this client", body = ErrorBody),
    )
)]
pub async fn get(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let d = delegation(&caller, &req, &state)?;
    let (id, now) = (path.into_inner(), d.now);
    let m = run_db(&state.pool, move |c| delegated::get(c, &d, &id)).await?;
    Ok(write::key_answer(StatusCode::OK, m, None, now))
}
