//! The API Keys tab: list with search, Generate API Key drawer, Save Your API Key dialog, detail,
//! edit, rotate and revoke.

mod forms;
mod row;
mod usage;

pub use forms::*;
pub use row::*;
pub use usage::*;

use askama::Template;

use crate::domain::search::{KeyQuery, SortKey};
use crate::models::api_keys::page::Total;
use crate::page;
use crate::views::{Choice, PageContext};
use crate::web::htmx::{HxRequest, Page};

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
    /// The id of the results' element, which htmx targets to swap them alone.
    pub const RESULTS: &'static str = "keys-results";

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

/// The list's results alone when htmx targets them (search, sort, paging), its panel for a tab
/// switch, the whole page otherwise.
impl Page for KeysPage {
    fn fragment(&self, hx: &HxRequest) -> Option<askama::Result<String>> {
        if hx.targets(Self::RESULTS) {
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
