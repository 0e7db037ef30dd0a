//! One member: the Change access dialog, the change itself, and removal.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{access_choices, context, parse_access, role_choices};
use crate::app::AppState;
use crate::db::run_db;
use crate::models::workspaces::{Member, Membership};
use crate::services::{team, Error};
use crate::views::forms::FormErrors;
use crate::views::team::MemberPage;
use crate::web::actor::Actor;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::htmx::{self, see_other, HxRequest};

fn dialog(
    hx: &HxRequest,
    me: &Actor,
    m: &Membership,
    t: &Member,
    errors: FormErrors,
) -> Result<MemberPage, AppError> {
    Ok(MemberPage {
        ctx: context(me, "team-members")?,
        modal: hx.wants_fragment(),
        workspace_id: m.workspace.public_id.clone(),
        workspace_name: m.workspace.name.clone(),
        user_id: t.public_id.clone(),
        name: t.name.clone(),
        email: t.email.clone(),
        can_change: m.access.may_assign(Some(t.role), None),
        roles: role_choices(t.role, m.access),
        key_access: access_choices(t.access.stored_api_keys()),
        app_access: access_choices(t.access.stored_apps()),
        errors,
    })
}

async fn load(
    state: &AppState,
    me: &Actor,
    ws: String,
    user: String,
) -> Result<(Membership, Member), AppError> {
    let acting = me.acting();
    Ok(run_db(&state.pool, move |c| {
        team::managed_member(c, &acting, &ws, &user)
    })
    .await?)
}

pub async fn member(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (ws, user) = path.into_inner();
    let (m, t) = load(&state, &me, ws, user).await?;
    htmx::ok(&hx, &dialog(&hx, &me, &m, &t, FormErrors::default())?)
}

#[derive(Deserialize, Default)]
pub struct AccessFields {
    #[serde(default)]
    role: String,
    #[serde(default)]
    api_keys: String,
    #[serde(default)]
    apps: String,
}

pub async fn change_access(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    CsrfForm(f): CsrfForm<AccessFields>,
) -> Result<HttpResponse, AppError> {
    let (ws, user) = path.into_inner();
    let new = parse_access(&f.role, &f.api_keys, &f.apps).map_err(|e| vec![e]);
    let (acting, w, u) = (me.acting(), ws.clone(), user.clone());
    let outcome = run_db(&state.pool, move |c| {
        team::change_access(c, &acting, &w, &u, new)
    })
    .await;
    match outcome {
        Ok(m) => {
            me.session
                .flash("Access changed. It applies to their very next request.")?;
            Ok(see_other(&format!(
                "/settings/team-members?workspace={}",
                m.workspace.public_id
            )))
        }
        Err(Error::Invalid(errors)) => {
            let (m, t) = load(&state, &me, ws, user).await?;
            htmx::invalid(&hx, &dialog(&hx, &me, &m, &t, errors.into())?)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove(
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _f: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (ws, user) = path.into_inner();
    let acting = me.acting();
    let (m, t) = run_db(&state.pool, move |c| team::remove(c, &acting, &ws, &user)).await?;
    me.session
        .flash("Member removed and signed out. Review the keys they owned.")?;
    Ok(see_other(&format!(
        "/settings/team-members/{}/{}/offboarding",
        m.workspace.public_id, t.public_id
    )))
}
