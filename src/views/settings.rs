use askama::Template;

use super::{FormErrors, PageContext};
use crate::page;

#[derive(Template)]
#[template(path = "settings/profile.html", blocks = ["panel"])]
pub struct ProfilePage {
    pub ctx: PageContext,
    pub name: String,
    pub email: String,
    pub created: String,
    pub last_sign_in: String,
    pub errors: FormErrors,
    /// Apps this person connected, in any workspace.
    pub apps: Vec<super::apps::GrantRow>,
}

pub struct WorkspaceRow {
    pub public_id: String,
    pub name: String,
    pub role: &'static str,
    pub members: i64,
    pub contacts: i64,
    pub created: String,
    pub can_rename: bool,
}

#[derive(Template)]
#[template(path = "settings/workspaces.html", blocks = ["panel"])]
pub struct WorkspacesPage {
    pub ctx: PageContext,
    pub rows: Vec<WorkspaceRow>,
    pub new_name: String,
    pub errors: FormErrors,
}

/// A key that outlives the workspace's maximum lifetime.
pub struct LongerKey {
    pub public_id: String,
    pub name: String,
    pub expiration: String,
}

/// A workspace's Policies section.
#[derive(Template)]
#[template(path = "settings/policies.html", blocks = ["panel"])]
pub struct PoliciesPage {
    pub ctx: PageContext,
    pub workspace: String,
    pub workspace_id: String,
    pub lifetimes: Vec<super::Choice>,
    pub unused: Vec<super::Choice>,
    pub max_active_keys: String,
    pub leak_responses: Vec<super::Choice>,
    pub active_keys: i64,
    pub longer: Vec<LongerKey>,
    pub longer_total: i64,
    /// "1 year", when a maximum lifetime is set.
    pub lifetime: String,
    pub errors: FormErrors,
}

page!(ProfilePage => as_panel);
page!(PoliciesPage => as_panel);
page!(WorkspacesPage => as_panel);
