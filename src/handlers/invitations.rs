//! Accepting an invitation: a new person sets their name and password; an existing account joins
//! after signing in as the invited email.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::auth::{begin_session, AFTER_SIGN_IN};
use super::{see_other, set_flash};
use crate::auth::client_ip::client_ip;
use crate::auth::csrf::{self, CsrfForm};
use crate::auth::{password, SESSION_USER};
use crate::domain::account::{NewPassword, PersonName};
use crate::domain::ids::{public_id, sha256_hex};
use crate::error::AppError;
use crate::models::invitations::{self, Invitation};
use crate::models::{audit, users, workspaces};
use crate::startup::AppState;
use crate::telemetry::run_db;
use crate::views::team::AcceptPage;
use crate::views::{self, FormErrors, PageContext};

async fn open_invitation(state: &AppState, token: &str) -> Result<(Invitation, String), AppError> {
    let hash = sha256_hex(token);
    let now = state.clock.now();
    let found = run_db(&state.pool, move |c| {
        Ok(invitations::find_by_token_hash(c, &hash)?)
    })
    .await?;
    match found {
        Some((inv, ws)) if inv.is_open(now) => Ok((inv, ws)),
        _ => Err(AppError::NotFound),
    }
}

async fn page(
    state: &AppState,
    session: &Session,
    inv: &Invitation,
    ws: &str,
    token: &str,
    name: String,
    errors: FormErrors,
) -> Result<AcceptPage, AppError> {
    let email = inv.email.clone();
    let existing = run_db(&state.pool, move |c| Ok(users::find_by_email(c, &email)?)).await?;
    let signed_in = session.get::<i64>(SESSION_USER).ok().flatten();
    Ok(AcceptPage {
        ctx: PageContext::new(csrf::token(session)?, None, None),
        token: token.to_owned(),
        workspace: ws.to_owned(),
        email: inv.email.clone(),
        role: inv.access().role.label(),
        has_account: existing.is_some(),
        signed_in_as_invitee: existing.is_some_and(|u| Some(u.id) == signed_in),
        name,
        errors,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (inv, ws) = open_invitation(&state, &token).await?;
    let p = page(
        &state,
        &session,
        &inv,
        &ws,
        &token,
        String::new(),
        FormErrors::default(),
    )
    .await?;
    let mut resp = views::render(&p)?;
    resp.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
    Ok(resp)
}

#[derive(Deserialize, Default)]
pub struct AcceptFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    CsrfForm(f): CsrfForm<AcceptFields>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (inv, ws_name) = open_invitation(&state, &token).await?;
    let now = state.clock.now();
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let email = inv.email.clone();
    let existing = run_db(&state.pool, move |c| Ok(users::find_by_email(c, &email)?)).await?;

    let new_account = match &existing {
        Some(user) => {
            // An existing account joins only when signed in as the invited email.
            if session.get::<i64>(SESSION_USER).ok().flatten() != Some(user.id) {
                return Err(AppError::Forbidden(
                    "Sign in as the invited email address to accept this invitation.",
                ));
            }
            None
        }
        None => {
            let mut errors = FormErrors::default();
            let name = PersonName::parse(&f.name).map_err(|e| errors.push(e)).ok();
            let pw = NewPassword::parse(&f.password, &f.password_confirm, &[&inv.email, &f.name])
                .map_err(|e| errors.push(e))
                .ok();
            let (Some(name), Some(pw)) = (name, pw) else {
                let p = page(&state, &session, &inv, &ws_name, &token, f.name, errors).await?;
                return views::render_status(StatusCode::UNPROCESSABLE_ENTITY, &p);
            };
            let hash = web::block(move || password::hash(pw.expose()))
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))??;
            Some((name, hash))
        }
    };

    let existing_id = existing.as_ref().map(|u| u.id);
    let user_id = run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            let user_id = match (existing_id, new_account) {
                (Some(id), _) => id,
                (None, Some((name, hash))) => {
                    users::insert(
                        c,
                        &users::NewUser {
                            public_id: &public_id("usr"),
                            email: &inv.email,
                            name: name.as_str(),
                            password_hash: &hash,
                            is_admin: false,
                            disabled: false,
                            created_at: now,
                        },
                    )?
                    .id
                }
                (None, None) => return Err(AppError::NotFound),
            };
            // Single use: the second of two concurrent accepts changes nothing.
            if invitations::accept(c, inv.id, user_id, now)? != 1 {
                return Err(AppError::NotFound);
            }
            if !workspaces::members(c, inv.workspace_id)?
                .iter()
                .any(|p| p.user_id == user_id)
            {
                workspaces::add_member_with(c, inv.workspace_id, user_id, inv.access(), now)?;
            }
            let details = format!("{} joined as {}", inv.email, inv.access().role.label());
            audit::record(
                c,
                &audit::NewEvent {
                    workspace_id: Some(inv.workspace_id),
                    actor_id: Some(user_id),
                    action: "member.accept",
                    subject: Some(&inv.public_id),
                    details: &details,
                    ip: Some(&ip),
                    created_at: now,
                },
            )?;
            users::record_sign_in(c, user_id, now)?;
            Ok(user_id)
        })
    })
    .await?;
    if existing_id.is_none() {
        begin_session(&session, user_id)?;
    }
    set_flash(&session, &format!("Welcome to {ws_name}."))?;
    Ok(see_other(AFTER_SIGN_IN))
}
