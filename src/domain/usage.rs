//! Usage counts: requests per key and UTC day, kept for the chart's 30 days; "this week" is
//! today and the 6 days before.

use time::{Date, Duration};

/// Days in a key's usage chart (and how long daily counts are kept).
pub const CHART_DAYS: i64 = 30;
/// Days in "the last 7 days" and "this week".
pub const WEEK_DAYS: i64 = 7;

/// The first day of the week that ends today.
pub fn week_start(today: Date) -> Date {
    today - Duration::days(WEEK_DAYS - 1)
}

/// The first day of the chart that ends today.
pub fn chart_start(today: Date) -> Date {
    today - Duration::days(CHART_DAYS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_week_and_the_chart_end_today() {
        assert_eq!(week_start(date!(2026 - 12 - 07)), date!(2026 - 12 - 01));
        assert_eq!(chart_start(date!(2026 - 12 - 30)), date!(2026 - 12 - 01));
    }
}
