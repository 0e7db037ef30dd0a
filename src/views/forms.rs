//! What forms share: choices of a select or radio group, and field errors.

use crate::domain::FieldError;
use crate::models::workspaces::{Member, Membership};

/// One option of a select or radio group.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
            selected,
        }
    }
}

/// The viewer's workspaces as choices, by public id.
pub fn workspace_choices<'a>(
    memberships: impl IntoIterator<Item = &'a Membership>,
    selected: Option<&str>,
) -> Vec<Choice> {
    memberships
        .into_iter()
        .map(|m| {
            let id = &m.workspace.public_id;
            Choice::new(id, &m.workspace.name, selected == Some(id.as_str()))
        })
        .collect()
}

/// People as choices: "Ada Lovelace (ada@example.com)", by public id.
pub fn member_choices<'a>(
    members: impl IntoIterator<Item = &'a Member>,
    selected: Option<&str>,
) -> Vec<Choice> {
    person_choices(
        members
            .into_iter()
            .map(|m| (m.public_id.as_str(), m.name.as_str(), m.email.as_str())),
        selected,
    )
}

/// People as choices "Name (email)", by (public id, name, email).
pub fn person_choices<'a>(
    people: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    selected: Option<&str>,
) -> Vec<Choice> {
    people
        .into_iter()
        .map(|(public_id, name, email)| {
            Choice::new(
                public_id,
                format!("{name} ({email})"),
                selected == Some(public_id),
            )
        })
        .collect()
}

/// A form's field errors, by field.
#[derive(Default, Debug, Clone)]
pub struct FormErrors(pub Vec<FieldError>);

impl FormErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }
}

impl From<Vec<FieldError>> for FormErrors {
    fn from(v: Vec<FieldError>) -> Self {
        Self(v)
    }
}
