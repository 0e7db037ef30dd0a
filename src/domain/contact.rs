//! Contacts as the API accepts them.

use super::{FieldError, Named};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum ContactStatus {
    Subscribed,
    Unsubscribed,
    Bounced,
}

impl Named for ContactStatus {
    const ALL: &'static [Self] = &[Self::Subscribed, Self::Unsubscribed, Self::Bounced];

    fn as_str(self) -> &'static str {
        match self {
            Self::Subscribed => "subscribed",
            Self::Unsubscribed => "unsubscribed",
            Self::Bounced => "bounced",
        }
    }
}

impl ContactStatus {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::from_name(raw).ok_or_else(|| {
            FieldError::new(
                "status",
                "Must be one of: subscribed, unsubscribed, bounced.",
            )
        })
    }

    pub fn as_str(self) -> &'static str {
        Named::as_str(self)
    }
}

/// A contact's name: up to 200 characters, may be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactName(String);

impl ContactName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let t = raw.trim();
        if t.chars().count() > 200 {
            return Err(FieldError::new("name", "Must be at most 200 characters."));
        }
        if t.chars().any(char::is_control) {
            return Err(FieldError::new(
                "name",
                "Cannot contain control characters.",
            ));
        }
        Ok(Self(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_names() {
        assert_eq!(ContactStatus::parse("bounced").unwrap().as_str(), "bounced");
        assert_eq!(ContactStatus::parse("BOUNCED").unwrap_err().field, "status");
        assert_eq!(ContactName::parse("  Ada ").unwrap().as_str(), "Ada");
        assert!(ContactName::parse(&"x".repeat(201)).is_err());
    }
}
