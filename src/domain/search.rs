//! Search API keys: the query a person (or a shared URL) asks for, parsed once, and keyset paging:
//! a page starts after (or ends before) a position in the sort order, carried in an opaque cursor.

use std::cmp::Ordering;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use time::PrimitiveDateTime;

use super::key::{AccessLevel, StatusFilter};

pub const PAGE_SIZE: usize = 25;

/// Counts past this read "1,000+": exact counts only while they are cheap.
pub const COUNT_CAP: usize = 1000;

/// The owner filter for keys whose owner left the workspace.
pub const OWNER_REMOVED: &str = "removed";

/// Searches shorter than this match by prefix (a trigram index needs three characters).
pub const MIN_SUBSTRING: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Created,
    LastUsed,
    Expires,
    /// Successful requests in the last 7 days.
    MostUsed,
}

impl SortKey {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "name" => Some(Self::Name),
            "created" => Some(Self::Created),
            "last_used" => Some(Self::LastUsed),
            "expires" => Some(Self::Expires),
            "used" => Some(Self::MostUsed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Created => "created",
            Self::LastUsed => "last_used",
            Self::Expires => "expires",
            Self::MostUsed => "used",
        }
    }

    /// Never-used keys and keys that never expire have no value: they come last, either way.
    pub fn nullable(self) -> bool {
        matches!(self, Self::LastUsed | Self::Expires)
    }
}

/// A key's value in the sort order: its lower-cased name, one of its times (`None`: never), or
/// its requests this week.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortValue {
    Text(String),
    Time(PrimitiveDateTime),
    Count(i64),
}

/// Where a key stands in a sort: keys with a value first (by value, then id), then the keys
/// without one (by id); the direction applies to value and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub value: Option<SortValue>,
    pub id: i64,
}

impl Position {
    /// The order of two positions in a sort going `descending` or not.
    pub fn cmp_in(&self, other: &Self, descending: bool) -> Ordering {
        let dir = |o: Ordering| if descending { o.reverse() } else { o };
        match (&self.value, &other.value) {
            (Some(a), Some(b)) => dir(a.cmp(b)).then_with(|| dir(self.id.cmp(&other.id))),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => dir(self.id.cmp(&other.id)),
        }
    }

    /// An opaque cursor that names this position in this sort.
    pub fn cursor(&self, sort: SortKey, descending: bool) -> String {
        let value = match &self.value {
            None => "n".to_owned(),
            Some(SortValue::Text(t)) => format!("s{t}"),
            Some(SortValue::Time(t)) => {
                format!("t{}", t.assume_utc().unix_timestamp_nanos() / 1000)
            }
            Some(SortValue::Count(n)) => format!("c{n}"),
        };
        let dir = if descending { "d" } else { "a" };
        let raw = format!("{}~{dir}~{}~{value}", sort.as_str(), self.id);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The position a cursor names, if it was made for this sort (a cursor from another sort
    /// or a mangled one starts from the beginning).
    pub fn from_cursor(cursor: &str, sort: SortKey, descending: bool) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?).ok()?;
        let mut parts = raw.splitn(4, '~');
        let (s, d, id, value) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if SortKey::parse(s)? != sort || (d == "d") != descending || !matches!(d, "a" | "d") {
            return None;
        }
        let id = id.parse().ok()?;
        let value = match (value.split_at_checked(1)?, sort) {
            (("n", ""), k) if k.nullable() => None,
            (("s", text), SortKey::Name) => Some(SortValue::Text(text.to_owned())),
            (("t", micros), SortKey::Created | SortKey::LastUsed | SortKey::Expires) => {
                let nanos = i128::from(micros.parse::<i64>().ok()?) * 1000;
                let t = time::OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
                Some(SortValue::Time(PrimitiveDateTime::new(t.date(), t.time())))
            }
            (("c", n), SortKey::MostUsed) => Some(SortValue::Count(n.parse().ok()?)),
            _ => return None,
        };
        Some(Self { value, id })
    }
}

/// Which page: the first, the one after a position, or the one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    First,
    After(Position),
    Before(Position),
}

