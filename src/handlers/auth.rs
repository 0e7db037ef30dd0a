//! Sign-in, sign-out and first-run setup.

use actix_session::Session;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{see_other, set_flash};
use crate::auth::client_ip::client_ip;
use crate::auth::csrf::{self, CsrfForm, NoFields};
use crate::auth::{password, throttle, SESSION_CSRF, SESSION_SETUP, SESSION_USER};
use crate::domain::account::{EmailAddress, NewPassword, PersonName};
use crate::domain::ids::public_id;
use crate::domain::workspace::{Role, WorkspaceName};
use crate::error::AppError;
use crate::models::{audit, login_failures, users, workspaces};
use crate::startup::AppState;
use crate::telemetry::run_db;
use crate::views::auth::{LoginPage, SetupPage};
use crate::views::{self, FormErrors, PageContext};

pub const AFTER_SIGN_IN: &str = "/settings/api-keys";
const BAD_CREDENTIALS: &str = "Incorrect email or password.";

fn signed_in(session: &Session) -> bool {
    matches!(session.get::<i64>(SESSION_USER), Ok(Some(_)))
}

/// Starts a fresh session for `user_id`: a new session id and a new CSRF token.
pub fn begin_session(session: &Session, user_id: i64) -> Result<(), AppError> {
    session.renew();
    session.remove(SESSION_SETUP);
    let err =
        |e: actix_session::SessionInsertError| AppError::Internal(anyhow::anyhow!("session: {e}"));
    session.insert(SESSION_USER, user_id).map_err(err)?;
    session
        .insert(SESSION_CSRF, crate::domain::ids::random_base62(43))
        .map_err(err)
}

