//! Edit a key's name, purpose and owner.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::context;
use crate::app::AppState;
use crate::db::run_db;
use crate::domain::key::{KeyName, Purpose};
use crate::domain::restrictions::Restrictions;
use crate::models::api_keys::KeyListing;
use crate::models::workspaces::{self, Member};
use crate::services::api_keys::{self, KeyEdit};
use crate::services::{Error, Input};
use crate::views::api_keys::EditKeyPage;
use crate::views::forms::{member_choices, FormErrors};
use crate::web::actor::Actor;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::htmx::{self, see_other, HxRequest};

#[derive(Deserialize, Default)]
pub struct EditFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    allowed_ips: String,
    #[serde(default)]
    rate_limit: String,
}

impl EditFields {
    fn parse(&self) -> Input<KeyEdit> {
        let restrictions = Restrictions::parse(&self.allowed_ips, &self.rate_limit);
        match (
            KeyName::parse(&self.name),
            Purpose::parse(&self.purpose),
            restrictions,
        ) {
            (Ok(name), Ok(purpose), Ok(restrictions)) => Ok(KeyEdit {
                name,
                purpose,
                restrictions,
                expiration: None,
            }),
            (name, purpose, restrictions) => Err([name.err(), purpose.err()]
                .into_iter()
                .flatten()
                .chain(restrictions.err().into_iter().flatten())
                .collect()),
        }
    }
}

/// The key (if the viewer may change it) and the members who may own it.
async fn load(
    state: &AppState,
    me: &Actor,
    key: String,
) -> Result<(KeyListing, Vec<Member>), AppError> {
    let acting = me.acting();
    run_db(&state.pool, move |c| {
        let l = api_keys::manageable(c, &acting, &key)?;
        let members = workspaces::members(c, l.key.workspace_id)?;
        Ok::<_, Error>((l, members))
    })
    .await
    .map_err(AppError::from)
}

fn form_page(
    hx: &HxRequest,
    me: &Actor,
    l: &KeyListing,
    members: &[Member],
    f: &EditFields,
    errors: FormErrors,
) -> Result<EditKeyPage, AppError> {
    Ok(EditKeyPage {
        ctx: context(me)?,
        modal: hx.wants_fragment(),
        key_id: l.key.public_id.clone(),
        key_name: l.key.name.clone(),
        name: f.name.clone(),
        purpose: f.purpose.clone(),
        owners: member_choices(members, Some(&f.owner)),
        allowed_ips: f.allowed_ips.clone(),
        rate_limit: f.rate_limit.clone(),
        errors,
    })
}

pub async fn edit_form(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (l, members) = load(&state, &me, path.into_inner()).await?;
    let current = EditFields {
        name: l.key.name.clone(),
        purpose: l.key.purpose.clone(),
        owner: l.owner_public_id.clone().unwrap_or_default(),
        allowed_ips: l.key.allowed_ips.clone().unwrap_or_default(),
        rate_limit: l
            .key
            .rate_limit_per_minute
            .map(|r| r.to_string())
            .unwrap_or_default(),
    };
    htmx::ok(
        &hx,
        &form_page(&hx, &me, &l, &members, &current, FormErrors::default())?,
    )
}

pub async fn update(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(f): CsrfForm<EditFields>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let (acting, k, owner, input) = (me.acting(), key.clone(), f.owner.clone(), f.parse());
    let outcome = run_db(&state.pool, move |c| {
        api_keys::edit(c, &acting, &k, Some(&owner), input)
    })
    .await;
    match outcome {
        Ok(changed) => {
            if let Some(id) = changed {
                state.keys_changed([id]);
                me.session.flash("Changes saved.")?;
            }
            Ok(see_other(&format!("/settings/api-keys/{key}")))
        }
        Err(Error::Invalid(errors)) => {
            let (l, members) = load(&state, &me, key).await?;
            htmx::invalid(&hx, &form_page(&hx, &me, &l, &members, &f, errors.into())?)
        }
        Err(e) => Err(e.into()),
    }
}
