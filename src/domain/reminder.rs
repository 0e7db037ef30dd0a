//! Reminder emails about keys: what they are about and what they say. Never a secret: the key's
//! name, workspace, hint (`mlr_…abcd`), the moment, and a link to its page.

use time::PrimitiveDateTime;

use super::format::format_time;

super::named_enum! {
    /// What a reminder is about. Stored by name; one per key, kind and moment.
    pub enum ReminderKind {
        ExpiresInAWeek = "expires_7d",
        ExpiresTomorrow = "expires_1d",
        Expired = "expired",
        OverlapClosing = "overlap_closing",
        RevokedUnused = "revoked_unused",
        Leaked = "leaked",
    }
}

/// The facts a reminder is written from.
pub struct About<'a> {
    pub key_name: &'a str,
    pub hint: &'a str,
    pub workspace: &'a str,
    pub owner: &'a str,
    /// The expiry, the end of the overlap, or the revocation.
    pub at: PrimitiveDateTime,
    /// The key's page.
    pub link: &'a str,
    /// For `RevokedUnused`: how long the key went unused ("90 days"); for `Leaked`: where it
    /// was found.
    pub detail: &'a str,
}

impl ReminderKind {
    /// The subject and the plain-text body.
    pub fn write(self, a: &About<'_>) -> (String, String) {
        let when = format_time(a.at);
        let (subject, what, todo) = match self {
            Self::ExpiresInAWeek => (
                format!("API key \"{}\" in {} expires in 7 days", a.key_name, a.workspace),
                format!("expires on {when}"),
                "Rotate it before then (or generate a new key) and update the connected system, or revoke it if nothing uses it any more.",
            ),
            Self::ExpiresTomorrow => (
                format!("API key \"{}\" in {} expires tomorrow", a.key_name, a.workspace),
                format!("expires on {when}"),
                "Rotate it now and update the connected system, or it stops working.",
            ),
            Self::Expired => (
                format!("API key \"{}\" in {} has expired", a.key_name, a.workspace),
                format!("expired on {when} and no longer works"),
                "If a system still needs it, rotate it with a new expiration and update that system.",
            ),
            Self::OverlapClosing => (
                format!(
                    "The old secret of API key \"{}\" in {} stops within the hour and is still in use",
                    a.key_name, a.workspace
                ),
                format!("was rotated; its old secret stops working on {when}, and a connected system still used it recently"),
                "Update that system with the new secret now, or its calls will fail.",
            ),
            Self::RevokedUnused => (
                format!(
                    "API key \"{}\" in {} was revoked: unused for {}",
                    a.key_name, a.workspace, a.detail
                ),
                format!(
                    "was revoked on {when} by the workspace's policy, because nothing used it for {}",
                    a.detail
                ),
                "If a system still needs access, generate a new key for it.",
            ),
            Self::Leaked => (
                format!(
                    "API key \"{}\" in {} was found in public",
                    a.key_name, a.workspace
                ),
                format!(
                    "was reported public on {when}{}",
                    if a.detail.is_empty() { String::new() } else { format!(" at {}", a.detail) }
                ),
                "If it was revoked, give the connected system a new key. If it was only flagged, rotate it now.",
            ),
        };
        let body = format!(
            "The API key \"{}\" ({}) in {}, owned by {}, {what}.\n\n{todo}\n\nSee the key: {}\n\nMailrith never sends API keys by email; this message holds no secret.\n",
            a.key_name, a.hint, a.workspace, a.owner, a.link
        );
        (subject, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn reminders_name_the_key_and_hold_no_secret() {
        let a = About {
            key_name: "CRM sync",
            hint: "mlr_…abcd",
            workspace: "Acme",
            owner: "Ada Lovelace",
            at: datetime!(2026-12-04 09:00),
            link: "https://keys.example.com/settings/api-keys/key_1",
            detail: "",
        };
        let (subject, body) = ReminderKind::ExpiresInAWeek.write(&a);
        assert_eq!(subject, "API key \"CRM sync\" in Acme expires in 7 days");
        assert!(
            body.contains(&format!("expires on {}", format_time(a.at))),
            "{body}"
        );
        assert!(body.contains("https://keys.example.com/settings/api-keys/key_1"));
        assert!(body.contains("mlr_…abcd") && !body.contains("mlr_0"));
    }
}
