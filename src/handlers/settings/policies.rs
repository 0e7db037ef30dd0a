//! A workspace's Policies: the maximum key lifetime, revoking unused keys, the cap on active keys.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::db::run_db;
use crate::domain::policy::{
    lifetime_label, LeakResponse, Policy, LIFETIME_CHOICES, UNUSED_CHOICES,
};
use crate::services::{policies, Error};
use crate::views::forms::{Choice, FormErrors};
use crate::views::settings::{LongerKey, PoliciesPage};
use crate::web::actor::Actor;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::htmx::{self, see_other, HxRequest};

#[derive(Deserialize, Default)]
pub struct PolicyFields {
    #[serde(default)]
    max_lifetime: String,
    #[serde(default)]
    revoke_unused: String,
    #[serde(default)]
    max_active_keys: String,
    #[serde(default)]
    leak_response: String,
}

fn choices(all: &[(&str, &str)], selected: &str) -> Vec<Choice> {
    all.iter()
        .map(|(v, l)| Choice::new(*v, *l, *v == selected))
        .collect()
}

async fn page(
    state: &AppState,
    me: &Actor,
    workspace: String,
    typed: Option<&PolicyFields>,
    errors: FormErrors,
) -> Result<PoliciesPage, AppError> {
    let acting = me.acting();
    let v = run_db(&state.pool, move |c| policies::view(c, &acting, &workspace)).await?;
    let p = v.policy;
    let (lifetime, unused, max_active, leak) = match typed {
        Some(f) => (
            f.max_lifetime.clone(),
            f.revoke_unused.clone(),
            f.max_active_keys.clone(),
            f.leak_response.clone(),
        ),
        None => (
            p.max_lifetime_days.map_or("none".into(), |d| d.to_string()),
            p.revoke_unused_after_days
                .map_or("off".into(), |d| d.to_string()),
            p.max_active_keys.to_string(),
            p.leak_response.as_str().to_owned(),
        ),
    };
    Ok(PoliciesPage {
        ctx: crate::handlers::context(&me.session, &me.user, "workspaces")?,
        workspace: v.membership.workspace.name.clone(),
        workspace_id: v.membership.workspace.public_id.clone(),
        lifetimes: choices(&LIFETIME_CHOICES, &lifetime),
        unused: choices(&UNUSED_CHOICES, &unused),
        max_active_keys: max_active,
        leak_responses: [LeakResponse::Revoke, LeakResponse::Flag]
            .into_iter()
            .map(|r| Choice::new(r.as_str(), r.label(), r.as_str() == leak))
            .collect(),
        active_keys: v.active_keys,
        longer: v
            .outliving
            .iter()
            .map(|k| LongerKey {
                public_id: k.public_id.clone(),
                name: k.name.clone(),
                expiration: crate::services::api_keys::expiration_text(k.expires_at),
            })
            .collect(),
        longer_total: v.outliving_total,
        lifetime: p.max_lifetime_days.map(lifetime_label).unwrap_or_default(),
        errors,
    })
}

pub async fn show(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let p = page(&state, &me, path.into_inner(), None, FormErrors::default()).await?;
    htmx::ok(&hx, &p)
}

pub async fn save(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(f): CsrfForm<PolicyFields>,
) -> Result<HttpResponse, AppError> {
    let workspace = path.into_inner();
    let input = Policy::parse(
        &f.max_lifetime,
        &f.revoke_unused,
        &f.max_active_keys,
        &f.leak_response,
    );
    let (acting, ws) = (me.acting(), workspace.clone());
    match run_db(&state.pool, move |c| policies::set(c, &acting, &ws, input)).await {
        Ok(_) => {
            me.session.flash("Policies saved.")?;
            Ok(see_other(&format!(
                "/settings/workspaces/{workspace}/policies"
            )))
        }
        Err(Error::Invalid(errors)) => htmx::invalid(
            &hx,
            &page(&state, &me, workspace, Some(&f), errors.into()).await?,
        ),
        Err(e) => Err(e.into()),
    }
}
