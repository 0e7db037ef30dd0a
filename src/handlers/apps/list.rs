//! `GET /settings/authorized-apps`: a workspace's connected apps and the apps the viewer
//! registered; also the page shown again after registering (with its secret, once).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::db::run_db;
use crate::domain::workspace::Access;
use crate::services::apps;
use crate::views::apps::{AppsPage, ClientRow, GrantRow, ShownSecret};
use crate::views::forms::{workspace_choices, FormErrors};
use crate::web::actor::Actor;
use crate::web::error::AppError;
use crate::web::htmx::{self, HxRequest};

#[derive(Deserialize, Default)]
pub struct AppsQuery {
    #[serde(default)]
    workspace: String,
}

/// What the registration form holds besides the lists: a secret to show once, or the form as
/// submitted with its errors.
#[derive(Default)]
pub(super) struct Extra {
    pub shown: Option<ShownSecret>,
    pub name: String,
    pub homepage: String,
    pub redirects: String,
    pub errors: FormErrors,
}

pub(super) async fn page(
    state: &AppState,
    me: &Actor,
    ws: &str,
    extra: Extra,
) -> Result<AppsPage, AppError> {
    let (acting, ws, now) = (me.acting(), ws.to_owned(), me.now);
    let o = run_db(&state.pool, move |c| apps::overview(c, &acting, &ws)).await?;
    Ok(AppsPage {
        ctx: crate::handlers::context(&me.session, &me.user, "authorized-apps")?,
        workspaces: workspace_choices(&o.mine, Some(&o.selected.workspace.public_id)),
        workspace_id: o.selected.workspace.public_id.clone(),
        workspace_name: o.selected.workspace.name.clone(),
        grants: o.grants.iter().map(|g| GrantRow::new(g, now)).collect(),
        can_manage: o.selected.access.apps() == Access::Manage,
        can_view: o.selected.access.apps() >= Access::View,
        can_register: o.can_register,
        clients: o
            .clients
            .into_iter()
            .map(|c| ClientRow {
                kind: if c.is_public() {
                    "Public"
                } else {
                    "Confidential"
                },
                secret_hint: c.secret_hint.clone().unwrap_or_default(),
                redirect_uris: c.redirect_uris.clone(),
                client_id: c.client_id,
                name: c.name,
                homepage: c.homepage,
            })
            .collect(),
        shown: extra.shown,
        form_name: extra.name,
        form_homepage: extra.homepage,
        form_redirects: extra.redirects,
        errors: extra.errors,
    })
}

pub async fn list(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    q: web::Query<AppsQuery>,
) -> Result<HttpResponse, AppError> {
    let p = page(&state, &me, &q.workspace, Extra::default()).await?;
    htmx::ok(&hx, &p)
}
