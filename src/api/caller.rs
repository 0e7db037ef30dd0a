//! `ApiCaller`: the key behind a request, from `Authorization: Bearer <key>` only (never a query
//! string, cookie or body). Missing, malformed, unknown, revoked, rotated-out and expired keys all
//! get the same 401; the key's history records which it was, when there is a key to tell.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use super::error::ApiError;
use crate::auth::client_ip::client_ip;
use crate::domain::key::{AccessLevel, KeyStatus, PlainKey};
use crate::models::api_keys::{self, KeyForAuth};
use crate::models::audit;
use crate::startup::AppState;
use crate::telemetry::run_db;

pub struct ApiCaller {
    /// The key, or for an app's access token its grant presented the same way.
    pub key: KeyForAuth,
    pub access: AccessLevel,
    /// True when the caller is an app with an OAuth access token.
    pub via_app: bool,
}

impl ApiCaller {
    /// 403 unless the key may create or change data.
    pub fn require_write(&self) -> Result<(), ApiError> {
        if self.access.can_write() {
            Ok(())
        } else if self.via_app {
            Err(ApiError::InsufficientScope {
                message: "This access token's scope is contacts:read. Ask the person to connect the app again with the scope contacts:read contacts:write.",
                scope: crate::domain::oauth::Scope::READ_WRITE,
            })
        } else {
            Err(ApiError::Forbidden(
                "This API key is Read Only. Generate a Read and Write key for integrations that must create or change data.",
            ))
        }
    }
}

/// The token of an `Authorization: Bearer …` header, if that is what the request carries. A
/// request with more than one `Authorization` header carries no usable credential.
fn bearer(req: &HttpRequest) -> Option<&str> {
    let mut all = req.headers().get_all(header::AUTHORIZATION);
    let value = all.next()?.to_str().ok()?;
    if all.next().is_some() {
        return None;
    }
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

enum Rejection {
    /// No key we could attribute the failure to.
    Anonymous,
    /// A real key, used in a way that no longer works: recorded in its history.
    Known {
        key_id: i64,
        workspace_id: i64,
        public_id: String,
        reason: &'static str,
    },
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req).map(str::to_owned);
        let user_agent: String = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        let req = req.clone();
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("app state missing")))?;
            let ip = client_ip(&req, &state.settings.trusted_proxies);
            let now = state.clock.now();
            let api = &state.api;
            if let Some(secs) = api.limiter.check(&ip, now) {
                return Err(ApiError::TooManyRequests(secs));
            }

            if let Some(t) = token
                .as_deref()
                .filter(|t| t.starts_with(crate::domain::oauth::ACCESS_TOKEN_PREFIX))
            {
                let hash = crate::domain::oauth::hash(t);
                let found = run_db(&state.pool, move |c| {
                    Ok(crate::models::oauth::find_token(c, &hash)?)
                })
                .await?;
                return match found {
                    Some((tok, grant, _client, app, ws_public, ws_name))
                        if tok.kind == "access"
                            && tok.revoked_at.is_none()
                            && tok.expires_at > now
                            && grant.revoked_at.is_none() =>
                    {
                        api.grant_last_used.record(grant.id, now, &ip, &user_agent);
                        let access = crate::domain::oauth::Scope::parse(&grant.scope)
                            .map(|s| s.0)
                            .unwrap_or(AccessLevel::ReadOnly);
                        Ok(ApiCaller {
                            key: KeyForAuth {
                                id: grant.id,
                                public_id: grant.public_id,
                                name: app,
                                workspace_id: grant.workspace_id,
                                workspace_public_id: ws_public,
                                workspace_name: ws_name,
                                access_level: access.as_str().to_owned(),
                                expires_at: Some(tok.expires_at),
                                revoked_at: None,
                            },
                            access,
                            via_app: true,
                        })
                    }
                    _ => {
                        api.limiter.fail(&ip, now);
                        Err(ApiError::Unauthorized)
                    }
                };
            }

            let outcome = match token.as_deref().map(PlainKey::parse) {
                None | Some(Err(_)) => Err(Rejection::Anonymous),
                Some(Ok(plain)) => {
                    let hash = plain.hash();
                    let cached = api.keys.get(hash.as_str());
                    let key = match cached {
                        Some(k) => Some(k),
                        None => {
                            let generation = api.keys.generation();
                            let h = hash.as_str().to_owned();
                            let found =
                                run_db(&state.pool, move |c| Ok(api_keys::find_by_hash(c, &h)?))
                                    .await?;
                            if let Some(k) = &found {
                                api.keys
                                    .insert(hash.as_str().to_owned(), k.clone(), generation);
                            }
                            found
                        }
                    };
                    match key {
                        Some(k) => match KeyStatus::of(k.revoked_at, k.expires_at, now) {
                            KeyStatus::Active => Ok(k),
                            KeyStatus::Revoked => Err(Rejection::Known {
                                key_id: k.id,
                                workspace_id: k.workspace_id,
                                public_id: k.public_id,
                                reason: "revoked key used",
                            }),
                            KeyStatus::Expired => Err(Rejection::Known {
                                key_id: k.id,
                                workspace_id: k.workspace_id,
                                public_id: k.public_id,
                                reason: "expired key used",
                            }),
                        },
                        None => {
                            let h = hash.as_str().to_owned();
                            let retired =
                                run_db(&state.pool, move |c| Ok(api_keys::find_retired(c, &h)?))
                                    .await?;
                            Err(match retired {
                                Some((key_id, workspace_id, public_id)) => Rejection::Known {
                                    key_id,
                                    workspace_id,
                                    public_id,
                                    reason: "old secret used after rotation",
                                },
                                None => Rejection::Anonymous,
                            })
                        }
                    }
                }
            };

            match outcome {
                Ok(key) => {
                    api.last_used.record(key.id, now, &ip, &user_agent);
                    let access = AccessLevel::from_db(&key.access_level);
                    Ok(ApiCaller {
                        key,
                        access,
                        via_app: false,
                    })
                }
                Err(rejection) => {
                    api.limiter.fail(&ip, now);
                    if let Rejection::Known {
                        key_id,
                        workspace_id,
                        public_id,
                        reason,
                    } = rejection
                    {
                        tracing::info!(key = %public_id, reason, "API key rejected");
                        if api.rejections.should_record(key_id, reason, now) {
                            let details = if user_agent.is_empty() {
                                reason.to_owned()
                            } else {
                                format!("{reason}; {user_agent}")
                            };
                            run_db(&state.pool, move |c| {
                                Ok(audit::record(
                                    c,
                                    &audit::NewEvent {
                                        workspace_id: Some(workspace_id),
                                        actor_id: None,
                                        action: "api_key.rejected",
                                        subject: Some(&public_id),
                                        details: &details,
                                        ip: Some(&ip),
                                        created_at: now,
                                    },
                                )?)
                            })
                            .await?;
                        }
                    }
                    Err(ApiError::Unauthorized)
                }
            }
        })
    }
}
