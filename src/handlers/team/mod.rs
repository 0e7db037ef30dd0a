//! Settings > Team Members: members and their access per workspace, invitations, removal with an
//! offboarding review of the keys a person owns, disabling people, and the workspace Activity log.

pub mod activity;
pub mod invite;
pub mod list;
pub mod member;
pub mod offboarding;
pub mod people;

use crate::domain::workspace::{Access, Role, WorkspaceAccess};
use crate::domain::FieldError;
use crate::views::forms::Choice;
use crate::views::PageContext;
use crate::web::actor::Actor;
use crate::web::error::AppError;

fn context(me: &Actor, tab: &'static str) -> Result<PageContext, AppError> {
    super::context(&me.session, &me.user, tab)
}

/// The roles the viewer may give: only an Owner makes Owners.
fn role_choices(selected: Role, viewer: WorkspaceAccess) -> Vec<Choice> {
    [Role::Member, Role::Admin, Role::Owner]
        .into_iter()
        .filter(|r| *r != Role::Owner || viewer.role == Role::Owner)
        .map(|r| Choice::new(r.as_str(), r.label(), r == selected))
        .collect()
}

fn access_choices(selected: Access) -> Vec<Choice> {
    [Access::None, Access::View, Access::Manage]
        .into_iter()
        .map(|a| Choice::new(a.as_str(), a.label(), a == selected))
        .collect()
}

/// A role and a permission per feature, from the form's three selects.
fn parse_access(role: &str, keys: &str, apps: &str) -> Result<WorkspaceAccess, FieldError> {
    let role = Role::parse(role)
        .ok_or_else(|| FieldError::new("role", "Choose Owner, Admin or Member."))?;
    let keys = Access::parse(keys)
        .ok_or_else(|| FieldError::new("api_keys", "Choose None, View or Manage."))?;
    let apps = Access::parse(apps)
        .ok_or_else(|| FieldError::new("apps", "Choose None, View or Manage."))?;
    Ok(WorkspaceAccess::new(role, keys, apps))
}