/// The raw query string of the API Keys list.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct KeyQueryParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub workspace: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub access: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub dir: String,
    /// The page after this cursor.
    #[serde(default)]
    pub after: String,
    /// The page before this cursor.
    #[serde(default)]
    pub before: String,
    /// The key to highlight after the Save dialog closes (a public id, never a secret).
    #[serde(default)]
    pub highlight: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyQuery {
    pub q: String,
    pub workspace: Option<String>,
    pub owner: Option<String>,
    pub status: Option<StatusFilter>,
    pub access: Option<AccessLevel>,
    pub sort: SortKey,
    pub descending: bool,
    pub page: Page,
    /// Why the search text was set aside (it was not valid UTF-8), for the field's error.
    pub q_error: Option<&'static str>,
}

pub const INVALID_SEARCH: &str =
    "The search contains bytes that are not valid UTF-8 text. Type it again.";

impl KeyQuery {
    /// Unknown values fall back to defaults: a shared or hand-edited URL never errors.
    pub fn parse(p: &KeyQueryParams) -> Self {
        let sort = SortKey::parse(&p.sort).unwrap_or(SortKey::Created);
        let descending = match p.dir.as_str() {
            "asc" => false,
            "desc" => true,
            _ => sort != SortKey::Name,
        };
        let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let invalid = super::has_invalid_utf8(&p.q);
        let page = match (
            Position::from_cursor(&p.after, sort, descending),
            Position::from_cursor(&p.before, sort, descending),
        ) {
            (Some(after), _) => Page::After(after),
            (None, Some(before)) => Page::Before(before),
            (None, None) => Page::First,
        };
        Self {
            q: if invalid {
                String::new()
            } else {
                p.q.trim().chars().take(200).collect()
            },
            q_error: invalid.then_some(INVALID_SEARCH),
            workspace: non_empty(&p.workspace),
            owner: non_empty(&p.owner),
            status: StatusFilter::parse(&p.status),
            access: AccessLevel::parse(&p.access).ok(),
            sort,
            descending,
            page,
        }
    }

    /// The search text, lower-cased, when there is one.
    pub fn needle(&self) -> Option<String> {
        (!self.q.is_empty()).then(|| self.q.to_lowercase())
    }

    /// Whether the search is long enough to match anywhere in a text (else: by prefix).
    pub fn substring(&self) -> bool {
        self.q.chars().count() >= MIN_SUBSTRING
    }

    /// A LIKE pattern for the search (`%q%`, or `q%` for a short one) with `%`, `_` and `\`
    /// taken literally (escape `\`).
    pub fn like_pattern(&self) -> Option<String> {
        let needle = self.needle()?;
        let mut out = String::with_capacity(needle.len() + 2);
        if self.substring() {
            out.push('%');
        }
        for c in needle.chars() {
            if matches!(c, '%' | '_' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('%');
        Some(out)
    }

    /// The search as an FTS5 phrase (matches the text anywhere, case-insensitively).
    pub fn fts_phrase(&self) -> Option<String> {
        let needle = self.needle().filter(|_| self.substring())?;
        Some(format!("\"{}\"", needle.replace('"', "\"\"")))
    }

    pub fn filtered(&self) -> bool {
        !self.q.is_empty()
            || self.workspace.is_some()
            || self.owner.is_some()
            || self.status.is_some()
            || self.access.is_some()
    }

    /// The query string for this search, on `page`, sorted as given.
    pub fn href(&self, page: &Page, sort: SortKey, descending: bool) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        if let Some(w) = &self.workspace {
            pairs.push(("workspace", w.clone()));
        }
        if let Some(o) = &self.owner {
            pairs.push(("owner", o.clone()));
        }
        if let Some(s) = self.status {
            pairs.push(("status", s.as_str().to_owned()));
        }
        if let Some(a) = self.access {
            pairs.push(("access", a.as_str().to_owned()));
        }
        if sort != SortKey::Created || !descending {
            pairs.push(("sort", sort.as_str().to_owned()));
            pairs.push(("dir", if descending { "desc" } else { "asc" }.to_owned()));
        }
        match page {
            Page::First => {}
            Page::After(p) => pairs.push(("after", p.cursor(sort, descending))),
            Page::Before(p) => pairs.push(("before", p.cursor(sort, descending))),
        }
        let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if qs.is_empty() {
            "/settings/api-keys".to_owned()
        } else {
            format!("/settings/api-keys?{qs}")
        }
    }
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
