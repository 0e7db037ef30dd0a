//! Background tasks of a serving process: housekeeping, the key change feed, and writing
//! coalesced last-used facts.

use std::sync::Arc;
use std::time::Duration;

use crate::api::ApiRuntime;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::db::{run_db, Pool};
use crate::models::{api_keys, login_failures, sessions};

/// Starts every task; they run until the process ends.
pub fn spawn_all(
    pool: &Pool,
    api: &Arc<ApiRuntime>,
    clock: &SharedClock,
    settings: &Settings,
    last_change: i64,
) {
    spawn_housekeeping(pool.clone(), clock.clone(), settings.clone());
    spawn_key_change_feed(pool.clone(), api.clone(), last_change);
    spawn_last_used_flusher(pool.clone(), api.clone(), clock.clone());
}

/// Every ten minutes: drop expired sessions and old sign-in failures.
fn spawn_housekeeping(pool: Pool, clock: SharedClock, settings: Settings) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        tick.tick().await; // the first tick is immediate
        loop {
            tick.tick().await;
            let (pool, clock, settings) = (pool.clone(), clock.clone(), settings.clone());
            let result = run_db(
                &pool,
                move |c| -> Result<(usize, usize), crate::services::Error> {
                    let now = clock.now();
                    let idle =
                        time::Duration::seconds(settings.session.idle_timeout.as_secs() as i64);
                    let absolute =
                        time::Duration::seconds(settings.session.absolute_timeout.as_secs() as i64);
                    let s = sessions::delete_expired(c, now - idle, now - absolute)?;
                    let f = login_failures::prune(c, now - crate::domain::throttle::WINDOW)?;
                    api_keys::prune_changes(c, now - time::Duration::hours(1))?;
                    Ok((s, f))
                },
            )
            .await;
            match result {
                Ok((s, f)) if s + f > 0 => {
                    tracing::info!(sessions = s, login_failures = f, "housekeeping")
                }
                Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
                _ => {}
            }
        }
    });
}

/// Every 200 ms: read the key change feed and drop changed keys from this process's cache, so a
/// revoke or rotation made by another server process takes effect here within a second.
fn spawn_key_change_feed(pool: Pool, api: Arc<ApiRuntime>, mut last: i64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let pool = pool.clone();
            let after = last;
            let changes = run_db(&pool, move |c| -> Result<_, crate::services::Error> {
                Ok(api_keys::changes_since(c, after)?)
            })
            .await;
            match changes {
                Ok(changes) => {
                    for (id, key_id) in changes {
                        api.keys.invalidate(key_id);
                        last = last.max(id);
                    }
                }
                Err(e) => {
                    // Without the feed we cannot trust the cache: empty it until the feed is back.
                    api.keys.clear();
                    tracing::warn!(error = %e, "key change feed unavailable");
                }
            }
        }
    });
}

/// Every 5 seconds: write last-used facts that are due (a key at most about once a minute).
fn spawn_last_used_flusher(pool: Pool, api: Arc<ApiRuntime>, clock: SharedClock) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            if let Err(e) = api.last_used.flush(&pool, &clock, false).await {
                tracing::warn!(error = %e, "could not write last-used facts");
            }
            if let Err(e) = api.grant_last_used.flush(&pool, &clock, false).await {
                tracing::warn!(error = %e, "could not write apps' last-used facts");
            }
        }
    });
}
