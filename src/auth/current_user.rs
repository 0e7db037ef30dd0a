//! The signed-in user, loaded fresh on every request (so a disabled user or a changed role takes
//! effect at once).

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

use crate::error::AppError;
use crate::models::users::{self, User};
use crate::startup::AppState;
use crate::telemetry::run_db;

pub struct CurrentUser {
    pub user: User,
    pub session: Session,
}

impl CurrentUser {
    pub fn csrf(&self) -> Result<String, AppError> {
        super::csrf::token(&self.session)
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
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
            let uid = session.get::<i64>(super::SESSION_USER).ok().flatten();
            let Some(uid) = uid else {
                if let Some(next) = next {
                    let _ = session.insert(super::SESSION_NEXT, next);
                }
                return Err(AppError::Unauthenticated);
            };
            let user = run_db(&state.pool, move |c| Ok(users::find(c, uid)?)).await?;
            match user {
                Some(user) if !user.disabled => Ok(CurrentUser { user, session }),
                _ => {
                    session.purge();
                    Err(AppError::Unauthenticated)
                }
            }
        })
    }
}
