//! First-run setup: the one-time link printed at start opens a form for the first admin and
//! their workspace.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::AFTER_SIGN_IN;
use crate::app::AppState;
use crate::db::run_db;
use crate::domain::account::{EmailAddress, NewPassword, PersonName};
use crate::domain::workspace::WorkspaceName;
use crate::models::users;
use crate::services::accounts::{self, NewAdmin};
use crate::services::Error;
use crate::views::auth::SetupPage;
use crate::views::forms::FormErrors;
use crate::views::PageContext;
use crate::web::client_ip::client_ip;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::htmx::{self, see_other, HxRequest};
use crate::web::session::TypedSession;

#[derive(Deserialize)]
pub struct SetupQuery {
    token: Option<String>,
}

/// `GET /setup?token=…` checks the one-time token printed at start, remembers the check in the
/// session and redirects to `/setup`, so the token does not linger in the address bar or history.
pub async fn setup_form(
    hx: HxRequest,
    session: TypedSession,
    state: web::Data<AppState>,
    query: web::Query<SetupQuery>,
) -> Result<HttpResponse, AppError> {
    if run_db(&state.pool, |c| users::any_admin(c).map_err(AppError::from)).await? {
        return Err(AppError::NotFound);
    }
    if let Some(token) = &query.token {
        if !state.setup_token_matches(token) {
            return Err(AppError::NotFound);
        }
        session.set_setup_checked()?;
        return Ok(see_other("/setup"));
    }
    if !session.setup_checked() {
        return Err(AppError::NotFound);
    }
    let page = SetupPage {
        ctx: PageContext::new(session.csrf()?, None, None),
        name: String::new(),
        email: String::new(),
        workspace: String::new(),
        errors: FormErrors::default(),
    };
    htmx::ok(&hx, &page)
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

impl SetupForm {
    fn parse(&self) -> Result<NewAdmin, Vec<crate::domain::FieldError>> {
        let about = [self.email.as_str(), self.name.as_str()];
        match (
            PersonName::parse(&self.name),
            EmailAddress::parse(&self.email),
            WorkspaceName::parse(&self.workspace),
            NewPassword::parse(&self.password, &self.password_confirm, &about),
        ) {
            (Ok(name), Ok(email), Ok(workspace), Ok(password)) => Ok(NewAdmin {
                email,
                name,
                workspace: Some(workspace),
                password,
            }),
            (a, b, c, d) => Err([a.err(), b.err(), c.err(), d.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }
}

pub async fn setup(
    req: HttpRequest,
    hx: HxRequest,
    session: TypedSession,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> Result<HttpResponse, AppError> {
    if !session.setup_checked() || !state.setup_open() {
        return Err(AppError::NotFound);
    }
    let (ip, now) = (
        client_ip(&req, &state.settings.trusted_proxies),
        state.clock.now(),
    );
    let outcome = match form.parse() {
        Ok(admin) => {
            run_db(&state.pool, move |c| {
                accounts::setup(c, admin, Some(ip), now)
            })
            .await
        }
        Err(errors) => Err(Error::Invalid(errors)),
    };
    match outcome {
        Ok(user) => {
            state.close_setup();
            session.begin(user)?;
            session.flash("Welcome to Mailrith. Your admin account and workspace are ready.")?;
            Ok(see_other(AFTER_SIGN_IN))
        }
        Err(Error::Invalid(errors)) => {
            let page = SetupPage {
                ctx: PageContext::new(session.csrf()?, None, None),
                name: form.name,
                email: form.email,
                workspace: form.workspace,
                errors: errors.into(),
            };
            htmx::invalid(&hx, &page)
        }
        Err(e) => Err(e.into()),
    }
}
