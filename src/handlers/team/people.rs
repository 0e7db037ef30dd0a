//! `POST /settings/people/{user}/disable|enable`: instance admins disable a person everywhere
//! (their sessions end at once) or let them sign in again.

use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::db::run_db;
use crate::services::team;
use crate::web::actor::Actor;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::htmx::see_other;

pub async fn set_disabled(
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _f: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (user, verb) = path.into_inner();
    let disable = match verb.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return Err(AppError::NotFound),
    };
    let acting = me.acting();
    let (person, memberships) = run_db(&state.pool, move |c| {
        team::set_disabled(c, &acting, &user, disable)
    })
    .await?;
    if !disable {
        me.session
            .flash(&format!("{} can sign in again.", person.name))?;
        return Ok(see_other("/settings/team-members"));
    }
    me.session.flash(&format!(
        "{} is disabled and signed out. Review the keys they own.",
        person.name
    ))?;
    Ok(see_other(&match memberships.first() {
        Some(m) => format!(
            "/settings/team-members/{}/{}/offboarding",
            m.workspace.public_id, person.public_id
        ),
        None => "/settings/team-members".to_owned(),
    }))
}
