//! The Generate API Key drawer (a whole page without JavaScript) and `POST /settings/api-keys`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{context, save_dialog, tomorrow};
use crate::app::AppState;
use crate::db::run_db;
use crate::domain::key::{AccessLevel, Expiration, KeyName, Purpose};
use crate::domain::restrictions::Restrictions;
use crate::domain::FieldError;
use crate::models::workspaces::{self, Membership};
use crate::services::api_keys::{self, Generated, NewKey};
use crate::services::{Error, Input};
use crate::views::api_keys::{expiration_choices, policy_choices, GenerateForm, NewKeyPage};
use crate::views::forms::{workspace_choices, FormErrors};
use crate::web::actor::Actor;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::htmx::{self, HxRequest};

#[derive(Deserialize, Default)]
pub struct GenerateFields {
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    workspace: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    access_level: String,
    #[serde(default)]
    expiration: String,
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    allowed_ips: String,
    #[serde(default)]
    rate_limit: String,
}

impl GenerateFields {
    /// The form's one-time id, kept to letters and digits.
    fn request_id(&self) -> Option<String> {
        let rid: String = self
            .request_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(64)
            .collect();
        (!rid.is_empty()).then_some(rid)
    }

    fn parse(&self, today: time::Date) -> Input<NewKey> {
        let name = KeyName::parse(&self.name);
        let purpose = Purpose::parse(&self.purpose);
        let access = AccessLevel::parse(&self.access_level);
        let expiration = Expiration::parse(&self.expiration, &self.expires_on, today);
        let restrictions = Restrictions::parse(&self.allowed_ips, &self.rate_limit);
        match (name, purpose, access, expiration, restrictions) {
            (Ok(name), Ok(purpose), Ok(access), Ok(expiration), Ok(restrictions)) => Ok(NewKey {
                name,
                purpose,
                access,
                expiration,
                owner: None,
                request_id: self.request_id(),
                restrictions,
            }),
            (name, purpose, access, expiration, restrictions) => {
                Err([name.err(), purpose.err(), access.err(), expiration.err()]
                    .into_iter()
                    .flatten()
                    .chain(restrictions.err().into_iter().flatten())
                    .collect::<Vec<FieldError>>())
            }
        }
    }
}

async fn manageable_workspaces(state: &AppState, me: &Actor) -> Result<Vec<Membership>, AppError> {
    let uid = me.user.id;
    let all = run_db(&state.pool, move |c| {
        workspaces::for_user(c, uid).map_err(AppError::from)
    })
    .await?;
    Ok(all
        .into_iter()
        .filter(|m| m.access.can_manage_keys())
        .collect())
}

fn form_page(
    hx: &HxRequest,
    me: &Actor,
    ms: &[Membership],
    f: &GenerateFields,
    errors: FormErrors,
) -> Result<NewKeyPage, AppError> {
    let or = |v: &str, default: &str| {
        if v.is_empty() {
            default.to_owned()
        } else {
            v.to_owned()
        }
    };
    // The policy of the chosen workspace, or of the only one offered.
    let chosen = ms
        .iter()
        .find(|m| m.workspace.public_id == f.workspace)
        .or(if ms.len() == 1 { ms.first() } else { None })
        .map(|m| (m.workspace.name.as_str(), m.workspace.policy()));
    let (expiration, max_date, policy_note) = policy_choices(
        expiration_choices(&or(&f.expiration, "90"), None),
        chosen,
        me.now,
    );
    Ok(NewKeyPage {
        ctx: context(me)?,
        modal: hx.wants_fragment(),
        form: GenerateForm {
            request_id: f
                .request_id()
                .unwrap_or_else(|| crate::domain::ids::random_base62(24)),
            workspaces: workspace_choices(ms, Some(&f.workspace)),
            name: f.name.clone(),
            purpose: f.purpose.clone(),
            access_level: or(&f.access_level, "read_only"),
            expiration,
            expires_on: f.expires_on.clone(),
            min_date: tomorrow(me.now),
            max_date,
            policy_note,
            allowed_ips: f.allowed_ips.clone(),
            rate_limit: f.rate_limit.clone(),
            errors,
        },
    })
}

pub async fn new_form(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let ms = manageable_workspaces(&state, &me).await?;
    if ms.is_empty() {
        return Err(AppError::Forbidden(
            "You cannot generate API keys in any workspace.",
        ));
    }
    let page = form_page(
        &hx,
        &me,
        &ms,
        &GenerateFields::default(),
        FormErrors::default(),
    )?;
    htmx::ok(&hx, &page)
}

pub async fn create(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    CsrfForm(f): CsrfForm<GenerateFields>,
) -> Result<HttpResponse, AppError> {
    let (acting, workspace) = (me.acting(), f.workspace.clone());
    let input = f.parse(me.now.date());
    let outcome = run_db(&state.pool, move |c| {
        api_keys::generate(c, &acting, &workspace, input)
    })
    .await;
    match outcome {
        Ok(Generated::Key(listing, secret)) => save_dialog(&hx, &me, &listing, &secret, false),
        Ok(Generated::Duplicate { public_id }) => {
            tracing::info!(key = public_id, "duplicate generate submit ignored");
            Err(AppError::Conflict(
                "This form was already submitted and the key was generated; its secret was shown in the first response. If you did not copy it, rotate the key.".into(),
            ))
        }
        Err(Error::Invalid(errors)) => {
            let ms = manageable_workspaces(&state, &me).await?;
            htmx::invalid(&hx, &form_page(&hx, &me, &ms, &f, errors.into())?)
        }
        Err(e) => Err(e.into()),
    }
}
