//! Authorized Apps, app registration and the OAuth consent page.

use askama::Template;

use time::PrimitiveDateTime;

use super::{relative, Choice, FormErrors, PageContext};
use crate::domain::oauth::Scope;
use crate::models::oauth::GrantListing;
use crate::page;

#[derive(Template)]
#[template(path = "apps/consent.html")]
pub struct ConsentPage {
    pub ctx: PageContext,
    pub app: String,
    pub homepage: String,
    pub logo_url: Option<String>,
    pub redirect_host: String,
    /// What the app asks to do, one line each.
    pub access: Vec<String>,
    pub manage_keys: bool,
    pub workspaces: Vec<Choice>,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: String,
    pub code_challenge: String,
}

#[derive(Template)]
#[template(path = "apps/oauth_error.html")]
pub struct OauthErrorPage {
    pub ctx: PageContext,
    pub message: String,
}

pub struct GrantRow {
    pub public_id: String,
    pub app: String,
    pub homepage: String,
    pub workspace: String,
    pub authorized_by: String,
    /// What the grant allows, one line each ("Create, rotate and revoke API keys in Acme").
    pub access: Vec<String>,
    /// Its scope includes `keys:manage`.
    pub manage_keys: bool,
    /// The scope as the app asked for it (`contacts:read keys:manage`).
    pub scope: String,
    pub authorized: String,
    pub last_used: String,
}

impl GrantRow {
    /// A connected app as the tab, a Profile and an offboarding review show it.
    pub fn new(g: &GrantListing, now: PrimitiveDateTime) -> Self {
        let scope = Scope::parse(&g.grant.scope);
        Self {
            public_id: g.grant.public_id.clone(),
            app: g.app.clone(),
            homepage: g.homepage.clone(),
            workspace: g.workspace.clone(),
            authorized_by: g
                .authorized_by
                .clone()
                .unwrap_or_else(|| "a removed user".into()),
            access: scope.map(|s| s.describe(&g.workspace)).unwrap_or_default(),
            manage_keys: scope.is_some_and(|s| s.manage_keys),
            scope: g.grant.scope.clone(),
            authorized: relative(now, g.grant.created_at),
            last_used: g
                .grant
                .last_used_at
                .map(|t| relative(now, t))
                .unwrap_or_else(|| "never used".into()),
        }
    }
}

pub struct ClientRow {
    pub client_id: String,
    pub name: String,
    pub homepage: String,
    pub redirect_uris: String,
    pub kind: &'static str,
    pub secret_hint: String,
}

/// A client secret, shown once.
pub struct ShownSecret {
    pub client_id: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "apps/list.html", blocks = ["panel"])]
pub struct AppsPage {
    pub ctx: PageContext,
    pub workspaces: Vec<Choice>,
    pub workspace_id: String,
    pub workspace_name: String,
    pub grants: Vec<GrantRow>,
    pub can_manage: bool,
    pub can_view: bool,
    pub can_register: bool,
    pub clients: Vec<ClientRow>,
    pub shown: Option<ShownSecret>,
    pub form_name: String,
    pub form_homepage: String,
    pub form_redirects: String,
    pub errors: FormErrors,
}

page!(ConsentPage);
page!(OauthErrorPage);
page!(AppsPage => as_panel);
