//! The API Keys tab: list with search, Generate API Key drawer, Save Your API Key dialog, detail,
//! edit, rotate and revoke.

use askama::Template;
use time::PrimitiveDateTime;

use super::{format_time, relative, Choice, FormErrors, PageContext};
use crate::domain::key::{unused_since, KeyStatus, EXPIRATION_CHOICES, EXPIRING_SOON};
use crate::domain::policy::{lifetime_label, Policy};
use crate::domain::search::{KeyQuery, SortKey};
use crate::models::api_keys::page::Total;
use crate::models::api_keys::{ApiKey, KeyListing};
use crate::page;
use crate::web::htmx::{HxRequest, Page};

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

pub struct SortLink {
    pub label: &'static str,
    pub href: String,
    /// `ascending`, `descending` or `none`, for `aria-sort`.
    pub aria: &'static str,
}

pub struct PageLink {
    pub href: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "api_keys/list.html", blocks = ["panel", "results"])]
pub struct KeysPage {
    pub ctx: PageContext,
    /// The current search and filters as CSV (`/settings/api-keys.csv?…`).
    pub export_href: String,
    /// "Top keys this week", most used first (empty: no panel).
    pub top: Vec<TopKey>,
    /// The list sorted by "Most used (7 days)" in the same workspaces.
    pub top_href: String,
    pub rows: Vec<KeyRow>,
    pub any_keys: bool,
    pub can_generate: bool,
    pub q: String,
    pub q_error: Option<&'static str>,
    pub workspaces: Vec<Choice>,
    pub owners: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub accesses: Vec<Choice>,
    pub sort_links: Vec<SortLink>,
    pub sort: String,
    pub dir: String,
    pub prev: Option<PageLink>,
    pub next: Option<PageLink>,
    pub showing: String,
    pub filtered: bool,
    pub owner_removed_filter: bool,
    /// "2 keys in Acme expire this week", each linking to that workspace's expiring keys.
    pub expiring: Vec<PageLink>,
}

impl KeysPage {
    /// "1 key", "28 keys", or when counting stopped early "1,000+ keys".
    pub fn showing(total: Total) -> String {
        use crate::domain::format::thousands;
        match total {
            Total::Exact(1) => "1 key".into(),
            Total::Exact(n) => format!("{} keys", thousands(n as u64)),
            Total::AtLeast(n) => format!("{}+ keys", thousands(n as u64)),
        }
    }

    pub fn sort_links(q: &KeyQuery) -> Vec<SortLink> {
        [
            ("Name", SortKey::Name),
            ("Created", SortKey::Created),
            ("Last used", SortKey::LastUsed),
            ("Expiration", SortKey::Expires),
            ("Requests (7 days)", SortKey::MostUsed),
        ]
        .into_iter()
        .map(|(label, key)| {
            let active = q.sort == key;
            let next_desc = if active {
                !q.descending
            } else {
                key != SortKey::Name
            };
            SortLink {
                label,
                href: q.href(&crate::domain::search::Page::First, key, next_desc),
                aria: match (active, q.descending) {
                    (false, _) => "none",
                    (true, true) => "descending",
                    (true, false) => "ascending",
                },
            }
        })
        .collect()
    }
}

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

/// A line of "Top keys this week".
pub struct TopKey {
    pub public_id: String,
    pub name: String,
    pub workspace: String,
    /// "1,204 requests".
    pub requests: String,
}

impl TopKey {
    pub fn new(l: &crate::models::api_keys::KeyListing) -> Self {
        let n = l.key.requests_7d.max(0) as u64;
        Self {
            public_id: l.key.public_id.clone(),
            name: l.key.name.clone(),
            workspace: l.workspace_name.clone(),
            requests: format!(
                "{} request{}",
                crate::domain::format::thousands(n),
                if n == 1 { "" } else { "s" }
            ),
        }
    }
}

/// One day's bar of the usage chart.
pub struct UsageBar {
    pub x: u32,
    pub ok_y: u32,
    pub ok_h: u32,
    pub refused_y: u32,
    pub refused_h: u32,
    /// "1 Dec 2026: 120 successful, 3 refused".
    pub title: String,
    pub day: String,
    pub ok: String,
    pub refused: String,
}

