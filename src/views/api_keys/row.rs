//! A key as the list and its page show it: badges, times, the rotation in progress.

use time::PrimitiveDateTime;

use crate::domain::key::{unused_since, KeyStatus, EXPIRING_SOON};
use crate::models::api_keys::{ApiKey, KeyListing};
use crate::views::{format_time, relative};

/// A badge: its text and its colour class.
pub struct Badge {
    pub text: String,
    pub class: &'static str,
}

/// One key, ready to show.
pub struct KeyRow {
    pub public_id: String,
    pub name: String,
    pub purpose: String,
    pub workspace: String,
    pub owner: String,
    pub owner_email: String,
    pub access: &'static str,
    pub hint: String,
    pub created: String,
    pub created_exact: String,
    pub expiration: Badge,
    pub last_used: String,
    pub last_used_exact: String,
    /// Successful requests in the last 7 days ("1,204").
    pub requests_7d: String,
    pub status: Badge,
    pub highlight: bool,
    pub can_manage: bool,
    /// The owner left the workspace (or was disabled): someone must take the key over.
    pub owner_removed: bool,
    pub revoked: bool,
    /// For a revoked or expired key: when it stopped working, and by whom ("Revoked 27 Nov 2026,
    /// 14:05 UTC by Ada Lovelace"); empty while it works.
    pub ended: String,
    /// Who revoked it, for the list row.
    pub revoked_by: String,
    /// A rotation whose old secret still works.
    pub overlap: Option<OverlapRow>,
    /// "Unused for 97 days" for a stale working key; empty otherwise.
    pub unused: String,
    /// Reported public by a secret scanner: where (a link when it is http(s)), and what found it.
    pub leaked: bool,
    pub leaked_url: String,
    pub leaked_text: String,
    /// "203.0.113.0/24, 2001:db8::/32", or empty for any address.
    pub allowed_ips: String,
    /// "60 requests a minute", or empty for no limit.
    pub rate_limit: String,
    /// "created via CRM Sync" for a key an authorized app created; empty otherwise.
    pub created_via: String,
}

impl KeyRow {
    pub fn new(l: &KeyListing, now: PrimitiveDateTime, highlight: &str) -> Self {
        let k = &l.key;
        let status = k.status(now);
        let revoker = match (k.revoked_by, &l.revoked_by_name) {
            (None, _) if k.leaked_at.is_some() => {
                "Mailrith, when it was reported public".to_owned()
            }
            (None, _) => "the workspace policy".to_owned(),
            (Some(_), Some(name)) => name.clone(),
            (Some(_), None) => "a removed user".to_owned(),
        };
        Self {
            public_id: k.public_id.clone(),
            name: k.name.clone(),
            purpose: k.purpose.clone(),
            workspace: l.workspace_name.clone(),
            owner: l.owner_name.clone().unwrap_or_else(|| "No owner".into()),
            owner_email: l.owner_email.clone().unwrap_or_default(),
            access: k.access_level.label(),
            hint: k.hint.clone(),
            created: relative(now, k.created_at),
            created_exact: format_time(k.created_at),
            expiration: match (status, k.revoked_at) {
                (KeyStatus::Revoked, Some(at)) => Badge {
                    text: format!("revoked {}", relative(now, at)),
                    class: "danger",
                },
                _ => expiration_badge(k.expires_at, status, now),
            },
            requests_7d: crate::domain::format::thousands(k.requests_7d.max(0) as u64),
            last_used: if status == KeyStatus::Active {
                last_used_text(k, now)
            } else {
                // Nothing will use it again: only when it was last used.
                k.last_used_at
                    .map(|u| relative(now, u))
                    .unwrap_or_else(|| "never used".into())
            },
            last_used_exact: k.last_used_at.map(format_time).unwrap_or_default(),
            status: status_badge(status),
            highlight: k.public_id == highlight,
            can_manage: l.viewer_access.can_manage_keys(),
            owner_removed: l.owner_removed,
            revoked: status == KeyStatus::Revoked,
            revoked_by: if status == KeyStatus::Revoked {
                revoker.clone()
            } else {
                String::new()
            },
            ended: match (status, k.revoked_at, k.expires_at) {
                (KeyStatus::Revoked, Some(at), _) => {
                    format!("Revoked {} by {revoker}", format_time(at))
                }
                (KeyStatus::Expired, _, Some(at)) => format!("Expired {}", format_time(at)),
                _ => String::new(),
            },
            overlap: OverlapRow::of(k, now),
            unused: unused_text(k, now),
            leaked: k.leaked_at.is_some(),
            leaked_url: k.leaked_url.clone().unwrap_or_default(),
            leaked_text: k
                .leaked_at
                .map(|at| {
                    let source = k.leaked_source.clone().unwrap_or_default();
                    let by = if source.is_empty() {
                        String::new()
                    } else {
                        format!(" (found in {source})")
                    };
                    format!("Reported public {}{by}", format_time(at))
                })
                .unwrap_or_default(),
            allowed_ips: k.allowed_ips.clone().unwrap_or_default(),
            rate_limit: k
                .rate_limit_per_minute
                .map(|r| format!("{r} requests a minute"))
                .unwrap_or_default(),
            created_via: k
                .created_via
                .as_ref()
                .map(|app| format!("created via {app}"))
                .unwrap_or_default(),
        }
    }
}

