//! A workspace's key policies: the longest a key may live, revoking keys nobody uses, and how many
//! active keys it may hold. Parsed from the Policies form; enforced by the key services.

use time::{Duration, PrimitiveDateTime};

use super::FieldError;

/// The Maximum key lifetime choices (days; `None` for no limit).
pub const LIFETIME_CHOICES: [(&str, &str); 4] = [
    ("none", "No limit"),
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "1 year"),
];

/// The "Revoke keys unused for" choices.
pub const UNUSED_CHOICES: [(&str, &str); 6] = [
    ("off", "Off"),
    ("30", "30 days"),
    ("60", "60 days"),
    ("90", "90 days"),
    ("180", "180 days"),
    ("365", "1 year"),
];

pub const DEFAULT_MAX_ACTIVE_KEYS: i32 = 500;
pub const MAX_ACTIVE_KEYS_LIMIT: i32 = 100_000;

super::named_enum! {
    /// What happens when a key of the workspace is reported public (secret scanning).
    pub enum LeakResponse {
        /// Revoke it at once (the default).
        Revoke = "revoke",
        /// Mark it "Leaked" and tell people, but leave it working.
        Flag = "flag",
    }
}

impl LeakResponse {
    pub fn label(self) -> &'static str {
        match self {
            Self::Revoke => "Revoke it at once",
            Self::Flag => "Flag it only",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Keys may live at most this many days (30, 90 or 365).
    pub max_lifetime_days: Option<i32>,
    /// Working keys unused for this many days are revoked by the policy.
    pub revoke_unused_after_days: Option<i32>,
    pub max_active_keys: i32,
    pub leak_response: LeakResponse,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_lifetime_days: None,
            revoke_unused_after_days: None,
            max_active_keys: DEFAULT_MAX_ACTIVE_KEYS,
            leak_response: LeakResponse::Revoke,
        }
    }
}

fn choice(raw: &str, choices: &[(&str, &str)], none: &str) -> Option<Option<i32>> {
    if raw == none {
        return Some(None);
    }
    choices
        .iter()
        .find(|(v, _)| *v == raw)
        .and_then(|(v, _)| v.parse().ok().map(Some))
}

impl Policy {
    /// Parses the Policies form; every bad field is named.
    pub fn parse(
        lifetime: &str,
        unused: &str,
        max_active: &str,
        leak: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let max_lifetime_days = choice(lifetime.trim(), &LIFETIME_CHOICES, "none");
        if max_lifetime_days.is_none() {
            errors.push(FieldError::new(
                "max_lifetime",
                "Choose a maximum key lifetime.",
            ));
        }
        let revoke_unused_after_days = choice(unused.trim(), &UNUSED_CHOICES, "off");
        if revoke_unused_after_days.is_none() {
            errors.push(FieldError::new(
                "revoke_unused",
                "Choose when unused keys are revoked, or Off.",
            ));
        }
        let max_active_keys = match max_active.trim().parse::<i32>() {
            Ok(n) if (1..=MAX_ACTIVE_KEYS_LIMIT).contains(&n) => Some(n),
            _ => {
                errors.push(FieldError::new(
                    "max_active_keys",
                    format!("Enter a whole number from 1 to {MAX_ACTIVE_KEYS_LIMIT}."),
                ));
                None
            }
        };
        let leak_response = match leak.trim() {
            "" => Some(LeakResponse::Revoke),
            other => <LeakResponse as super::Named>::from_name(other),
        };
        if leak_response.is_none() {
            errors.push(FieldError::new(
                "leak_response",
                "Choose what happens when a key is reported public.",
            ));
        }
        match (
            max_lifetime_days,
            revoke_unused_after_days,
            max_active_keys,
            leak_response,
        ) {
            (
                Some(max_lifetime_days),
                Some(revoke_unused_after_days),
                Some(max_active_keys),
                Some(leak_response),
            ) if errors.is_empty() => Ok(Self {
                max_lifetime_days,
                revoke_unused_after_days,
                max_active_keys,
                leak_response,
            }),
            _ => Err(errors),
        }
    }

