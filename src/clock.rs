//! Time comes from a clock passed in, so expiry and timeouts are testable. Always UTC.

use std::sync::{Arc, Mutex};

use time::{OffsetDateTime, PrimitiveDateTime};

pub trait Clock: Send + Sync + 'static {
    fn now_utc(&self) -> OffsetDateTime;

    /// The UTC time as stored in the database (`TIMESTAMP` columns hold UTC).
    fn now(&self) -> PrimitiveDateTime {
        let now = self.now_utc();
        // Whole microseconds: what both backends store.
        let now = now
            .replace_nanosecond(now.microsecond() * 1000)
            .unwrap_or(now);
        PrimitiveDateTime::new(now.date(), now.time())
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_utc(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to (tests and demos).
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    pub fn advance(&self, by: time::Duration) {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *guard += by;
    }
}

impl Clock for ManualClock {
    fn now_utc(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub type SharedClock = Arc<dyn Clock>;
