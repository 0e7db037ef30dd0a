//! Askama page structs. Views hold ready-to-show values; templates only lay them out.

pub mod api_keys;
pub mod apps;
pub mod auth;
pub mod developers;
pub mod settings;
pub mod team;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use time::PrimitiveDateTime;

use crate::error::AppError;
use crate::models::users::User;
use crate::static_files;

pub const HTML: &str = "text/html; charset=utf-8";

/// What every page's layout needs.
pub struct PageContext {
    pub csrf: String,
    pub user: Option<UserSummary>,
    pub flash: Option<String>,
    /// The Settings tab shown (`profile`, `api-keys`, ...), for the tab bar.
    pub tab: &'static str,
    pub css: &'static str,
    pub js: &'static str,
    pub htmx: &'static str,
}

pub struct UserSummary {
    pub name: String,
    pub email: String,
    pub is_admin: bool,
}

impl PageContext {
    pub fn with_tab(mut self, tab: &'static str) -> Self {
        self.tab = tab;
        self
    }

    pub fn new(csrf: String, user: Option<&User>, flash: Option<String>) -> Self {
        Self {
            csrf,
            user: user.map(|u| UserSummary {
                name: u.name.clone(),
                email: u.email.clone(),
                is_admin: u.is_admin,
            }),
            flash,
            tab: "",
            css: static_files::url("app.css"),
            js: static_files::url("app.js"),
            htmx: static_files::url("vendor/htmx-2.0.11.min.js"),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: &'static str,
    pub message: String,
    pub status: u16,
}

/// An htmx request that wants a fragment (not a history restore, which needs the whole page).
pub fn wants_partial(req: &HttpRequest) -> bool {
    let h = req.headers();
    h.contains_key("hx-request") && !h.contains_key("hx-history-restore-request")
}

/// A rendered HTML response. Pages vary on `HX-Request` since the same URL serves a fragment.
pub fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, HTML))
        .insert_header((header::VARY, "HX-Request"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

pub fn render<T: Template>(t: &T) -> Result<HttpResponse, AppError> {
    Ok(html(actix_web::http::StatusCode::OK, t.render()?))
}

pub fn render_status<T: Template>(
    status: actix_web::http::StatusCode,
    t: &T,
) -> Result<HttpResponse, AppError> {
    Ok(html(status, t.render()?))
}

/// Renders the `panel` block alone for htmx, the whole page otherwise.
#[macro_export]
macro_rules! render_panel {
    ($req:expr, $page:expr) => {{
        let body = if $crate::views::wants_partial($req) {
            $page.as_panel().render()?
        } else {
            $page.render()?
        };
        Ok::<_, $crate::error::AppError>($crate::views::html(actix_web::http::StatusCode::OK, body))
    }};
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

/// "27 Nov 2026, 14:05 UTC".
pub fn format_time(t: PrimitiveDateTime) -> String {
    let fmt =
        time::macros::format_description!("[day] [month repr:short] [year], [hour]:[minute] UTC");
    t.format(&fmt).unwrap_or_else(|_| t.to_string())
}

pub fn format_date(t: PrimitiveDateTime) -> String {
    let fmt = time::macros::format_description!("[day] [month repr:short] [year]");
    t.format(&fmt).unwrap_or_else(|_| t.to_string())
}

/// A field's error message, if the form had one for it.
#[derive(Default, Debug, Clone)]
pub struct FormErrors(pub Vec<crate::domain::FieldError>);

impl FormErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, e: crate::domain::FieldError) {
        self.0.push(e);
    }
}
