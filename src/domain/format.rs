//! How times read on a page: "27 Nov 2026, 14:05 UTC", "27 Nov 2026", "in 5 days".

use time::PrimitiveDateTime;

/// "27 Nov 2026, 14:05 UTC".
pub fn format_time(t: PrimitiveDateTime) -> String {
    let fmt =
        time::macros::format_description!("[day] [month repr:short] [year], [hour]:[minute] UTC");
    t.format(&fmt).unwrap_or_else(|_| t.to_string())
}

/// "27 Nov 2026".
pub fn format_date(t: PrimitiveDateTime) -> String {
    let fmt = time::macros::format_description!("[day] [month repr:short] [year]");
    t.format(&fmt).unwrap_or_else(|_| t.to_string())
}

/// UTC RFC 3339, as the JSON API writes times.
pub fn rfc3339(t: PrimitiveDateTime) -> String {
    t.assume_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// "in 5 days", "3 hours ago", "just now".
pub fn relative(now: PrimitiveDateTime, t: PrimitiveDateTime) -> String {
    let d = t - now;
    let future = d.is_positive();
    let secs = d.whole_seconds().unsigned_abs();
    let (n, unit) = if secs < 60 {
        return "just now".into();
    } else if secs < 3600 {
        (secs / 60, "minute")
    } else if secs < 86_400 {
        (secs / 3600, "hour")
    } else if secs < 86_400 * 60 {
        (secs / 86_400, "day")
    } else if secs < 86_400 * 730 {
        (secs / (86_400 * 30), "month")
    } else {
        (secs / (86_400 * 365), "year")
    };
    let plural = if n == 1 { "" } else { "s" };
    if future {
        format!("in {n} {unit}{plural}")
    } else {
        format!("{n} {unit}{plural} ago")
    }
}

/// A count with thousands separators: 1000 as "1,000".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }

    use super::*;
    use time::macros::datetime;
    use time::Duration;

    #[test]
    fn relative_times() {
        let now = datetime!(2026-11-27 10:00);
        assert_eq!(relative(now, now + Duration::days(5)), "in 5 days");
        assert_eq!(relative(now, now - Duration::hours(1)), "1 hour ago");
        assert_eq!(relative(now, now), "just now");
        assert_eq!(format_time(now), "27 Nov 2026, 10:00 UTC");
        assert_eq!(rfc3339(now), "2026-11-27T10:00:00Z");
    }
}
