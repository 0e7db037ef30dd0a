//! People: email addresses, names and passwords.

use super::{clean_text, FieldError};

/// A normalised (trimmed, lower-case) email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim().to_lowercase();
        let err = || FieldError::new("email", "Enter an email address such as name@example.com.");
        if value.is_empty()
            || value.len() > 254
            || value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(err());
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(err)?;
        if local.is_empty()
            || domain.is_empty()
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains('@')
        {
            return Err(err());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's display name: 1 to 100 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        clean_text("name", "Name", raw, 1, 100).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 12 to 128 characters. Never printed by `Debug`.
#[derive(Clone)]
pub struct NewPassword(String);

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

impl NewPassword {
    pub fn parse(raw: &str, confirm: &str) -> Result<Self, FieldError> {
        let len = raw.chars().count();
        if len < MIN_PASSWORD_CHARS {
            return Err(FieldError::new(
                "password",
                format!("Use at least {MIN_PASSWORD_CHARS} characters."),
            ));
        }
        if len > MAX_PASSWORD_CHARS {
            return Err(FieldError::new(
                "password",
                format!("Use at most {MAX_PASSWORD_CHARS} characters."),
            ));
        }
        if raw != confirm {
            return Err(FieldError::new(
                "password_confirm",
                "The two passwords do not match.",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            EmailAddress::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.com",
            "a b@x.com",
            "ada@localhost",
            "ada@x.com.",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(
            PersonName::parse("  Ada Lovelace ").unwrap().as_str(),
            "Ada Lovelace"
        );
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"x".repeat(101)).is_err());
        assert!(PersonName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn passwords() {
        assert!(NewPassword::parse("short", "short").is_err());
        assert_eq!(
            NewPassword::parse("long enough pw", "other")
                .unwrap_err()
                .field,
            "password_confirm"
        );
        let p = NewPassword::parse("correct horse battery", "correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}
