//! The offboarding review of someone who left (or was disabled): revoke everything they held in
//! the workspace, or give each key to another member.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::context;
use crate::app::AppState;
use crate::db::run_db;
use crate::services::team;
use crate::views::api_keys::{last_used_text, unused_text};
use crate::views::apps::GrantRow;
use crate::views::forms::member_choices;
use crate::views::team::{OffboardKey, OffboardingPage};
use crate::web::actor::Actor;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::htmx::{self, see_other, HxRequest};

pub async fn review(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (ws, user) = path.into_inner();
    let (acting, now) = (me.acting(), me.now);
    let r = run_db(&state.pool, move |c| team::review(c, &acting, &ws, &user)).await?;
    let page = OffboardingPage {
        ctx: context(&me, "team-members")?,
        workspace_id: r.workspace.workspace.public_id.clone(),
        workspace_name: r.workspace.workspace.name.clone(),
        user_id: r.person.public_id.clone(),
        name: r.person.name.clone(),
        email: r.person.email.clone(),
        still_member: r.still_member,
        disabled: r.person.disabled,
        keys: {
            // Keys nobody uses come first: the likeliest to revoke without asking anyone.
            let mut keys: Vec<&crate::models::api_keys::ApiKey> = r.keys.iter().collect();
            keys.sort_by_key(|k| unused_text(k, now).is_empty());
            keys.into_iter()
                .map(|k| OffboardKey {
                    public_id: k.public_id.clone(),
                    name: k.name.clone(),
                    hint: k.hint.clone(),
                    status: k.status(now).label(),
                    last_used: last_used_text(k, now),
                    unused: unused_text(k, now),
                })
                .collect()
        },
        apps: r.apps.iter().map(|g| GrantRow::new(g, now)).collect(),
        new_owners: member_choices(&r.heirs, None),
    };
    htmx::ok(&hx, &page)
}

pub async fn revoke_all(
    req: HttpRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _f: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (ws, user) = path.into_inner();
    let acting = me.acting();
    let revoked = run_db(&state.pool, move |c| {
        team::offboard_revoke_all(c, &acting, &ws, &user)
    })
    .await?;
    state.keys_changed(revoked.iter().copied());
    me.session.flash(&format!(
        "Revoked {} key(s). They stopped working immediately.",
        revoked.len()
    ))?;
    Ok(see_other(req.path().trim_end_matches("/revoke-all")))
}

#[derive(Deserialize, Default)]
pub struct TransferFields {
    #[serde(default)]
    key: String,
    #[serde(default)]
    owner: String,
}

pub async fn transfer(
    req: HttpRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    CsrfForm(f): CsrfForm<TransferFields>,
) -> Result<HttpResponse, AppError> {
    let (ws, user) = path.into_inner();
    let acting = me.acting();
    run_db(&state.pool, move |c| {
        team::offboard_transfer(c, &acting, &ws, &user, &f.key, &f.owner)
    })
    .await?;
    me.session.flash("Ownership transferred.")?;
    Ok(see_other(req.path().trim_end_matches("/transfer")))
}
