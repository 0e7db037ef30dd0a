//! CSV exports (RFC 4180, UTF-8, a header row, UTC RFC 3339 times): the API Keys inventory and a
//! workspace's Activity. Written a batch at a time by `csv`, so an export streams in constant
//! memory. Never a secret or a hash: a key is named by its public id and its hint. A cell that a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return) is neutralised with a leading `'`, as OWASP advises.

use time::PrimitiveDateTime;

use crate::domain::format::rfc3339;
use crate::models::api_keys::KeyListing;
use crate::models::audit::Event;

/// Rows read per batch of an export.
pub const BATCH: usize = 1000;

/// A cell as a spreadsheet may safely read it.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn time(t: Option<PrimitiveDateTime>) -> String {
    t.map(rfc3339).unwrap_or_default()
}

/// Rows as CSV bytes, each cell neutralised; with the header row first when `header` is given.
pub fn rows(header: Option<&[&str]>, rows: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(64 * 1024));
    // Writing into a Vec cannot fail.
    if let Some(h) = header {
        let _ = w.write_record(h);
    }
    for row in rows {
        let _ = w.write_record(row.iter().map(|c| neutralise(c).into_owned()));
    }
    w.into_inner().unwrap_or_default()
}

pub const KEY_COLUMNS: &[&str] = &[
    "id",
    "name",
    "purpose",
    "workspace",
    "owner",
    "owner_email",
    "owner_removed",
    "access_level",
    "status",
    "hint",
    "created_at",
    "expires_at",
    "last_used_at",
    "requests_7d",
    "rotated_at",
    "revoked_at",
    "revoked_by",
    "allowed_ips",
    "rate_limit_per_minute",
    "leaked_at",
    "leaked_url",
];

pub fn key_row(l: &KeyListing, now: PrimitiveDateTime) -> Vec<String> {
    let k = &l.key;
    vec![
        k.public_id.clone(),
        k.name.clone(),
        k.purpose.clone(),
        l.workspace_name.clone(),
        l.owner_name.clone().unwrap_or_default(),
        l.owner_email.clone().unwrap_or_default(),
        if l.owner_removed { "yes" } else { "no" }.to_owned(),
        k.access_level.label().to_owned(),
        k.status(now).label().to_owned(),
        k.hint.clone(),
        rfc3339(k.created_at),
        time(k.expires_at),
        time(k.last_used_at),
        k.requests_7d.to_string(),
        time(k.rotated_at),
        time(k.revoked_at),
        l.revoked_by_name.clone().unwrap_or_default(),
        k.allowed_ips.clone().unwrap_or_default(),
        k.rate_limit_per_minute
            .map(|n| n.to_string())
            .unwrap_or_default(),
        time(k.leaked_at),
        k.leaked_url.clone().unwrap_or_default(),
    ]
}

pub const ACTIVITY_COLUMNS: &[&str] = &[
    "time",
    "workspace",
    "person",
    "action",
    "subject",
    "details",
    "ip",
];

pub fn activity_row(workspace: &str, e: &Event, actor: Option<&str>) -> Vec<String> {
    vec![
        rfc3339(e.created_at),
        workspace.to_owned(),
        e.actor_label(actor),
        e.action.as_str().to_owned(),
        e.subject.clone().unwrap_or_default(),
        e.details.clone(),
        e.ip.clone().unwrap_or_default(),
    ]
}

/// `mailrith-api-keys-acme-marketing-2026-12-01.csv`: what, where (letters and digits of the
/// workspace's name), and the UTC date.
pub fn filename(what: &str, workspace: Option<&str>, now: PrimitiveDateTime) -> String {
    let place = workspace.map_or_else(
        || "all-workspaces".to_owned(),
        |w| {
            let slug: String = w
                .to_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            let slug = slug
                .split('-')
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join("-");
            if slug.is_empty() {
                "workspace".to_owned()
            } else {
                slug.chars().take(60).collect()
            }
        },
    );
    format!("mailrith-{what}-{place}-{}.csv", now.date())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formulas_are_neutralised_and_fields_quoted() {
        for bad in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert!(neutralise(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(neutralise("CRM sync"), "CRM sync");
        assert_eq!(neutralise(""), "");
        let out = rows(
            Some(&["name", "purpose"]),
            [vec![
                "=HYPERLINK(\"http://evil\")".to_owned(),
                "a, \"b\"\nc".to_owned(),
            ]],
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "name,purpose\r\n\"'=HYPERLINK(\"\"http://evil\"\")\",\"a, \"\"b\"\"\nc\"\r\n"
        );
    }

    #[test]
    fn filenames_name_the_workspace_and_the_day() {
        let now = datetime!(2026-12-01 10:00);
        assert_eq!(
            filename("api-keys", Some("Acme Marketing"), now),
            "mailrith-api-keys-acme-marketing-2026-12-01.csv"
        );
        assert_eq!(
            filename("activity", Some("Café \"Ops\"/.."), now),
            "mailrith-activity-caf-ops-2026-12-01.csv"
        );
        assert_eq!(
            filename("api-keys", None, now),
            "mailrith-api-keys-all-workspaces-2026-12-01.csv"
        );
    }
}
