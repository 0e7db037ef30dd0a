//! `ApiCaller`: who calls, from `Authorization: Bearer <key or token>` only (never a query string,
//! cookie or body; more than one `Authorization` header is no credential).

use std::future::Future;
use std::pin::Pin;

use futures_util::future::{ready, Either, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::HttpMessage;
use actix_web::{web, FromRequest, HttpRequest};

use super::auth::{Caller, Presented};
use super::error::ApiError;
use crate::app::AppState;
use crate::domain::oauth::Scope;
use crate::web::client_ip::{client_addr, ip_text};

pub struct ApiCaller(pub Caller);

impl std::ops::Deref for ApiCaller {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl ApiCaller {
    /// 403 unless the caller may read contacts (an app connected only for `keys:manage` may not).
    pub fn require_read(&self) -> Result<(), ApiError> {
        match self.contacts_access() {
            Some(_) => Ok(()),
            None => Err(ApiError::InsufficientScope {
                message: "This access token's scope does not include contacts:read. Ask the person to connect the app again with the scope contacts:read.",
                scope: "contacts:read",
            }),
        }
    }

    /// 403 unless the caller may create or change data.
    pub fn require_write(&self) -> Result<(), ApiError> {
        match &self.0 {
            _ if self.contacts_access().is_some_and(|a| a.can_write()) => Ok(()),
            Caller::App(_) => Err(ApiError::InsufficientScope {
                message: "This access token's scope does not include contacts:write. Ask the person to connect the app again with the scope contacts:read contacts:write.",
                scope: Scope::READ_WRITE,
            }),
            Caller::Key(_) => Err(ApiError::Forbidden(
                "This API key is Read Only. Generate a Read and Write key for integrations that must create or change data.",
            )),
        }
    }
}

/// The token of the one `Authorization: Bearer …` header, if that is what the request carries.
fn bearer(req: &HttpRequest) -> Option<&str> {
    let mut all = req.headers().get_all(header::AUTHORIZATION);
    let value = all.next()?.to_str().ok()?;
    if all.next().is_some() {
        return None;
    }
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The `User-Agent`, cut to 200 characters (what last use and a key's history keep).
fn user_agent(req: &HttpRequest) -> &str {
    let ua = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match ua.char_indices().nth(200) {
        Some((cut, _)) => &ua[..cut],
        None => ua,
    }
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = Either<
        Ready<Result<Self, ApiError>>,
        Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>,
    >;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
            let e = ApiError::Internal(anyhow::anyhow!("app state missing"));
            return Either::Left(ready(Err(e)));
        };
        let addr = client_addr(req, &state.settings.trusted_proxies);
        let ip = addr.map_or_else(|| "unknown".to_owned(), ip_text);
        let presented = Presented {
            token: bearer(req),
            ip: &ip,
            addr,
            user_agent: user_agent(req),
            now: state.clock.now(),
        };
        // A working key in the cache: answered here, without a task or an allocation of its own.
        if let Some(done) = state.api.authenticate_cached(&presented) {
            return Either::Left(ready(done.map(|(caller, standing)| {
                if let Some(standing) = standing {
                    // For `rate_limit_headers`, on the way out.
                    req.extensions_mut().insert(standing);
                }
                ApiCaller(caller)
            })));
        }
        let (token, user_agent, now) = (
            presented.token.map(str::to_owned),
            presented.user_agent.to_owned(),
            presented.now,
        );
        let req = req.clone();
        Either::Right(Box::pin(async move {
            let presented = Presented {
                token: token.as_deref(),
                ip: &ip,
                addr,
                user_agent: &user_agent,
                now,
            };
            let (caller, standing) = state.api.authenticate(&state.api_pool, presented).await?;
            if let Some(standing) = standing {
                req.extensions_mut().insert(standing);
            }
            Ok(ApiCaller(caller))
        }))
    }
}
