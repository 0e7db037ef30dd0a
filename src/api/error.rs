//! JSON errors of the API. Every 401 has the same body, whatever the cause.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use bytes::Bytes;
use serde::Serialize;
use std::cell::RefCell;
use utoipa::ToSchema;

use crate::domain::FieldError;

/// `{"error": {"code": …, "message": …, "field": …}}`
#[derive(Serialize, ToSchema, Debug)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct ErrorDetail {
    /// A stable, machine-readable code: `unauthorized`, `insufficient_access`,
    /// `insufficient_scope`, `not_found`, `method_not_allowed`, `invalid_json`, `invalid_field`,
    /// `unsupported_media_type`, `conflict`, `rate_limited`, `too_large`, `invalid_signature`,
    /// `unavailable`, `internal`.
    pub code: &'static str,
    /// What happened and what to do, for a person.
    pub message: String,
    /// The request field at fault, for `invalid_field` and `conflict`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

pub const UNAUTHORIZED_MESSAGE: &str =
    "A valid API key is required. Send it as the header `Authorization: Bearer <key>`.";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("unauthorized")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    BadJson(String),
    #[error("{0}")]
    InvalidField(FieldError),
    #[error("{0}")]
    Conflict(FieldError),
    /// An app's access token whose scope does not cover the request (RFC 6750 section 3.1).
    #[error("{message}")]
    InsufficientScope {
        message: &'static str,
        /// The scope the request needs.
        scope: &'static str,
    },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A known endpoint asked with a method it does not answer; holds the `Allow` header value.
    #[error("method not allowed")]
    MethodNotAllowed(String),
    #[error("rate limited")]
    TooManyRequests(u64),
    /// A key over its requests-per-minute limit.
    #[error("key rate limited")]
    KeyRateLimited { limit: u32, retry_after: u64 },
    /// A body over the endpoint's limit.
    #[error("too large")]
    TooLarge(&'static str),
    /// A signed request whose signature is missing or does not verify.
    #[error("{0}")]
    BadSignature(&'static str),
    /// No database connection came free in time: retry shortly.
    #[error("unavailable: {0}")]
    Unavailable(anyhow::Error),
    #[error("internal: {0}")]
    Internal(anyhow::Error),
}

impl From<crate::services::Error> for ApiError {
    fn from(e: crate::services::Error) -> Self {
        use crate::services::Error as E;
        match e {
            E::NotFound => ApiError::NotFound("Not found."),
            E::Forbidden(m) => ApiError::Forbidden(m),
            E::Conflict(m) => ApiError::Conflict(FieldError::new("body", m)),
            E::Taken(f) => ApiError::Conflict(f),
            E::Invalid(mut errors) if !errors.is_empty() => {
                ApiError::InvalidField(errors.swap_remove(0))
            }
            E::Invalid(_) => ApiError::BadJson("The request is not valid.".into()),
            E::TooSlow => ApiError::Unavailable(anyhow::anyhow!("a statement ran past its budget")),
            E::Unavailable(e) => ApiError::Unavailable(e),
            E::Database(d) => ApiError::Internal(d.into()),
            E::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<crate::db::Unavailable> for ApiError {
    fn from(e: crate::db::Unavailable) -> Self {
        ApiError::Unavailable(e.0)
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::InvalidField(e)
    }
}

impl ApiError {
    /// The JSON body, written into a sized buffer.
    fn body(&self) -> Bytes {
        let mut body = Vec::with_capacity(160);
        let detail = ErrorBody {
            error: self.detail(),
        };
        if serde_json::to_writer(&mut body, &detail).is_err() {
            // Serialising these plain strings cannot fail; an empty body rather than a panic.
            body.clear();
        }
        Bytes::from(body)
    }

    fn detail(&self) -> ErrorDetail {
        let (code, message, field) = match self {
            ApiError::Unauthorized => ("unauthorized", UNAUTHORIZED_MESSAGE.to_owned(), None),
            ApiError::Forbidden(m) => ("insufficient_access", (*m).to_owned(), None),
            ApiError::NotFound(m) => ("not_found", (*m).to_owned(), None),
            ApiError::BadJson(m) => ("invalid_json", m.clone(), None),
            ApiError::InvalidField(e) => ("invalid_field", e.message.clone(), Some(e.field)),
            ApiError::Conflict(e) => ("conflict", e.message.clone(), Some(e.field)),
            ApiError::InsufficientScope { message, .. } => {
                ("insufficient_scope", (*message).to_owned(), None)
            }
            ApiError::UnsupportedMediaType => (
                "unsupported_media_type",
                "Send the body as JSON, with the header `Content-Type: application/json`."
                    .to_owned(),
                Some("body"),
            ),
            ApiError::MethodNotAllowed(allow) => (
                "method_not_allowed",
                format!("This endpoint answers {allow} only."),
                None,
            ),
            ApiError::TooManyRequests(s) => (
                "rate_limited",
                format!("Too many requests with invalid API keys. Retry after {s} seconds."),
                None,
            ),
            ApiError::KeyRateLimited { limit, retry_after } => (
                "rate_limited",
                format!("This key may make {limit} requests a minute. Retry after {retry_after} seconds."),
                None,
            ),
            ApiError::TooLarge(m) => ("too_large", (*m).to_owned(), Some("body")),
            ApiError::BadSignature(m) => ("invalid_signature", (*m).to_owned(), None),
            ApiError::Unavailable(_) => (
                "unavailable",
                "The service is busy. Retry in a second.".to_owned(),
                None,
            ),
            ApiError::Internal(_) => (
                "internal",
                "Something went wrong on our side. Try again.".to_owned(),
                None,
            ),
        };
        ErrorDetail {
            code,
            message,
            field,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadJson(_) => StatusCode::BAD_REQUEST,
            ApiError::InvalidField(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::KeyRateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BadSignature(_) => StatusCode::UNAUTHORIZED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Built straight into the response's header map, with constant values where there are
    /// some: a refusal is the answer a client over its rate limit gets thousands of times a
    /// second, so it costs about what a working call does.
    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "internal API error")
            }
            ApiError::Unavailable(e) => tracing::warn!(error = %format!("{e:#}"), "API busy"),
            _ => {}
        }
        if let ApiError::KeyRateLimited { limit, retry_after } = *self {
            return key_refusal(limit, retry_after);
        }
        let mut res =
            HttpResponse::with_body(self.status_code(), self.body()).map_into_boxed_body();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, JSON);
        h.insert(header::CACHE_CONTROL, NO_STORE);
        match self {
            // RFC 6750 section 3: one and the same challenge for every kind of bad token.
            ApiError::Unauthorized => {
                h.insert(header::WWW_AUTHENTICATE, INVALID_TOKEN);
            }
            ApiError::InsufficientScope { scope, .. } => {
                let challenge = format!(
                    "Bearer realm=\"Mailrith API\", error=\"insufficient_scope\", scope=\"{scope}\""
                );
                if let Ok(v) = HeaderValue::try_from(challenge) {
                    h.insert(header::WWW_AUTHENTICATE, v);
                }
            }
            ApiError::MethodNotAllowed(allow) => {
                if let Ok(v) = HeaderValue::try_from(allow.as_str()) {
                    h.insert(header::ALLOW, v);
                }
            }
            ApiError::TooManyRequests(s) => {
                h.insert(header::RETRY_AFTER, HeaderValue::from(*s));
            }
            ApiError::Unavailable(_) => {
                h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        res
    }
}

/// The parts of a key's 429 that depend on its limit and wait. A client over its limit gets the
/// same refusal thousands of times a second (the wait counts down in whole seconds), so each
/// worker thread keeps the last one it wrote and the response is then only assembled.
#[derive(Clone)]
struct Refusal {
    limit: u32,
    retry_after: u64,
    body: Bytes,
    limit_value: HeaderValue,
    after: HeaderValue,
}

thread_local! {
    static LAST_REFUSAL: RefCell<Option<Refusal>> = const { RefCell::new(None) };
}

/// 429 for a key over its requests-per-minute limit: RFC 9110 `Retry-After`, and the
/// `RateLimit-*` fields of the IETF draft.
fn key_refusal(limit: u32, retry_after: u64) -> HttpResponse {
    use crate::web::middleware::{RATELIMIT_LIMIT, RATELIMIT_REMAINING, RATELIMIT_RESET};
    let r = LAST_REFUSAL.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some(r) if r.limit == limit && r.retry_after == retry_after => r.clone(),
            _ => {
                let r = Refusal {
                    limit,
                    retry_after,
                    body: ApiError::KeyRateLimited { limit, retry_after }.body(),
                    limit_value: HeaderValue::from(limit),
                    after: HeaderValue::from(retry_after),
                };
                *last = Some(r.clone());
                r
            }
        }
    });
    let mut res =
        HttpResponse::with_body(StatusCode::TOO_MANY_REQUESTS, r.body).map_into_boxed_body();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, JSON);
    h.insert(header::CACHE_CONTROL, NO_STORE);
    h.insert(header::RETRY_AFTER, r.after.clone());
    h.insert(RATELIMIT_LIMIT, r.limit_value);
    h.insert(RATELIMIT_REMAINING, HeaderValue::from_static("0"));
    h.insert(RATELIMIT_RESET, r.after);
    res
}

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
const INVALID_TOKEN: HeaderValue =
    HeaderValue::from_static("Bearer realm=\"Mailrith API\", error=\"invalid_token\"");

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    /// What the refusal says, written afresh: the kept one must never be another key's.
    fn check(res: HttpResponse, limit: u32, retry_after: u64) {
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let h = res.headers();
        let text = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        assert_eq!(text("retry-after"), Some(retry_after.to_string()));
        assert_eq!(text("ratelimit-limit"), Some(limit.to_string()));
        assert_eq!(text("ratelimit-remaining").as_deref(), Some("0"));
        assert_eq!(text("ratelimit-reset"), Some(retry_after.to_string()));
        assert_eq!(text("content-type").as_deref(), Some("application/json"));
        assert_eq!(text("cache-control").as_deref(), Some("no-store"));
        let Ok(body) = res.into_body().try_into_bytes() else {
            panic!("the refusal's body is not in memory");
        };
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"]["code"], "rate_limited");
        assert_eq!(
            json["error"]["message"],
            format!(
                "This key may make {limit} requests a minute. Retry after {retry_after} seconds."
            )
        );
    }

    #[test]
    fn a_kept_refusal_is_only_reused_for_the_same_limit_and_wait() {
        for (limit, retry_after) in [
            (60, 9),
            (60, 9),
            (60, 8),
            (1, 8),
            (1, 8),
            (100_000, 1),
            (60, 9),
        ] {
            let e = ApiError::KeyRateLimited { limit, retry_after };
            check(e.error_response(), limit, retry_after);
        }
    }
}
