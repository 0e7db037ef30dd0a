//! The session, typed: who is signed in, the CSRF token, a flash message, where to return after
//! signing in. `CurrentUser` loads the signed-in person fresh on every request, so a disabled
//! person or a changed role takes effect at once.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

use crate::app::AppState;
use crate::db::ids::UserId;
use crate::db::run_db;
use crate::domain::ids::random_base62;
use crate::models::users::{self, User};
use crate::web::error::AppError;

/// Session state keys. Values are JSON, as actix-session stores them.
pub const USER: &str = "uid";
pub const CSRF: &str = "csrf";
pub const SETUP: &str = "setup";
pub const FLASH: &str = "flash";
/// The page to return to after signing in.
pub const NEXT: &str = "next";

fn insert_error(e: actix_session::SessionInsertError) -> AppError {
    AppError::Internal(anyhow::anyhow!("session: {e}"))
}

/// The session with names for what it holds.
#[derive(Clone)]
pub struct TypedSession(pub Session);

impl TypedSession {
    pub fn user(&self) -> Option<UserId> {
        self.0.get::<i64>(USER).ok().flatten().map(UserId)
    }

    /// Starts a fresh session for `user`: a new session id and a new CSRF token.
    pub fn begin(&self, user: UserId) -> Result<(), AppError> {
        self.0.renew();
        self.0.remove(SETUP);
        self.0.insert(USER, user.0).map_err(insert_error)?;
        self.0.insert(CSRF, random_base62(43)).map_err(insert_error)
    }

    pub fn end(&self) {
        self.0.purge();
    }

    /// A new session id for the same sign-in (after a password change).
    pub fn renew(&self) {
        self.0.renew();
    }

    /// A one-time message shown on the next page. Never carries a secret.
    pub fn flash(&self, message: &str) -> Result<(), AppError> {
        self.0.insert(FLASH, message).map_err(insert_error)
    }

    /// The flash message, removed. A session without one is left unchanged: actix-session marks
    /// a session changed on any `remove`, present or not, and a changed session is written back
    /// (every page view took the flash, so every page view was an UPDATE of the session row).
    pub fn take_flash(&self) -> Option<String> {
        self.take(FLASH)
    }

    fn take(&self, key: &str) -> Option<String> {
        if !self.0.contains_key(key) {
            return None;
        }
        self.0.remove_as::<String>(key).and_then(Result::ok)
    }

    /// This session's CSRF token, masked for this response.
    pub fn csrf(&self) -> Result<String, AppError> {
        super::csrf::token(&self.0)
    }

    pub fn set_setup_checked(&self) -> Result<(), AppError> {
        self.0.insert(SETUP, true).map_err(insert_error)
    }

    pub fn setup_checked(&self) -> bool {
        matches!(self.0.get::<bool>(SETUP), Ok(Some(true)))
    }

    /// Remembers a page of ours to return to after signing in.
    pub fn set_next(&self, path: &str) {
        let _ = self.0.insert(NEXT, path);
    }

    /// Takes the page to return to, if it is one of ours.
    pub fn take_next(&self) -> Option<String> {
        self.take(NEXT)
            .filter(|p| p.starts_with('/') && !p.starts_with("//"))
    }
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self(req.get_session())))
    }
}

/// The signed-in person and their session; sign-in required.
pub struct CurrentUser {
    pub user: User,
    pub session: TypedSession,
}

impl CurrentUser {
    pub fn csrf(&self) -> Result<String, AppError> {
        self.session.csrf()
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = TypedSession(req.get_session());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        // Where to return after signing in (a GET page of ours, such as an app's consent page).
        let next = (req.method() == actix_web::http::Method::GET
            && !req.headers().contains_key("hx-request"))
        .then(|| req.uri().path_and_query().map(|p| p.as_str().to_owned()))
        .flatten()
        .filter(|p| p.starts_with('/') && !p.starts_with("//"));
        Box::pin(async move {
            let state =
                state.ok_or_else(|| AppError::Internal(anyhow::anyhow!("app state missing")))?;
            let Some(uid) = session.user() else {
                if let Some(next) = next {
                    session.set_next(&next);
                }
                return Err(AppError::Unauthenticated);
            };
            let user = run_db(&state.pool, move |c| {
                users::find(c, uid).map_err(AppError::from)
            })
            .await?;
            match user {
                Some(user) if !user.disabled => Ok(CurrentUser { user, session }),
                _ => {
                    session.end();
                    Err(AppError::Unauthenticated)
                }
            }
        })
    }
}
