//! Search API keys: the query a person (or a shared URL) asks for, parsed once.

use serde::Deserialize;

use super::key::{AccessLevel, KeyStatus};

pub const PAGE_SIZE: i64 = 25;

/// The owner filter for keys whose owner left the workspace.
pub const OWNER_REMOVED: &str = "removed";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Created,
    LastUsed,
    Expires,
}

impl SortKey {
    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "name" => Some(Self::Name),
            "created" => Some(Self::Created),
            "last_used" => Some(Self::LastUsed),
            "expires" => Some(Self::Expires),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Created => "created",
            Self::LastUsed => "last_used",
            Self::Expires => "expires",
        }
    }
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
    #[serde(default)]
    pub page: String,
    /// The key to highlight after the Save dialog closes (a public id, never a secret).
    #[serde(default)]
    pub highlight: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyQuery {
    pub q: String,
    pub workspace: Option<String>,
    pub owner: Option<String>,
    pub status: Option<KeyStatus>,
    pub access: Option<AccessLevel>,
    pub sort: SortKey,
    pub descending: bool,
    pub page: i64,
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
        Self {
            q: if invalid {
                String::new()
            } else {
                p.q.trim().chars().take(200).collect()
            },
            q_error: invalid.then_some(INVALID_SEARCH),
            workspace: non_empty(&p.workspace),
            owner: non_empty(&p.owner),
            status: KeyStatus::parse(&p.status),
            access: AccessLevel::parse(&p.access).ok(),
            sort,
            descending,
            page: p
                .page
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 1 && *n <= 10_000)
                .unwrap_or(1),
        }
    }

    /// A case-insensitive LIKE pattern with `%`, `_` and `\` taken literally (escape `\`).
    pub fn like_pattern(&self) -> Option<String> {
        if self.q.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(self.q.len() + 2);
        out.push('%');
        for c in self.q.to_lowercase().chars() {
            if matches!(c, '%' | '_' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('%');
        Some(out)
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * PAGE_SIZE
    }

    /// The query string for this search, with `page` and sorting replaced as given.
    pub fn href(&self, page: i64, sort: SortKey, descending: bool) -> String {
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
        if page > 1 {
            pairs.push(("page", page.to_string()));
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
mod tests {
    use super::*;

    fn q(s: &str) -> KeyQuery {
        KeyQuery::parse(&serde_urlencoded::from_str::<KeyQueryParams>(s).unwrap())
    }

    #[test]
    fn defaults() {
        let d = q("");
        assert_eq!(d.sort, SortKey::Created);
        assert!(d.descending);
        assert_eq!(d.page, 1);
        assert_eq!(d.like_pattern(), None);
        assert_eq!(d.href(1, SortKey::Created, true), "/settings/api-keys");
    }

    #[test]
    fn wildcards_are_literal() {
        assert_eq!(q("q=100%25_off").like_pattern().unwrap(), "%100\\%\\_off%");
        assert_eq!(q("q=A\\B").like_pattern().unwrap(), "%a\\\\b%");
        assert_eq!(q("q=CRM").like_pattern().unwrap(), "%crm%");
    }

    #[test]
    fn bad_values_fall_back() {
        let x = q("status=weird&access=root&sort=drop&page=-4");
        assert_eq!(
            (x.status, x.access, x.sort, x.page),
            (None, None, SortKey::Created, 1)
        );
        let n = q("sort=name");
        assert!(!n.descending, "names sort A to Z by default");
    }

    #[test]
    fn invalid_utf8_is_set_aside_with_a_reason() {
        let x = q("q=%FF%FE");
        assert_eq!(x.q, "");
        assert_eq!(x.q_error, Some(INVALID_SEARCH));
        assert_eq!(q("q=caf%C3%A9").q_error, None);
    }

    #[test]
    fn href_round_trips() {
        let x = q("q=crm sync&status=active&sort=name&dir=asc&page=2");
        let href = x.href(x.page, x.sort, x.descending);
        let back = q(href.split_once('?').unwrap().1);
        assert_eq!(back, x);
    }
}
