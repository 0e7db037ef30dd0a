//! Usage at a glance: the key page's chart, its table and its sentence, and Top keys this week.

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
