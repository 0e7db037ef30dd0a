//! Contacts as the API accepts them.

use super::{FieldError, Named};

super::named_enum! {
    /// Whether a contact gets email.
    pub enum ContactStatus {
        Subscribed = "subscribed",
        Unsubscribed = "unsubscribed",
        Bounced = "bounced",
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
