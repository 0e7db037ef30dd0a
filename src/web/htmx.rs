//! htmx-aware rendering: ONE path for every page. A page names the fragment an htmx request gets
//! (its panel, its dialog, its results); a full page is sent otherwise, and on a history restore.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use askama::Template;

use super::error::AppError;
use crate::views::HTML;

/// What an htmx request asks for. Absent headers mean a plain browser request.
#[derive(Debug, Clone, Default)]
pub struct HxRequest {
    pub htmx: bool,
    pub history_restore: bool,
    /// The element htmx will swap (`HX-Target`), without `#`.
    pub target: Option<String>,
}

impl HxRequest {
    pub fn of(req: &HttpRequest) -> Self {
        let h = req.headers();
        Self {
            htmx: h.contains_key("hx-request"),
            history_restore: h.contains_key("hx-history-restore-request"),
            target: h
                .get("hx-target")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        }
    }

    /// An htmx request that wants a fragment (a history restore needs the whole page).
    pub fn wants_fragment(&self) -> bool {
        self.htmx && !self.history_restore
    }

    pub fn targets(&self, id: &str) -> bool {
        self.wants_fragment() && self.target.as_deref() == Some(id)
    }
}

impl FromRequest for HxRequest {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

/// A page, and the fragment of it an htmx request gets.
pub trait Page: Template {
    /// The fragment for this request, or `None` for the whole page.
    fn fragment(&self, hx: &HxRequest) -> Option<askama::Result<String>>;
}

/// Implements `Page` for page structs: `page!(ProfilePage => panel)` sends the `panel` block to
/// htmx; `page!(LoginPage)` always sends the whole page.
#[macro_export]
macro_rules! page {
    ($ty:ty) => {
        impl $crate::web::htmx::Page for $ty {
            fn fragment(&self, _: &$crate::web::htmx::HxRequest) -> Option<askama::Result<String>> {
                None
            }
        }
    };
    ($ty:ty => $block:ident) => {
        impl $crate::web::htmx::Page for $ty {
            fn fragment(
                &self,
                hx: &$crate::web::htmx::HxRequest,
            ) -> Option<askama::Result<String>> {
                hx.wants_fragment()
                    .then(|| askama::Template::render(&self.$block()))
            }
        }
    };
}

/// A rendered HTML response. Pages vary on `HX-Request` since the same URL serves a fragment.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, HTML))
        .insert_header((header::VARY, "HX-Request"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// The page, or its fragment for htmx.
pub fn render(
    hx: &HxRequest,
    status: StatusCode,
    page: &impl Page,
) -> Result<HttpResponse, AppError> {
    let body = match page.fragment(hx) {
        Some(fragment) => fragment?,
        None => page.render()?,
    };
    Ok(html(status, body))
}

pub fn ok(hx: &HxRequest, page: &impl Page) -> Result<HttpResponse, AppError> {
    render(hx, StatusCode::OK, page)
}

/// The form again, with its errors.
pub fn invalid(hx: &HxRequest, page: &impl Page) -> Result<HttpResponse, AppError> {
    render(hx, StatusCode::UNPROCESSABLE_ENTITY, page)
}

/// Marks a response that carries a one-time secret (a key, a client secret, an invitation link):
/// never stored by a browser or proxy, and never compressed, so that a compression side channel
/// (BREACH) has nothing to measure. (`identity` stops the compressor; `security_headers` drops
/// the header before it is sent.)
pub fn no_store(mut resp: HttpResponse) -> HttpResponse {
    let h = resp.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store, max-age=0"),
    );
    h.insert(header::PRAGMA, header::HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_ENCODING,
        header::HeaderValue::from_static("identity"),
    );
    resp
}

/// Post/Redirect/Get.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
