//! The Generate API Key drawer, the Save Your API Key dialog, and the Edit, Rotate and Revoke
//! dialogs.

use askama::Template;
use time::PrimitiveDateTime;

use crate::domain::key::EXPIRATION_CHOICES;
use crate::domain::policy::{lifetime_label, Policy};
use crate::views::{Choice, FormErrors, PageContext};

/// The Generate API Key form's values and errors.
pub struct GenerateForm {
    pub request_id: String,
    pub workspaces: Vec<Choice>,
    pub name: String,
    pub purpose: String,
    pub access_level: String,
    pub expiration: Vec<Choice>,
    pub expires_on: String,
    pub min_date: String,
    /// The latest custom date the workspace's policy allows (empty: no limit).
    pub max_date: String,
    /// "Acme's policy allows keys for at most 90 days."
    pub policy_note: String,
    /// More options: where the key may be used from, and its requests-per-minute limit.
    pub allowed_ips: String,
    pub rate_limit: String,
    pub errors: FormErrors,
}

/// The Expiration choices a workspace's policy allows (others are not offered), the latest date
/// for a custom one, and a sentence saying so. With no policy (or none known): all of them.
pub fn policy_choices(
    mut choices: Vec<Choice>,
    policy: Option<(&str, Policy)>,
    now: PrimitiveDateTime,
) -> (Vec<Choice>, String, String) {
    let Some((workspace, p)) = policy.filter(|(_, p)| p.max_lifetime_days.is_some()) else {
        return (choices, String::new(), String::new());
    };
    let had_selection = choices.iter().any(|c| c.selected);
    choices.retain(|c| p.offers(&c.value));
    if had_selection && !choices.iter().any(|c| c.selected) {
        // The default went: choose the longest that remains (the list runs short to long).
        if let Some(last) = choices
            .iter_mut()
            .rev()
            .find(|c| c.value.parse::<i32>().is_ok())
        {
            last.selected = true;
        }
    }
    let max_date = p
        .latest_expiration(now)
        .map(|t| t.date().to_string())
        .unwrap_or_default();
    let note = format!(
        "{workspace}'s policy allows keys for at most {}.",
        lifetime_label(p.max_lifetime_days.unwrap_or_default())
    );
    (choices, max_date, note)
}

pub fn expiration_choices(selected: &str, with_keep: Option<String>) -> Vec<Choice> {
    let mut out = Vec::new();
    if let Some(keep) = with_keep {
        out.push(Choice {
            value: "keep".into(),
            label: keep,
            selected: selected == "keep",
        });
    }
    out.extend(EXPIRATION_CHOICES.iter().map(|(v, l)| Choice {
        value: (*v).into(),
        label: (*l).into(),
        selected: *v == selected,
    }));
    out
}

#[derive(Template)]
#[template(path = "api_keys/new.html", blocks = ["dialog"])]
pub struct NewKeyPage {
    pub ctx: PageContext,
    pub modal: bool,
    pub form: GenerateForm,
}

/// The Save Your API Key dialog: the one response that ever holds the secret.
#[derive(Template)]
#[template(path = "api_keys/save.html", blocks = ["dialog"])]
pub struct SaveKeyPage {
    pub ctx: PageContext,
    pub modal: bool,
    pub secret: String,
    pub name: String,
    pub workspace: String,
    pub access: &'static str,
    pub expiration: String,
    pub rotated: bool,
    /// After a rotation with an overlap: when the old secret stops working.
    pub old_until: String,
    pub done_href: String,
}

#[derive(Template)]
#[template(path = "api_keys/edit.html", blocks = ["dialog"])]
pub struct EditKeyPage {
    pub ctx: PageContext,
    pub modal: bool,
    pub key_id: String,
    pub key_name: String,
    pub name: String,
    pub purpose: String,
    pub owners: Vec<Choice>,
    pub allowed_ips: String,
    pub rate_limit: String,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "api_keys/rotate.html", blocks = ["dialog"])]
pub struct RotateKeyPage {
    pub ctx: PageContext,
    pub modal: bool,
    pub key_id: String,
    pub key_name: String,
    pub expired: bool,
    pub expiration: Vec<Choice>,
    pub old_secret: Vec<Choice>,
    pub expires_on: String,
    pub min_date: String,
    pub max_date: String,
    pub policy_note: String,
    pub secret_version: String,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "api_keys/revoke.html", blocks = ["dialog"])]
pub struct RevokeKeyPage {
    pub ctx: PageContext,
    pub modal: bool,
    pub key_id: String,
    pub key_name: String,
    pub workspace: String,
}
