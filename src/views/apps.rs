//! Authorized Apps, app registration and the OAuth consent page.

use askama::Template;

use super::api_keys::Choice;
use super::{FormErrors, PageContext};

#[derive(Template)]
#[template(path = "apps/consent.html")]
pub struct ConsentPage {
    pub ctx: PageContext,
    pub app: String,
    pub homepage: String,
    pub logo_url: Option<String>,
    pub redirect_host: String,
    pub access: &'static str,
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
    pub message: String,
}

pub struct GrantRow {
    pub public_id: String,
    pub app: String,
    pub homepage: String,
    pub workspace: String,
    pub authorized_by: String,
    pub access: &'static str,
    pub authorized: String,
    pub last_used: String,
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
