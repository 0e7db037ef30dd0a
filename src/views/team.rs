//! Team Members, invitations, offboarding and Activity.

use askama::Template;

use super::{Choice, FormErrors, PageContext};
use crate::page;

pub struct MemberRow {
    pub public_id: String,
    pub href: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub access: String,
    pub workspaces: String,
    pub keys_owned: i64,
    pub last_sign_in: String,
    pub is_self: bool,
    pub can_change: bool,
    pub disabled: bool,
}

pub struct InvitationRow {
    pub public_id: String,
    pub email: String,
    pub access: String,
    pub invited_by: String,
    pub expires: String,
}

/// An invitation link, shown once to the inviter.
pub struct InviteLink {
    pub url: String,
    pub email: String,
    pub days: i64,
}

#[derive(Template)]
#[template(path = "team/list.html", blocks = ["panel"])]
pub struct TeamPage {
    pub ctx: PageContext,
    pub workspaces: Vec<Choice>,
    pub workspace_id: String,
    pub workspace_name: String,
    pub q: String,
    /// The search was set aside because it was not valid UTF-8.
    pub q_error: Option<&'static str>,
    pub members: Vec<MemberRow>,
    pub invitations: Vec<InvitationRow>,
    pub can_manage: bool,
    pub is_instance_admin: bool,
    pub invite_email: String,
    pub roles: Vec<Choice>,
    pub key_access: Vec<Choice>,
    pub app_access: Vec<Choice>,
    pub errors: FormErrors,
    pub link: Option<InviteLink>,
}

#[derive(Template)]
#[template(path = "team/member.html", blocks = ["dialog"])]
pub struct MemberPage {
    pub ctx: PageContext,
    pub modal: bool,
    pub workspace_id: String,
    pub workspace_name: String,
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub can_change: bool,
    pub roles: Vec<Choice>,
    pub key_access: Vec<Choice>,
    pub app_access: Vec<Choice>,
    pub errors: FormErrors,
}

pub struct OffboardKey {
    pub public_id: String,
    pub name: String,
    pub hint: String,
    pub status: &'static str,
    pub last_used: String,
    /// "Unused for 97 days" for a stale key (these come first).
    pub unused: String,
}

#[derive(Template)]
#[template(path = "team/offboarding.html", blocks = ["panel"])]
pub struct OffboardingPage {
    pub ctx: PageContext,
    pub workspace_id: String,
    pub workspace_name: String,
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub still_member: bool,
    pub disabled: bool,
    pub keys: Vec<OffboardKey>,
    pub new_owners: Vec<Choice>,
    pub apps: Vec<super::apps::GrantRow>,
}

pub struct ActivityRow {
    pub when: String,
    pub when_exact: String,
    pub actor: String,
    pub action: String,
    pub details: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "team/activity.html", blocks = ["panel"])]
pub struct ActivityPage {
    pub ctx: PageContext,
    /// The same filters as CSV (`/settings/activity.csv?…`).
    pub export_href: String,
    pub workspaces: Vec<Choice>,
    pub people: Vec<Choice>,
    pub actions: Vec<Choice>,
    pub events: Vec<ActivityRow>,
}

#[derive(Template)]
#[template(path = "team/accept.html")]
pub struct AcceptPage {
    pub ctx: PageContext,
    pub token: String,
    pub workspace: String,
    pub email: String,
    pub role: &'static str,
    pub has_account: bool,
    pub signed_in_as_invitee: bool,
    pub name: String,
    pub errors: FormErrors,
}

page!(TeamPage => as_panel);
page!(MemberPage => as_dialog);
page!(OffboardingPage => as_panel);
page!(ActivityPage => as_panel);
page!(AcceptPage);
