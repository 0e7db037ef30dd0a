//! Invitations: create one (its link shown once), cancel one, re-issue one.

use actix_web::{web, HttpResponse};

use super::list::{overview, team_page, InviteFields};
use super::parse_access;
use crate::app::AppState;
use crate::db::run_db;
use crate::domain::account::EmailAddress;
use crate::services::team::{self, InvitationLink, Invitee, INVITATION_DAYS};
use crate::services::Error;
use crate::views::forms::FormErrors;
use crate::views::team::InviteLink;
use crate::web::actor::Actor;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::htmx::{self, see_other, HxRequest};

pub async fn invite(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    CsrfForm(f): CsrfForm<InviteFields>,
) -> Result<HttpResponse, AppError> {
    let invitee = Invitee {
        email: EmailAddress::parse(&f.email),
        access: parse_access(&f.role, &f.api_keys, &f.apps),
    };
    let (acting, ws) = (me.acting(), f.workspace.clone());
    let outcome = run_db(&state.pool, move |c| team::invite(c, &acting, &ws, invitee)).await;
    match outcome {
        Ok(link) => link_page(&hx, &state, &me, link).await,
        Err(Error::Invalid(errors)) => {
            let data = overview(&state, &me, &f.workspace).await?;
            let page = team_page(&me, data, "", f.clone(), errors.into(), None)?;
            htmx::invalid(&hx, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// The Team Members tab with a new invitation link, shown this once (only its hash is stored).
async fn link_page(
    hx: &HxRequest,
    state: &AppState,
    me: &Actor,
    link: InvitationLink,
) -> Result<HttpResponse, AppError> {
    let data = overview(state, me, &link.workspace.workspace.public_id).await?;
    let shown = InviteLink {
        url: format!(
            "{}/invitations/{}",
            state.settings.public_url.as_deref().unwrap_or_default(),
            link.token
        ),
        email: link.email,
        days: INVITATION_DAYS,
    };
    let page = team_page(
        me,
        data,
        "",
        InviteFields::default(),
        FormErrors::default(),
        Some(shown),
    )?;
    Ok(htmx::no_store(htmx::ok(hx, &page)?))
}

pub async fn cancel(
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (acting, id) = (me.acting(), path.into_inner());
    let m = run_db(&state.pool, move |c| {
        team::cancel_invitation(c, &acting, &id)
    })
    .await?;
    me.session
        .flash("Invitation cancelled. Its link no longer works.")?;
    Ok(see_other(&format!(
        "/settings/team-members?workspace={}",
        m.workspace.public_id
    )))
}

pub async fn reissue(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (acting, id) = (me.acting(), path.into_inner());
    let link = run_db(&state.pool, move |c| {
        team::reissue_invitation(c, &acting, &id)
    })
    .await?;
    link_page(&hx, &state, &me, link).await
}
