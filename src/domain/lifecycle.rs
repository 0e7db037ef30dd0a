//! A key's lifecycle as the product defines it: active, expired or revoked; expiring soon; unused
//! (stale); and the status filters of the list.

use time::{Duration, PrimitiveDateTime};

/// A key's state, derived from its timestamps and the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Expired,
    Revoked,
}

impl KeyStatus {
    pub fn of(
        revoked_at: Option<PrimitiveDateTime>,
        expires_at: Option<PrimitiveDateTime>,
        now: PrimitiveDateTime,
    ) -> Self {
        if revoked_at.is_some() {
            Self::Revoked
        } else if expires_at.is_some_and(|e| e <= now) {
            Self::Expired
        } else {
            Self::Active
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(Self::Active),
            "expired" => Some(Self::Expired),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Expired => "Expired",
            Self::Revoked => "Revoked",
        }
    }
}

/// A key expiring within this is "expiring soon": a badge, a filter and a banner.
pub const EXPIRING_SOON: Duration = Duration::days(7);
/// A working key with no use for this long is stale ("Unused for 97 days").
pub const UNUSED_AFTER: Duration = Duration::days(90);
/// A working key never used this long after its creation is stale too.
pub const NEVER_USED_AFTER: Duration = Duration::days(30);

/// Since when a working key has gone unused, when that makes it stale: its last use more than 90
/// days ago, or its creation more than 30 days ago when it was never used.
pub fn unused_since(
    last_used: Option<PrimitiveDateTime>,
    created: PrimitiveDateTime,
    now: PrimitiveDateTime,
) -> Option<PrimitiveDateTime> {
    match last_used {
        Some(u) => (now - u >= UNUSED_AFTER).then_some(u),
        None => (now - created >= NEVER_USED_AFTER).then_some(created),
    }
}

/// The Status filter of the API Keys list: a status, or a lifecycle view of working keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Is(KeyStatus),
    /// Working, and expiring within 7 days.
    ExpiringSoon,
    /// Working, and stale (see `unused_since`).
    Unused,
}

impl StatusFilter {
    pub const ALL: [Self; 5] = [
        Self::Is(KeyStatus::Active),
        Self::Is(KeyStatus::Expired),
        Self::Is(KeyStatus::Revoked),
        Self::ExpiringSoon,
        Self::Unused,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "expiring" => Some(Self::ExpiringSoon),
            "unused" => Some(Self::Unused),
            other => KeyStatus::parse(other).map(Self::Is),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Is(s) => s.as_str(),
            Self::ExpiringSoon => "expiring",
            Self::Unused => "unused",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Is(s) => s.label(),
            Self::ExpiringSoon => "Expiring soon",
            Self::Unused => "Unused",
        }
    }

    /// Whether a key with these facts passes the filter now (the SQL says the same).
    pub fn matches(
        self,
        revoked: Option<PrimitiveDateTime>,
        expires: Option<PrimitiveDateTime>,
        last_used: Option<PrimitiveDateTime>,
        created: PrimitiveDateTime,
        now: PrimitiveDateTime,
    ) -> bool {
        let status = KeyStatus::of(revoked, expires, now);
        match self {
            Self::Is(s) => status == s,
            Self::ExpiringSoon => {
                status == KeyStatus::Active && expires.is_some_and(|e| e - now <= EXPIRING_SOON)
            }
            Self::Unused => {
                status == KeyStatus::Active && unused_since(last_used, created, now).is_some()
            }
        }
    }
}
