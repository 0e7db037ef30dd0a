//! One typed error for every request path. It renders as a full error page, or (when the request
//! came from htmx; see `middleware::htmx_errors`) as a toast swapped into the page.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::views::ErrorPage;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not signed in")]
    Unauthenticated,
    #[error("page not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("the form has expired or did not come from this site; reload the page and try again")]
    Csrf,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    /// A known URL asked with a method it does not answer; holds the `Allow` header value.
    #[error("this page does not answer that kind of request")]
    MethodNotAllowed(String),
    #[error("too many attempts; try again in {} minutes", retry_after_secs.div_ceil(60))]
    TooManyRequests { retry_after_secs: u64 },
    #[error("This search took too long. Narrow it: type more of the name, or filter by workspace, owner or status.")]
    TooSlow,
    #[error("The server is busy. Try again in a moment.")]
    Unavailable(anyhow::Error),
    #[error("something went wrong on our side")]
    Internal(#[from] anyhow::Error),
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound,
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<crate::db::Unavailable> for AppError {
    fn from(e: crate::db::Unavailable) -> Self {
        AppError::Unavailable(e.0)
    }
}

/// A service's refusal as the console shows it. (Handlers that can show a form again match
/// `Invalid` themselves first.)
impl From<crate::services::Error> for AppError {
    fn from(e: crate::services::Error) -> Self {
        use crate::services::Error as E;
        match e {
            E::NotFound => AppError::NotFound,
            E::Forbidden(m) => AppError::Forbidden(m),
            E::Conflict(m) => AppError::Conflict(m),
            E::Taken(f) => AppError::Conflict(f.message),
            invalid @ E::Invalid(_) => AppError::BadRequest(invalid.to_string()),
            E::TooSlow => AppError::TooSlow,
            E::Unavailable(e) => AppError::Unavailable(e),
            E::Database(d) => AppError::Internal(anyhow::Error::new(d)),
            E::Internal(e) => AppError::Internal(e),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(anyhow::anyhow!("template failed to render: {e}"))
    }
}

impl AppError {
    pub fn title(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "Sign in required",
            AppError::NotFound => "Not found",
            AppError::Forbidden(_) => "Not allowed",
            AppError::Csrf => "Form expired",
            AppError::BadRequest(_) => "Bad request",
            AppError::Conflict(_) => "Conflict",
            AppError::MethodNotAllowed(_) => "Method not allowed",
            AppError::TooManyRequests { .. } => "Too many attempts",
            AppError::TooSlow => "This search took too long",
            AppError::Unavailable(_) => "Busy",
            AppError::Internal(_) => "Something went wrong",
        }
    }

    /// What the person is told: never internal details.
    pub fn public_message(&self) -> String {
        self.to_string()
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::SEE_OTHER,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooSlow | AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(e) => tracing::error!(error = %format!("{e:#}"), "internal error"),
            AppError::Unavailable(e) => tracing::warn!(error = %format!("{e:#}"), "busy"),
            AppError::TooSlow => tracing::warn!("a console statement ran past its time budget"),
            _ => {}
        }
        let mut builder = HttpResponse::build(self.status_code());
        builder.insert_header((header::CACHE_CONTROL, "no-store"));
        if let AppError::Unauthenticated = self {
            return builder.insert_header((header::LOCATION, "/login")).finish();
        }
        if let AppError::TooManyRequests { retry_after_secs } = self {
            builder.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let AppError::Unavailable(_) = self {
            builder.insert_header((header::RETRY_AFTER, "1"));
        }
        if let AppError::MethodNotAllowed(allow) = self {
            builder.insert_header((header::ALLOW, allow.as_str()));
        }
        let page = ErrorPage::new(
            self.title(),
            self.public_message(),
            self.status_code().as_u16(),
        );
        match page.render() {
            Ok(body) => builder.content_type(crate::views::HTML).body(body),
            Err(_) => builder
                .content_type("text/plain; charset=utf-8")
                .body(self.public_message()),
        }
    }
}
