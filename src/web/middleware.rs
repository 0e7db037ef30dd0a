//! Cross-cutting request handling: request logs, security headers, same-origin checks on unsafe
//! methods, and htmx-friendly error rendering.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use askama::Template;
use tracing::Instrument;

use super::error::AppError;
use crate::domain::ids::random_base62;

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'";

/// One structured log line per request: id, method, path (never the query string, which may hold
/// a one-time setup token), status and latency. Headers, cookies and bodies are never logged. The
/// latency also goes to the metrics (by route pattern, never the raw path) and to the
/// `Server-Timing` header.
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = random_base62(16);
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let span =
        tracing::info_span!("request", request_id = %request_id, method = %method, path = %path);
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let _entered = span.enter();
    match result {
        Ok(mut res) => {
            let status = res.status().as_u16();
            tracing::info!(status, latency_ms = format!("{latency_ms:.2}"), "request");
            let route = res.request().match_pattern();
            crate::telemetry::metrics::request(
                &method,
                route.as_deref().unwrap_or("unmatched"),
                status,
                latency_ms / 1000.0,
            );
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                res.headers_mut()
                    .insert(HeaderName::from_static("x-request-id"), v);
            }
            if let Ok(v) = HeaderValue::from_str(&format!("app;dur={latency_ms:.3}")) {
                res.headers_mut()
                    .insert(HeaderName::from_static("server-timing"), v);
            }
            Ok(res)
        }
        Err(e) => {
            tracing::warn!(latency_ms = format!("{latency_ms:.2}"), error = %e, "request failed");
            Err(e)
        }
    }
}

/// Security headers on every response (errors, 404s and 405s included), a charset on every text
/// type, and no server banner. No route answers TRACE or CONNECT, so they get 405 with `Allow`.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let mut res = next.call(req).await?.map_into_boxed_body();
    let h = res.headers_mut();
    // `identity` only told the response compressor to leave a body alone (`views::no_store`,
    // static files); it is not sent.
    if h.get(header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"identity"))
    {
        h.remove(header::CONTENT_ENCODING);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.remove(header::SERVER);
    if let Some(ct) = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        if ct.starts_with("text/") && !ct.contains("charset") {
            let with = format!("{ct}; charset=utf-8");
            if let Ok(v) = HeaderValue::from_str(&with) {
                h.insert(header::CONTENT_TYPE, v);
            }
        }
    }
    Ok(res)
}

/// Unsafe methods from a browser must come from this site: `Sec-Fetch-Site` (when sent) must be
/// `same-origin` or `none`, and `Origin` (when sent) must match the Host. The CSRF token is checked
/// as well, by `CsrfForm`.
/// A call with a rate-limited key answers where the key stands: `RateLimit-Limit`,
/// `RateLimit-Remaining` and `RateLimit-Reset` (seconds until its bucket is full), so a client can
/// slow down before it meets a 429 (which carries them too, with `Retry-After`).
pub async fn rate_limit_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let mut res = next.call(req).await?.map_into_boxed_body();
    let standing = res
        .request()
        .extensions()
        .get::<crate::domain::restrictions::Standing>()
        .copied();
    if let Some(s) = standing {
        let h = res.headers_mut();
        if !h.contains_key(RATELIMIT_LIMIT) {
            h.insert(RATELIMIT_LIMIT, s.limit.into());
            h.insert(RATELIMIT_REMAINING, s.remaining.into());
            h.insert(RATELIMIT_RESET, s.reset.into());
        }
    }
    Ok(res)
}

/// The IETF draft's rate-limit fields (names made once, values from integers: no parsing per call).
pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

pub async fn same_origin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let machine = req.path().starts_with("/api/")
        || req.path() == "/oauth/token"
        || req.path() == "/oauth/revoke";
    if unsafe_method && !machine && !origin_ok(&req) {
        tracing::warn!("cross-site request refused");
        return Ok(req.error_response(AppError::Csrf));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn origin_ok(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return false;
        }
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some("null") => false,
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let origin_host = origin
                .split_once("://")
                .map(|(_, rest)| rest)
                .unwrap_or(origin);
            !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
        }
    }
}

#[derive(Template)]
#[template(path = "partials/_toast.html")]
struct Toast<'a> {
    title: &'a str,
    message: String,
    status: u16,
}

/// htmx requests get errors as a toast swapped into `#toast` (or a client-side redirect to the
/// sign-in page), instead of a whole error page inside a panel.
pub async fn htmx_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let is_htmx = req.headers().contains_key("hx-request");
    let res = next.call(req).await?.map_into_boxed_body();
    if !is_htmx {
        return Ok(res);
    }
    let Some(app_error) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
    else {
        return Ok(res);
    };
    let replacement = match app_error {
        AppError::Unauthenticated => HttpResponse::Ok()
            .insert_header(("HX-Redirect", "/login"))
            .finish(),
        other => {
            let toast = Toast {
                title: other.title(),
                message: other.public_message(),
                status: other.status_code().as_u16(),
            };
            let body = toast.render().unwrap_or_else(|_| other.public_message());
            let mut builder = HttpResponse::build(other.status_code());
            builder
                .insert_header((header::CONTENT_TYPE, crate::views::HTML))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header(("HX-Retarget", "#toast"))
                .insert_header(("HX-Reswap", "innerHTML"));
            if let Some(ra) = res.headers().get(header::RETRY_AFTER) {
                builder.insert_header((header::RETRY_AFTER, ra.clone()));
            }
            builder.body(body)
        }
    };
    // The session middleware sits outside this one, so the session cookie is still set.
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, replacement))
}
