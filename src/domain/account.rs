//! People: email addresses, names and passwords.

use super::{clean_text, FieldError};

/// A normalised (trimmed, lower-case) email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim().to_lowercase();
        let err = || FieldError::new("email", "Enter an email address such as name@example.com.");
        if super::has_invalid_utf8(&value) {
            return Err(FieldError::new(
                "email",
                "The email address contains bytes that are not valid UTF-8 text.",
            ));
        }
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

/// A new password: 12 to 128 characters, not common and not guessable from the person's own
/// email or name (ASVS 6.2.4; zxcvbn's estimate must reach 10^10 guesses). Never printed by
/// `Debug`.
#[derive(Clone)]
pub struct NewPassword(String);

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

impl NewPassword {
    /// `about` holds what the person's password must not be built from: their email address and
    /// name (the parts of each are checked too).
    pub fn parse(raw: &str, confirm: &str, about: &[&str]) -> Result<Self, FieldError> {
        if super::has_invalid_utf8(raw) {
            return Err(FieldError::new(
                "password",
                "The password contains bytes that are not valid UTF-8 text.",
            ));
        }
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
        guessability(raw, about).map_or(Ok(Self(raw.to_owned())), |why| {
            Err(FieldError::new("password", why))
        })
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Why a password is too easy to guess, or `None` when it is not.
fn guessability(password: &str, about: &[&str]) -> Option<String> {
    // The person's own words: the whole email and name, and their parts ("ada", "lovelace").
    let mut inputs: Vec<String> = vec!["mailrith".into()];
    for text in about {
        let lower = text.to_lowercase();
        inputs.extend(
            lower
                .split(|c: char| !c.is_alphanumeric())
                .filter(|part| part.chars().count() >= 3)
                .map(str::to_owned),
        );
        inputs.push(lower);
    }
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    // What is left once the person's own words are taken out must hold up on its own.
    let mut rest = password.to_lowercase();
    for word in inputs.iter().skip(1).filter(|w| w.chars().count() >= 4) {
        rest = rest.replace(word.as_str(), "");
    }
    let personal = rest.chars().count() < password.chars().count()
        && zxcvbn::zxcvbn(&rest, &refs).score() < zxcvbn::Score::Three;
    if personal {
        return Some(
            "This password is easy to guess from your name or email address. Choose one that has nothing to do with you, such as four or five random words."
                .into(),
        );
    }
    let estimate = zxcvbn::zxcvbn(password, &refs);
    if estimate.score() >= zxcvbn::Score::Three {
        return None;
    }
    let why = estimate
        .feedback()
        .and_then(|f| f.warning())
        .map(|w| format!(" {w}"))
        .unwrap_or_default();
    Some(format!(
        "This password is too easy to guess.{why} Choose a longer one that is not a common pattern, such as four or five random words."
    ))
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
        assert!(NewPassword::parse("short", "short", &[]).is_err());
        assert_eq!(
            NewPassword::parse("long enough pw", "other", &[])
                .unwrap_err()
                .field,
            "password_confirm"
        );
        let p = NewPassword::parse("correct horse battery", "correct horse battery", &[]).unwrap();
        assert!(!format!("{p:?}").contains("horse"));
        let long = "Zk3vQw8LmP2rTn6YbX4sHc9JdF7gKa1eUo5iWy0zRt3qVm8NxB2pCl6jGh4uDs9f";
        assert_eq!(long.len(), 64);
        assert!(
            NewPassword::parse(long, long, &[]).is_ok(),
            "64 characters are allowed"
        );
    }

    #[test]
    fn common_and_personal_passwords_are_refused_with_a_reason() {
        for common in [
            "password1234",
            "123456789012",
            "qwertyuiop123",
            "aaaaaaaaaaaa",
        ] {
            let e = NewPassword::parse(common, common, &[]).unwrap_err();
            assert_eq!(e.field, "password", "{common}");
            assert!(e.message.contains("guess"), "{common}: {}", e.message);
        }
        let about = ["grace.hopper@example.com", "Grace Hopper"];
        let e = NewPassword::parse("gracehopper2026", "gracehopper2026", &about).unwrap_err();
        assert!(e.message.contains("name or email"), "{}", e.message);
        let e = NewPassword::parse("Hopper-Grace-1906", "Hopper-Grace-1906", &about).unwrap_err();
        assert!(e.message.contains("name or email"), "{}", e.message);
        let phrase = "grace plants violet turbines";
        assert!(
            NewPassword::parse(phrase, phrase, &about).is_ok(),
            "a strong passphrase may mention a name"
        );
        let bad = "caf\u{FFFD} au lait and more";
        assert!(NewPassword::parse(bad, bad, &[]).is_err());
    }
}