pub fn status_badge(s: KeyStatus) -> Badge {
    let class = match s {
        KeyStatus::Active => "ok",
        KeyStatus::Expired => "warn",
        KeyStatus::Revoked => "danger",
    };
    Badge {
        text: s.label().to_owned(),
        class,
    }
}

pub fn expiration_badge(
    expires_at: Option<PrimitiveDateTime>,
    status: KeyStatus,
    now: PrimitiveDateTime,
) -> Badge {
    match expires_at {
        None => Badge {
            text: "Never expires".into(),
            class: "",
        },
        Some(e) if e <= now => Badge {
            text: format!("expired {}", relative(now, e)),
            class: "danger",
        },
        Some(e) if e - now <= EXPIRING_SOON && status == KeyStatus::Active => Badge {
            text: format!("Expires {}", relative(now, e)),
            class: "warn",
        },
        Some(e) => Badge {
            text: format!("expires {}", relative(now, e)),
            class: "",
        },
    }
}

/// When the key was last used, or that its new secret has not been used yet.
pub fn last_used_text(k: &ApiKey, now: PrimitiveDateTime) -> String {
    let waiting = match k.rotated_at {
        // During an overlap only the new secret's own first use counts; otherwise any use after
        // the rotation (keys rotated before first uses were recorded have only that).
        Some(r) if k.secret_first_used_at.is_none() => {
            k.overlap_until(now).is_some() || k.last_used_at.is_none_or(|u| u <= r)
        }
        _ => false,
    };
    match k.last_used_at {
        _ if waiting => "waiting for first use of the new secret".into(),
        Some(u) => relative(now, u),
        None => "never used".into(),
    }
}

/// "Unused for 97 days" when a working key is stale (no use in 90 days, or none 30 days after
/// its creation).
pub fn unused_text(k: &ApiKey, now: PrimitiveDateTime) -> String {
    if k.status(now) != KeyStatus::Active {
        return String::new();
    }
    unused_since(k.last_used_at, k.created_at, now)
        .map(|since| {
            let days = (now - since).whole_days();
            format!("Unused for {days} day{}", if days == 1 { "" } else { "s" })
        })
        .unwrap_or_default()
}

/// A rotation in progress: the old secret still works until `until`.
pub struct OverlapRow {
    /// "in 58 minutes".
    pub until: String,
    pub until_exact: String,
    pub old_hint: String,
    /// "old secret still used 4 minutes ago", "old secret not used since the new one was first
    /// used", or "old secret not used since the rotation".
    pub usage: String,
    /// The old secret was used after the new one's first use (or the new one is not used yet):
    /// the connected system has not switched.
    pub in_use: bool,
}

impl OverlapRow {
    pub fn of(k: &ApiKey, now: PrimitiveDateTime) -> Option<Self> {
        let until = k.overlap_until(now)?;
        let (usage, in_use) = match (k.old_last_used_at, k.secret_first_used_at) {
            (Some(o), first) if first.is_none_or(|f| o >= f) => {
                (format!("old secret still used {}", relative(now, o)), true)
            }
            (_, Some(_)) => (
                "old secret not used since the new one was first used".to_owned(),
                false,
            ),
            (_, None) => ("old secret not used since the rotation".to_owned(), false),
        };
        Some(Self {
            until: relative(now, until),
            until_exact: format_time(until),
            old_hint: k.old_hint.clone().unwrap_or_default(),
            usage,
            in_use,
        })
    }
}
