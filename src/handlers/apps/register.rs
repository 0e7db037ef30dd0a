//! Registering an app (its client secret shown once) and rotating a registered app's secret.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::list::{page, Extra};
use crate::app::AppState;
use crate::db::run_db;
use crate::domain::oauth as o;
use crate::domain::{clean_text, FieldError};
use crate::services::apps::{self, NewClient, Registered};
use crate::services::{Error, Input};
use crate::views::apps::ShownSecret;
use crate::web::actor::Actor;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::htmx::{self, see_other, HxRequest};

#[derive(Deserialize, Default)]
pub struct ClientFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    homepage: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    client_type: String,
    #[serde(default)]
    logo_url: String,
}

impl ClientFields {
    fn parse(&self) -> Input<NewClient> {
        let mut errors = Vec::new();
        let name = clean_text("name", "App name", &self.name, 1, 80)
            .map_err(|e| errors.push(e))
            .ok();
        let homepage = url::Url::parse(self.homepage.trim())
            .ok()
            .filter(|u| u.scheme() == "https" || u.scheme() == "http")
            .map(|u| u.to_string());
        if homepage.is_none() {
            errors.push(FieldError::new(
                "homepage",
                "Enter the app's homepage as an http(s) URL.",
            ));
        }
        let logo_url = match self.logo_url.trim() {
            "" => None,
            raw => match url::Url::parse(raw).ok().filter(|u| u.scheme() == "https") {
                Some(u) => Some(u.to_string()),
                None => {
                    errors.push(FieldError::new(
                        "logo_url",
                        "Enter the logo as an https URL, or leave it empty.",
                    ));
                    None
                }
            },
        };
        let redirect_uris = o::parse_redirect_uris(&self.redirect_uris)
            .map_err(|e| errors.push(FieldError::new("redirect_uris", e)))
            .ok();
        match (name, homepage, redirect_uris, errors.is_empty()) {
            (Some(name), Some(homepage), Some(redirect_uris), true) => Ok(NewClient {
                name,
                homepage,
                redirect_uris,
                logo_url,
                public: self.client_type == "public",
            }),
            _ => Err(errors),
        }
    }
}

/// The tab with a client secret shown this once.
async fn shown_once(
    hx: &HxRequest,
    state: &AppState,
    me: &Actor,
    client_id: String,
    secret: String,
) -> Result<HttpResponse, AppError> {
    let extra = Extra {
        shown: Some(ShownSecret { client_id, secret }),
        ..Extra::default()
    };
    let p = page(state, me, "", extra).await?;
    Ok(htmx::no_store(htmx::ok(hx, &p)?))
}

pub async fn register(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    CsrfForm(f): CsrfForm<ClientFields>,
) -> Result<HttpResponse, AppError> {
    let (acting, input) = (me.acting(), f.parse());
    match run_db(&state.pool, move |c| apps::register(c, &acting, input)).await {
        Ok(Registered {
            client_id,
            secret: Some(secret),
        }) => shown_once(&hx, &state, &me, client_id, secret).await,
        Ok(Registered { client_id, .. }) => {
            let message = format!(
                "App registered. Its client ID is {client_id}; it is a public client and uses PKCE without a secret."
            );
            me.session.flash(&message)?;
            Ok(see_other("/settings/authorized-apps"))
        }
        Err(Error::Invalid(errors)) => {
            let extra = Extra {
                name: f.name,
                homepage: f.homepage,
                redirects: f.redirect_uris,
                errors: errors.into(),
                ..Extra::default()
            };
            htmx::invalid(&hx, &page(&state, &me, "", extra).await?)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn rotate_secret(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (acting, id) = (me.acting(), path.into_inner());
    let r = run_db(&state.pool, move |c| apps::rotate_secret(c, &acting, &id)).await?;
    shown_once(&hx, &state, &me, r.client_id, r.secret.unwrap_or_default()).await
}
