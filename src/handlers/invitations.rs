//! `/invitations/{token}`: a new person sets their name and password; an existing account joins
//! after signing in as the invited email.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::auth::AFTER_SIGN_IN;
use crate::app::AppState;
use crate::db::run_db;
use crate::services::team::{self, NewAccount};
use crate::services::Error;
use crate::views::forms::FormErrors;
use crate::views::team::AcceptPage;
use crate::views::PageContext;
use crate::web::client_ip::client_ip;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::htmx::{self, see_other, HxRequest};
use crate::web::session::TypedSession;

async fn page(
    state: &AppState,
    session: &TypedSession,
    token: &str,
    name: String,
    errors: FormErrors,
) -> Result<AcceptPage, AppError> {
    let (t, signed_in, now) = (token.to_owned(), session.user(), state.clock.now());
    let v = run_db(&state.pool, move |c| {
        team::invitation_view(c, &t, signed_in, now)
    })
    .await?;
    Ok(AcceptPage {
        ctx: PageContext::new(session.csrf()?, None, None),
        token: token.to_owned(),
        workspace: v.workspace_name,
        email: v.invitation.email.clone(),
        role: v.invitation.access().role.label(),
        has_account: v.has_account,
        signed_in_as_invitee: v.signed_in_as_invitee,
        name,
        errors,
    })
}

pub async fn show(
    hx: HxRequest,
    state: web::Data<AppState>,
    session: TypedSession,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let p = page(
        &state,
        &session,
        &path,
        String::new(),
        FormErrors::default(),
    )
    .await?;
    let mut resp = htmx::ok(&hx, &p)?;
    // The token is in the path: never send it on to another site.
    resp.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
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
    hx: HxRequest,
    state: web::Data<AppState>,
    session: TypedSession,
    path: web::Path<String>,
    CsrfForm(f): CsrfForm<AcceptFields>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (ip, now, signed_in) = (
        client_ip(&req, &state.settings.trusted_proxies),
        state.clock.now(),
        session.user(),
    );
    let new_account = NewAccount {
        name: f.name.clone(),
        password: f.password,
        password_confirm: f.password_confirm,
    };
    let t = token.clone();
    let outcome = run_db(&state.pool, move |c| {
        team::accept_invitation(c, &t, signed_in, &new_account, Some(ip), now)
    })
    .await;
    match outcome {
        Ok(joined) => {
            if joined.new_account {
                session.begin(joined.user)?;
            }
            session.flash(&format!("Welcome to {}.", joined.workspace_name))?;
            Ok(see_other(AFTER_SIGN_IN))
        }
        Err(Error::Invalid(errors)) => {
            let p = page(&state, &session, &token, f.name, errors.into()).await?;
            htmx::invalid(&hx, &p)
        }
        Err(e) => Err(e.into()),
    }
}
