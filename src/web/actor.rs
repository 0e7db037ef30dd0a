//! `Actor`: the signed-in person, where the request came from and when, ready to hand to a
//! service as `Acting`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use time::PrimitiveDateTime;

use super::client_ip::client_ip;
use super::error::AppError;
use super::session::{CurrentUser, TypedSession};
use crate::app::AppState;
use crate::models::users::User;
use crate::services::Acting;

pub struct Actor {
    pub user: User,
    pub session: TypedSession,
    pub ip: String,
    pub now: PrimitiveDateTime,
}

impl Actor {
    pub fn acting(&self) -> Acting {
        Acting::new(self.user.id, self.ip.clone(), self.now)
    }

    pub fn csrf(&self) -> Result<String, AppError> {
        self.session.csrf()
    }
}

impl FromRequest for Actor {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let current = CurrentUser::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let me = current.await?;
            let state =
                state.ok_or_else(|| AppError::Internal(anyhow::anyhow!("app state missing")))?;
            Ok(Actor {
                ip: client_ip(&req, &state.settings.trusted_proxies),
                now: state.clock.now(),
                user: me.user,
                session: me.session,
            })
        })
    }
}
