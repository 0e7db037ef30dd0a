//! Settings > Profile: your name, your password, and the apps you connected.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::db::run_db;
use crate::domain::account::{NewPassword, PersonName};
use crate::services::{accounts, Error};
use crate::views::apps::GrantRow;
use crate::views::forms::FormErrors;
use crate::views::settings::ProfilePage;
use crate::views::{format_date, format_time};
use crate::web::actor::Actor;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::htmx::{self, see_other, HxRequest};

async fn page(
    state: &AppState,
    me: &Actor,
    errors: FormErrors,
    name: Option<String>,
) -> Result<ProfilePage, AppError> {
    let (uid, now) = (me.user.id, me.now);
    let grants = run_db(&state.pool, move |c| accounts::connected_apps(c, uid)).await?;
    Ok(ProfilePage {
        ctx: crate::handlers::context(&me.session, &me.user, "profile")?,
        name: name.unwrap_or_else(|| me.user.name.clone()),
        email: me.user.email.clone(),
        created: format_date(me.user.created_at),
        last_sign_in: me
            .user
            .last_sign_in_at
            .map(format_time)
            .unwrap_or_else(|| "never".into()),
        errors,
        apps: grants.iter().map(|g| GrantRow::new(g, now)).collect(),
    })
}

pub async fn profile(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    htmx::ok(&hx, &page(&state, &me, FormErrors::default(), None).await?)
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    pub name: String,
}

pub async fn update_profile(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<HttpResponse, AppError> {
    let name = match PersonName::parse(&form.name) {
        Ok(n) => n,
        Err(e) => {
            let p = page(&state, &me, FormErrors(vec![e]), Some(form.name)).await?;
            return htmx::invalid(&hx, &p);
        }
    };
    let acting = me.acting();
    run_db(&state.pool, move |c| accounts::rename(c, &acting, &name)).await?;
    me.session.flash("Your name was saved.")?;
    Ok(see_other("/settings/profile"))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn change_password(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let about = [me.user.email.as_str(), me.user.name.as_str()];
    let outcome = match NewPassword::parse(&form.password, &form.password_confirm, &about) {
        Ok(new) => {
            let (acting, current) = (me.acting(), form.current_password);
            run_db(&state.pool, move |c| {
                accounts::change_password(c, &acting, &current, &new)
            })
            .await
        }
        Err(e) => Err(Error::Invalid(vec![e])),
    };
    match outcome {
        Ok(()) => {
            // Every other session ended; this one goes on under a new id.
            me.session.renew();
            me.session
                .flash("Your password was changed. Other sessions were signed out.")?;
            Ok(see_other("/settings/profile"))
        }
        Err(Error::Invalid(errors)) => {
            htmx::invalid(&hx, &page(&state, &me, errors.into(), None).await?)
        }
        Err(e) => Err(e.into()),
    }
}