pub async fn login_form(
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if signed_in(&session) {
        return Ok(see_other(AFTER_SIGN_IN));
    }
    let needs_setup = !run_db(&state.pool, |c| Ok(users::any_admin(c)?)).await?;
    let page = LoginPage {
        ctx: PageContext::new(csrf::token(&session)?, None, None),
        email: String::new(),
        error: None,
        needs_setup,
    };
    views::render(&page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

enum Verdict {
    Throttled(u64),
    Failed,
    SignedIn(i64),
}

pub async fn login(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let email = form.email.trim().to_lowercase();
    let now = state.clock.now();

    let (by_email, by_ip) = {
        let (email, ip) = (email.clone(), ip.clone());
        run_db(&state.pool, move |c| {
            let since = now - throttle::WINDOW;
            Ok((
                login_failures::for_email_since(c, &email, since)?,
                login_failures::for_ip_since(c, &ip, since)?,
            ))
        })
        .await?
    };
    let wait = [
        throttle::retry_after(&by_email, throttle::ACCOUNT_LIMIT, now),
        throttle::retry_after(&by_ip, throttle::IP_LIMIT, now),
    ]
    .into_iter()
    .flatten()
    .max();

    let verdict = match wait {
        Some(secs) => Verdict::Throttled(secs),
        None => {
            let user = {
                let email = email.clone();
                run_db(&state.pool, move |c| Ok(users::find_by_email(c, &email)?)).await?
            };
            let password = form.password;
            // Argon2 is CPU work: off the async workers. Unknown accounts cost the same time.
            let ok = web::block(move || match &user {
                Some(u) => {
                    (password::verify(&u.password_hash, &password) && !u.disabled).then_some(u.id)
                }
                None => {
                    password::verify_dummy(&password);
                    None
                }
            })
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
            match ok {
                Some(id) => Verdict::SignedIn(id),
                None => Verdict::Failed,
            }
        }
    };

    match verdict {
        Verdict::SignedIn(user_id) => {
            let ip2 = ip.clone();
            run_db(&state.pool, move |c| {
                c.write_transaction(|c| {
                    login_failures::clear_email(c, &email)?;
                    users::record_sign_in(c, user_id, now)?;
                    audit::record(
                        c,
                        &audit::NewEvent {
                            workspace_id: None,
                            actor_id: Some(user_id),
                            action: "user.sign_in",
                            subject: None,
                            details: "",
                            ip: Some(&ip2),
                            created_at: now,
                        },
                    )
                })?;
                Ok(())
            })
            .await?;
            let next = session
                .get::<String>(crate::auth::SESSION_NEXT)
                .ok()
                .flatten()
                .filter(|p| p.starts_with('/') && !p.starts_with("//"));
            begin_session(&session, user_id)?;
            session.remove(crate::auth::SESSION_NEXT);
            tracing::info!(user_id, "signed in");
            Ok(see_other(next.as_deref().unwrap_or(AFTER_SIGN_IN)))
        }
        Verdict::Failed => {
            {
                let (email, ip) = (email.clone(), ip.clone());
                run_db(&state.pool, move |c| {
                    Ok(login_failures::record(c, &email, &ip, now)?)
                })
                .await?;
            }
            tracing::info!("sign-in failed");
            login_page(
                &session,
                form.email,
                BAD_CREDENTIALS.to_owned(),
                StatusCode::UNAUTHORIZED,
                None,
            )
        }
        Verdict::Throttled(secs) => {
            tracing::warn!(retry_after = secs, "sign-in throttled");
            let minutes = secs.div_ceil(60);
            let msg = format!(
                "Too many failed sign-in attempts. Try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            );
            login_page(
                &session,
                form.email,
                msg,
                StatusCode::TOO_MANY_REQUESTS,
                Some(secs),
            )
        }
    }
}

fn login_page(
    session: &Session,
    email: String,
    error: String,
    status: StatusCode,
    retry_after: Option<u64>,
) -> Result<HttpResponse, AppError> {
    let page = LoginPage {
        ctx: PageContext::new(csrf::token(session)?, None, None),
        email: email.trim().to_owned(),
        error: Some(error),
        needs_setup: false,
    };
    let mut resp = views::render_status(status, &page)?;
    if let Some(secs) = retry_after {
        resp.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from_str(&secs.to_string())
                .map_err(|e| AppError::Internal(e.into()))?,
        );
    }
    Ok(resp)
}

pub async fn logout(
    session: Session,
    state: web::Data<AppState>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    if let Ok(Some(user_id)) = session.get::<i64>(SESSION_USER) {
        let now = state.clock.now();
        run_db(&state.pool, move |c| {
            Ok(audit::record(
                c,
                &audit::NewEvent {
                    workspace_id: None,
                    actor_id: Some(user_id),
                    action: "user.sign_out",
                    subject: None,
                    details: "",
                    ip: None,
                    created_at: now,
                },
            )?)
        })
        .await?;
    }
    session.purge();
    Ok(see_other("/login"))
}

#[derive(Deserialize)]
pub struct SetupQuery {
    token: Option<String>,
}

/// `GET /setup?token=…` checks the one-time token printed at start, remembers the check in the
/// session and redirects to `/setup`, so the token does not linger in the address bar or history.
pub async fn setup_form(
    session: Session,
    state: web::Data<AppState>,
    query: web::Query<SetupQuery>,
) -> Result<HttpResponse, AppError> {
    if run_db(&state.pool, |c| Ok(users::any_admin(c)?)).await? {
        return Err(AppError::NotFound);
    }
    if let Some(token) = &query.token {
        if !state.setup_token_matches(token) {
            return Err(AppError::NotFound);
        }
        session
            .insert(SESSION_SETUP, true)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))?;
        return Ok(see_other("/setup"));
    }
    if !matches!(session.get::<bool>(SESSION_SETUP), Ok(Some(true))) {
        return Err(AppError::NotFound);
    }
    let page = SetupPage {
        ctx: PageContext::new(csrf::token(&session)?, None, None),
        name: String::new(),
        email: String::new(),
        workspace: String::new(),
        errors: FormErrors::default(),
    };
    views::render(&page)
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    workspace: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn setup(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> Result<HttpResponse, AppError> {
    if !matches!(session.get::<bool>(SESSION_SETUP), Ok(Some(true))) || !state.setup_open() {
        return Err(AppError::NotFound);
    }
    let mut errors = FormErrors::default();
    let name = PersonName::parse(&form.name)
        .map_err(|e| errors.push(e))
        .ok();
    let email = EmailAddress::parse(&form.email)
        .map_err(|e| errors.push(e))
        .ok();
    let workspace = WorkspaceName::parse(&form.workspace)
        .map_err(|e| errors.push(e))
        .ok();
    let password = NewPassword::parse(
        &form.password,
        &form.password_confirm,
        &[&form.email, &form.name],
    )
    .map_err(|e| errors.push(e))
    .ok();
    let (Some(name), Some(email), Some(workspace), Some(password)) =
        (name, email, workspace, password)
    else {
        let page = SetupPage {
            ctx: PageContext::new(csrf::token(&session)?, None, None),
            name: form.name,
            email: form.email,
            workspace: form.workspace,
            errors,
        };
        return views::render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let hash = web::block(move || password::hash(password.expose()))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))??;
    let now = state.clock.now();
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let user_id = run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            if users::any_admin(c)? {
                return Err(AppError::Conflict(
                    "Setup has already been completed. Sign in instead.".into(),
                ));
            }
            let user = users::insert(
                c,
                &users::NewUser {
                    public_id: &public_id("usr"),
                    email: email.as_str(),
                    name: name.as_str(),
                    password_hash: &hash,
                    is_admin: true,
                    disabled: false,
                    created_at: now,
                },
            )?;
            let ws = workspaces::create(c, workspace.as_str(), now)?;
            workspaces::add_member(c, ws.id, user.id, Role::Owner, now)?;
            audit::record(
                c,
                &audit::NewEvent {
                    workspace_id: Some(ws.id),
                    actor_id: Some(user.id),
                    action: "instance.setup",
                    subject: Some(&user.public_id),
                    details: "created the first admin and workspace",
                    ip: Some(&ip),
                    created_at: now,
                },
            )?;
            users::record_sign_in(c, user.id, now)?;
            Ok(user.id)
        })
    })
    .await?;
    state.close_setup();
    begin_session(&session, user_id)?;
    set_flash(
        &session,
        "Welcome to Mailrith. Your admin account and workspace are ready.",
    )?;
    Ok(see_other(AFTER_SIGN_IN))
}