/// Requests per day over the last 30 days: an SVG bar chart drawn on the server, its numbers as
/// a table, and a sentence.
pub struct UsageChart {
    pub bars: Vec<UsageBar>,
    /// "1,204 requests in the last 7 days (12 refused)".
    pub summary: String,
    pub any: bool,
}

pub const CHART_HEIGHT: u32 = 100;

impl UsageChart {
    pub fn new(days: &[(time::Date, i64, i64)], today: time::Date) -> Self {
        use crate::domain::format::thousands;
        use crate::domain::usage::{chart_start, week_start, CHART_DAYS};
        let start = chart_start(today);
        let per_day = |d: time::Date| {
            days.iter()
                .find(|(day, _, _)| *day == d)
                .map(|(_, ok, refused)| (*ok, *refused))
                .unwrap_or((0, 0))
        };
        let all: Vec<(time::Date, i64, i64)> = (0..CHART_DAYS)
            .map(|i| {
                let d = start + time::Duration::days(i);
                let (ok, refused) = per_day(d);
                (d, ok, refused)
            })
            .collect();
        let max = all.iter().map(|(_, o, r)| o + r).max().unwrap_or(0).max(1);
        let scale = |n: i64| ((n * i64::from(CHART_HEIGHT)) / max) as u32;
        let bars = all
            .iter()
            .enumerate()
            .map(|(i, (d, ok, refused))| {
                let ok_h = scale(*ok).max(u32::from(*ok > 0));
                let refused_h = scale(*refused).max(u32::from(*refused > 0));
                let day = crate::domain::format::format_date(time::PrimitiveDateTime::new(
                    *d,
                    time::Time::MIDNIGHT,
                ));
                UsageBar {
                    x: i as u32 * 20,
                    ok_y: CHART_HEIGHT - ok_h,
                    ok_h,
                    refused_y: CHART_HEIGHT - ok_h - refused_h,
                    refused_h,
                    title: format!(
                        "{day}: {} successful, {} refused",
                        thousands(*ok as u64),
                        thousands(*refused as u64)
                    ),
                    day,
                    ok: thousands(*ok as u64),
                    refused: thousands(*refused as u64),
                }
            })
            .collect();
        let week: Vec<&(time::Date, i64, i64)> = all
            .iter()
            .filter(|(d, _, _)| *d >= week_start(today))
            .collect();
        let (ok7, refused7) = week
            .iter()
            .fold((0i64, 0i64), |(a, b), (_, o, r)| (a + o, b + r));
        let total7 = ok7 + refused7;
        let mut summary = format!(
            "{} request{} in the last 7 days",
            thousands(total7 as u64),
            if total7 == 1 { "" } else { "s" }
        );
        if refused7 > 0 {
            summary.push_str(&format!(" ({} refused)", thousands(refused7 as u64)));
        }
        Self {
            any: all.iter().any(|(_, o, r)| o + r > 0),
            bars,
            summary,
        }
    }
}

pub struct HistoryRow {
    pub when: String,
    pub when_exact: String,
    pub actor: String,
    pub action: String,
    pub details: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "api_keys/detail.html", blocks = ["panel"])]
pub struct KeyDetailPage {
    pub ctx: PageContext,
    pub key: KeyRow,
    pub usage: UsageChart,
    pub expires_exact: String,
    pub created_by: String,
    pub rotated: String,
    pub last_used_ip: String,
    pub last_used_agent: String,
    pub history: Vec<HistoryRow>,
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

/// The list's results alone when htmx targets them (search, sort, paging), its panel for a tab
/// switch, the whole page otherwise.
impl Page for KeysPage {
    fn fragment(&self, hx: &HxRequest) -> Option<askama::Result<String>> {
        if hx.targets("keys-results") {
            Some(self.as_results().render())
        } else {
            hx.wants_fragment().then(|| self.as_panel().render())
        }
    }
}

page!(NewKeyPage => as_dialog);
page!(SaveKeyPage => as_dialog);
page!(KeyDetailPage => as_panel);
page!(EditKeyPage => as_dialog);
page!(RotateKeyPage => as_dialog);
page!(RevokeKeyPage => as_dialog);
