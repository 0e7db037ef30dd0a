//! Rotate a key: the confirmation (which names the secret it is for) and the new secret, once.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{context, save_dialog, tomorrow};
use crate::app::AppState;
use crate::db::run_db;
use crate::domain::key::{Expiration, KeyStatus, Overlap, OVERLAP_CHOICES};
use crate::domain::policy::Policy;
use crate::models::api_keys::KeyListing;
use crate::services::api_keys::{self, expiration_text, NewExpiration, RotateChoice};
use crate::services::{Error, Input};
use crate::views::api_keys::{expiration_choices, policy_choices, RotateKeyPage};
use crate::views::forms::FormErrors;
use crate::views::Choice;
use crate::web::actor::Actor;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::htmx::{self, see_other, HxRequest};

#[derive(Deserialize, Default)]
pub struct RotateFields {
    #[serde(default)]
    expiration: String,
    #[serde(default)]
    expires_on: String,
    /// When the old secret stops working: `now` (the default), `1h`, `24h` or `7d`.
    #[serde(default)]
    old_secret: String,
    /// Which secret this confirmation was issued for (`key::secret_version`).
    #[serde(default)]
    secret_version: String,
}

impl RotateFields {
    fn parse(&self, today: time::Date) -> Input<RotateChoice> {
        let expiration = match self.expiration.as_str() {
            "keep" => Ok(NewExpiration::Keep),
            other => Expiration::parse(other, &self.expires_on, today).map(NewExpiration::New),
        };
        match (expiration, Overlap::parse(&self.old_secret)) {
            (Ok(expiration), Ok(overlap)) => Ok(RotateChoice {
                expiration,
                overlap,
            }),
            (e, o) => Err(e.err().into_iter().chain(o.err()).collect()),
        }
    }
}

fn confirmation(
    hx: &HxRequest,
    me: &Actor,
    l: &KeyListing,
    policy: Policy,
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
    let (expiration, max_date, policy_note) = policy_choices(
        expiration_choices(chosen, keep),
        Some((l.workspace_name.as_str(), policy)),
        me.now,
    );
    Ok(RotateKeyPage {
        max_date,
        policy_note,
        ctx: context(me)?,
        modal: hx.wants_fragment(),
        key_id: l.key.public_id.clone(),
        key_name: l.key.name.clone(),
        expired,
        expiration,
        old_secret: OVERLAP_CHOICES
            .iter()
            .map(|(value, label)| Choice {
                value: (*value).into(),
                label: (*label).into(),
                selected: *value == f.old_secret || (f.old_secret.is_empty() && *value == "now"),
            })
            .collect(),
        expires_on: f.expires_on.clone(),
        min_date: tomorrow(me.now),
        secret_version: f.secret_version.clone(),
        errors,
    })
}

/// The key as it is now, the version of its secret, and its workspace's policy.
async fn load(
    state: &AppState,
    me: &Actor,
    key: String,
) -> Result<(KeyListing, String, Policy), AppError> {
    let acting = me.acting();
    Ok(run_db(&state.pool, move |c| api_keys::rotation(c, &acting, &key)).await?)
}

pub async fn rotate_form(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (l, version, policy) = load(&state, &me, path.into_inner()).await?;
    let f = RotateFields {
        secret_version: version,
        ..RotateFields::default()
    };
    htmx::ok(
        &hx,
        &confirmation(&hx, &me, &l, policy, &f, FormErrors::default())?,
    )
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
    let choice = f.parse(me.now.date());
    let outcome = run_db(&state.pool, move |c| {
        api_keys::rotate(c, &acting, &k, &confirmed, choice)
    })
    .await;
    match outcome {
        Ok(rotated) => {
            // This process drops the cached secrets at once; others within a second (the feed).
            state.keys_changed([rotated.listing.key.id]);
            save_dialog(&hx, &me, &rotated.listing, &rotated.secret, true)
        }
        Err(Error::Invalid(errors)) => {
            let (l, _, policy) = load(&state, &me, key).await?;
            htmx::invalid(&hx, &confirmation(&hx, &me, &l, policy, &f, errors.into())?)
        }
        Err(e) => Err(e.into()),
    }
}

/// "Retire old secret now": the rotation is finished, and only the new secret works.
pub async fn retire_old_secret(
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (acting, key) = (me.acting(), path.into_inner());
    let l = run_db(&state.pool, move |c| {
        api_keys::retire_old_secret(c, &acting, &key)
    })
    .await?;
    state.keys_changed([l.key.id]);
    me.session.flash(&format!(
        "Retired the old secret of \"{}\". Only the new secret works now.",
        l.key.name
    ))?;
    Ok(see_other(&format!(
        "/settings/api-keys/{}",
        l.key.public_id
    )))
}
