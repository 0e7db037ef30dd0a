//! Rotate a key: the confirmation (which names the secret it is for) and the new secret, once.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{context, save_dialog, tomorrow};
use crate::app::AppState;
use crate::db::run_db;
use crate::domain::key::{Expiration, KeyStatus};
use crate::models::api_keys::KeyListing;
use crate::services::api_keys::{self, expiration_text, NewExpiration};
use crate::services::{Error, Input};
use crate::views::api_keys::{expiration_choices, RotateKeyPage};
use crate::views::forms::FormErrors;
use crate::web::actor::Actor;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::htmx::{self, HxRequest};

#[derive(Deserialize, Default)]
pub struct RotateFields {
    #[serde(default)]
    expiration: String,
    #[serde(default)]
    expires_on: String,
    /// Which secret this confirmation was issued for (`key::secret_version`).
    #[serde(default)]
    secret_version: String,
}

impl RotateFields {
    fn parse(&self, today: time::Date) -> Input<NewExpiration> {
        match self.expiration.as_str() {
            "keep" => Ok(NewExpiration::Keep),
            other => Expiration::parse(other, &self.expires_on, today)
                .map(NewExpiration::New)
                .map_err(|e| vec![e]),
        }
    }
}

fn confirmation(
    hx: &HxRequest,
    me: &Actor,
    l: &KeyListing,
    f: &RotateFields,
    errors: FormErrors,
) -> Result<RotateKeyPage, AppError> {
    let expired = l.key.status(me.now) == KeyStatus::Expired;
    let keep = (!expired).then(|| {
        format!(
            "Keep the current expiration ({})",
            expiration_text(l.key.expires_at)
        )
    });
    let chosen = match (f.expiration.as_str(), expired) {
        ("", true) => "90",
        ("", false) => "keep",
        (chosen, _) => chosen,
    };
    Ok(RotateKeyPage {
        ctx: context(me)?,
        modal: hx.wants_fragment(),
        key_id: l.key.public_id.clone(),
        key_name: l.key.name.clone(),
        expired,
        expiration: expiration_choices(chosen, keep),
        expires_on: f.expires_on.clone(),
        min_date: tomorrow(me.now),
        secret_version: f.secret_version.clone(),
        errors,
    })
}

/// The key as it is now and the version of its secret.
async fn load(state: &AppState, me: &Actor, key: String) -> Result<(KeyListing, String), AppError> {
    let acting = me.acting();
    Ok(run_db(&state.pool, move |c| api_keys::rotation(c, &acting, &key)).await?)
}

pub async fn rotate_form(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (l, version) = load(&state, &me, path.into_inner()).await?;
    let f = RotateFields {
        secret_version: version,
        ..RotateFields::default()
    };
    htmx::ok(&hx, &confirmation(&hx, &me, &l, &f, FormErrors::default())?)
}

pub async fn rotate(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(f): CsrfForm<RotateFields>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let (acting, k, confirmed) = (me.acting(), key.clone(), f.secret_version.clone());
    let expiration = f.parse(me.now.date());
    let outcome = run_db(&state.pool, move |c| {
        api_keys::rotate(c, &acting, &k, &confirmed, expiration)
    })
    .await;
    match outcome {
        Ok(rotated) => {
            // This process drops the old secret at once; others within a second (the change feed).
            state.keys_changed([rotated.listing.key.id]);
            save_dialog(&hx, &me, &rotated.listing, &rotated.secret, true)
        }
        Err(Error::Invalid(errors)) => {
            let (l, _) = load(&state, &me, key).await?;
            htmx::invalid(&hx, &confirmation(&hx, &me, &l, &f, errors.into())?)
        }
        Err(e) => Err(e.into()),
    }
}