    /// The latest expiration the policy allows for a key made (or rotated) now.
    pub fn latest_expiration(&self, now: PrimitiveDateTime) -> Option<PrimitiveDateTime> {
        self.max_lifetime_days
            .map(|d| now + Duration::days(i64::from(d)))
    }

    /// Whether a key expiring at `expires_at` (never when `None`) is allowed from `now`; the
    /// refusal names the Expiration field and says what is allowed.
    pub fn check_expiration(
        &self,
        workspace: &str,
        expires_at: Option<PrimitiveDateTime>,
        now: PrimitiveDateTime,
    ) -> Result<(), FieldError> {
        let (Some(days), Some(latest)) = (self.max_lifetime_days, self.latest_expiration(now))
        else {
            return Ok(());
        };
        // A custom date runs to the end of its day: allow that day's end when it is within.
        let allowed = expires_at.is_some_and(|e| e <= latest + Duration::days(1));
        if allowed {
            return Ok(());
        }
        Err(FieldError::new(
            "expiration",
            format!(
                "{workspace}'s policy allows keys for at most {}. Choose an expiration within it.",
                lifetime_label(days)
            ),
        ))
    }

    /// Whether an Expiration choice (`30`, `never`…) may be offered under this policy.
    pub fn offers(&self, choice: &str) -> bool {
        match (self.max_lifetime_days, choice) {
            (None, _) => true,
            (Some(_), "never") => false,
            (Some(max), days) => days.parse::<i32>().map_or(true, |d| d <= max),
        }
    }

    /// How a key expiring at `expires_at` outlives the policy (for the list of longer keys).
    pub fn outlived_by(
        &self,
        expires_at: Option<PrimitiveDateTime>,
        created_at: PrimitiveDateTime,
    ) -> bool {
        match self.max_lifetime_days {
            None => false,
            Some(d) => expires_at.is_none_or(|e| e > created_at + Duration::days(i64::from(d) + 1)),
        }
    }
}

/// "90 days", "1 year".
pub fn lifetime_label(days: i32) -> String {
    match days {
        365 => "1 year".into(),
        d => format!("{d} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn parses_and_names_bad_fields() {
        assert_eq!(
            Policy::parse("none", "off", "500", "revoke").unwrap(),
            Policy::default()
        );
        let p = Policy::parse("90", "180", "20", "flag").unwrap();
        assert_eq!(
            (
                p.max_lifetime_days,
                p.revoke_unused_after_days,
                p.max_active_keys
            ),
            (Some(90), Some(180), 20)
        );
        let fields: Vec<_> = Policy::parse("45", "7", "0", "shrug")
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "max_lifetime",
                "revoke_unused",
                "max_active_keys",
                "leak_response"
            ]
        );
        assert!(Policy::parse("none", "off", "100001", "").is_err());
        assert!(Policy::parse("none", "off", "ten", "").is_err());
    }

    #[test]
    fn the_lifetime_limits_expirations() {
        let now = datetime!(2026-11-27 10:00);
        let p = Policy::parse("90", "off", "500", "revoke").unwrap();
        assert!(p
            .check_expiration("Acme", Some(now + Duration::days(90)), now)
            .is_ok());
        let e = p
            .check_expiration("Acme", Some(now + Duration::days(120)), now)
            .unwrap_err();
        assert_eq!(e.field, "expiration");
        assert!(e
            .message
            .contains("Acme's policy allows keys for at most 90 days"));
        assert!(p.check_expiration("Acme", None, now).is_err(), "never");
        assert!(p.offers("30") && p.offers("90") && p.offers("custom"));
        assert!(!p.offers("365") && !p.offers("never"));
        assert!(Policy::default().offers("never"));
        assert!(p.outlived_by(None, now));
        assert!(p.outlived_by(Some(now + Duration::days(365)), now));
        assert!(!p.outlived_by(Some(now + Duration::days(30)), now));
    }
}
