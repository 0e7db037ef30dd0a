//! Sign-in (throttled, one message for every failure) and sign-out.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::AFTER_SIGN_IN;
use crate::app::AppState;
use crate::db::run_db;
use crate::models::users;
use crate::services::accounts::{self, SignIn};
use crate::views::auth::LoginPage;
use crate::views::PageContext;
use crate::web::client_ip::client_ip;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::htmx::{self, see_other, HxRequest};
use crate::web::session::TypedSession;

const BAD_CREDENTIALS: &str = "Incorrect email or password.";

pub async fn login_form(
    hx: HxRequest,
    session: TypedSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if session.user().is_some() {
        return Ok(see_other(AFTER_SIGN_IN));
    }
    let needs_setup = !run_db(&state.pool, |c| users::any_admin(c).map_err(AppError::from)).await?;
    let page = LoginPage {
        ctx: PageContext::new(session.csrf()?, None, None),
        email: String::new(),
        error: None,
        needs_setup,
    };
    htmx::ok(&hx, &page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn login(
    req: HttpRequest,
    hx: HxRequest,
    session: TypedSession,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let (email, password, now) = (form.email.clone(), form.password, state.clock.now());
    // Argon2 is CPU work: it runs with the queries, off the async workers.
    let verdict = run_db(&state.pool, move |c| {
        accounts::sign_in(c, &email, &password, &ip, now)
    })
    .await?;
    let (status, error, retry_after) = match verdict {
        SignIn::SignedIn(user) => {
            let next = session.take_next();
            session.begin(user)?;
            tracing::info!(user_id = user.0, "signed in");
            return Ok(see_other(next.as_deref().unwrap_or(AFTER_SIGN_IN)));
        }
        SignIn::Failed => {
            tracing::info!("sign-in failed");
            (StatusCode::UNAUTHORIZED, BAD_CREDENTIALS.to_owned(), None)
        }
        SignIn::Throttled(secs) => {
            tracing::warn!(retry_after = secs, "sign-in throttled");
            let minutes = secs.div_ceil(60);
            let plural = if minutes == 1 { "" } else { "s" };
            let msg =
                format!("Too many failed sign-in attempts. Try again in {minutes} minute{plural}.");
            (StatusCode::TOO_MANY_REQUESTS, msg, Some(secs))
        }
    };
    let page = LoginPage {
        ctx: PageContext::new(session.csrf()?, None, None),
        email: form.email.trim().to_owned(),
        error: Some(error),
        needs_setup: false,
    };
    let mut resp = htmx::render(&hx, status, &page)?;
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    }
    Ok(resp)
}

pub async fn logout(
    session: TypedSession,
    state: web::Data<AppState>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    if let Some(user) = session.user() {
        let now = state.clock.now();
        run_db(&state.pool, move |c| accounts::sign_out(c, user, now)).await?;
    }
    session.end();
    Ok(see_other("/login"))
}
