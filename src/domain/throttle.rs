//! Sign-in throttling: 5 failures for one account, or 20 from one address, within 15 minutes.
//! Attempts refused while throttled are not counted, so a lock-out ends at most 15 minutes after
//! the failure that caused it: an attacker cannot lock a real admin out for longer.

use time::{Duration, PrimitiveDateTime};

pub const WINDOW: Duration = Duration::minutes(15);
pub const ACCOUNT_LIMIT: usize = 5;
pub const IP_LIMIT: usize = 20;

/// Given the failures inside the window (oldest first), how many seconds until one more attempt
/// is allowed, or `None` if it is allowed now.
pub fn retry_after(
    failures: &[PrimitiveDateTime],
    limit: usize,
    now: PrimitiveDateTime,
) -> Option<u64> {
    if failures.len() < limit {
        return None;
    }
    let decisive = failures[failures.len() - limit];
    let until = decisive + WINDOW;
    let secs = (until - now).whole_seconds().max(1);
    Some(u64::try_from(secs).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn under_the_limit_is_allowed() {
        let now = datetime!(2026-01-01 12:00);
        let f = vec![now - Duration::minutes(1); 4];
        assert_eq!(retry_after(&f, 5, now), None);
    }

    #[test]
    fn at_the_limit_waits_for_the_oldest_to_age_out() {
        let now = datetime!(2026-01-01 12:00);
        let f: Vec<_> = (0..5).map(|i| now - Duration::minutes(10 - i)).collect();
        assert_eq!(retry_after(&f, 5, now), Some(5 * 60));
    }

    #[test]
    fn never_more_than_the_window() {
        let now = datetime!(2026-01-01 12:00);
        let f = vec![now; 50];
        assert_eq!(retry_after(&f, 5, now), Some(15 * 60));
    }
}
