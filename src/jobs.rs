//! Background tasks of a serving process: housekeeping (on the console's pool), and on the API's
//! pool the key change feed (with PostgreSQL's NOTIFY for speed) and writing coalesced last-used
//! facts.

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
    api_pool: &Pool,
    api: &Arc<ApiRuntime>,
    clock: &SharedClock,
    settings: &Settings,
    last_change: i64,
) {
    spawn_housekeeping(pool.clone(), clock.clone(), settings.clone());
    spawn_lifecycle(pool.clone(), api.clone(), clock.clone(), settings.clone());
    if let Some(mail) = &settings.mail {
        match crate::mail::Mailer::new(mail) {
            Ok(mailer) => spawn_mail_sender(pool.clone(), clock.clone(), mailer),
            Err(e) => tracing::warn!(error = %e, "reminder emails are off"),
        }
    }
    spawn_key_change_feed(
        api_pool.clone(),
        api.clone(),
        clock.clone(),
        settings.key_feed_poll,
        last_change,
    );
    if let crate::db::DatabaseUrl::Postgres(_) = &settings.database {
        spawn_key_change_listener(settings.database.clone(), api.clone(), last_change);
    }
    spawn_last_used_flusher(api_pool.clone(), api.clone(), clock.clone());
}

/// Every ten minutes: drop expired sessions and old sign-in failures, and let SQLite refresh the
/// planner's statistics where they went stale.
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
                    crate::db::optimize(c)?;
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

/// Every 30 seconds: record the end of rotations whose overlap is over (the old secrets already
/// stopped on the request path at their time), and revoke keys the "unused for N days" policies
/// catch. Safe with several processes: every change is a compare-and-swap, audited once.
fn spawn_lifecycle(pool: Pool, api: Arc<ApiRuntime>, clock: SharedClock, settings: Settings) {
    // Reminder emails are queued only when they can be sent.
    let base = settings.mail.as_ref().and(settings.public_url.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = clock.now();
            let base = base.clone();
            let done = run_db(&pool, move |c| -> Result<_, crate::services::Error> {
                let mut keys = crate::services::api_keys::retire_due(c, now)?;
                let revoked = crate::services::policies::revoke_unused(c, now)?;
                keys.extend(crate::services::policies::ids(&revoked));
                if let Some(base) = &base {
                    crate::services::reminders::enqueue_revoked(c, &revoked, now, base)?;
                    crate::services::reminders::enqueue_due(c, now, base)?;
                }
                Ok((keys, revoked.len()))
            })
            .await;
            match done {
                Ok((keys, revoked)) => {
                    for k in keys {
                        api.keys.invalidate(k);
                    }
                    if revoked > 0 {
                        tracing::info!(revoked, "keys revoked by workspace policies");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "the key lifecycle job failed"),
            }
        }
    });
}

/// Every 10 seconds: send the reminder emails that are due. Each is claimed in the database
/// first (so several processes never send one twice); a failure is logged and retried later.
fn spawn_mail_sender(pool: Pool, clock: SharedClock, mailer: crate::mail::Mailer) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            send_reminders(&pool, &mailer, &clock).await;
        }
    });
}

/// Sends every reminder that is due now; returns how many went out.
pub async fn send_reminders(
    pool: &Pool,
    mailer: &crate::mail::Mailer,
    clock: &SharedClock,
) -> usize {
    use crate::services::reminders;
    let now = clock.now();
    let due = match run_db(pool, move |c| reminders::due(c, now)).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the reminder emails");
            return 0;
        }
    };
    let mut sent = 0;
    for mail in due {
        let id = mail.id;
        let now = clock.now();
        match run_db(pool, move |c| reminders::claim(c, id, now)).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim a reminder email");
                continue;
            }
        }
        let to: Vec<String> = mail.recipients.split(", ").map(str::to_owned).collect();
        let result = mailer.send(&to, &mail.subject, &mail.body).await;
        let now = clock.now();
        let written = match result {
            Ok(()) => {
                sent += 1;
                run_db(pool, move |c| reminders::sent(c, &mail, now)).await
            }
            Err(e) => {
                let error = format!("{e:#}");
                tracing::warn!(
                    error = %error,
                    kind = mail.kind.as_str(),
                    attempts = mail.attempts + 1,
                    "a reminder email failed; it will be retried"
                );
                run_db(pool, move |c| reminders::failed(c, &mail, now, &error)).await
            }
        };
        if let Err(e) = written {
            tracing::warn!(error = %e, "cannot record a reminder email");
        }
    }
    sent
}

/// Every `every` (200 ms by default): read the key change feed and drop changed keys from this
/// process's cache, so a revoke or rotation made by another server process takes effect here
/// within a poll even when NOTIFY is lost (or on SQLite, which has none).
fn spawn_key_change_feed(
    pool: Pool,
    api: Arc<ApiRuntime>,
    clock: SharedClock,
    every: Duration,
    mut last: i64,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
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
                    let now = clock.now();
                    for (id, key_id, changed_at) in changes {
                        api.keys.invalidate(key_id);
                        last = last.max(id);
                        crate::telemetry::metrics::feed_lag((now - changed_at).as_seconds_f64());
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

/// A listening connection, and the changes made before it listened: (feed id, key).
type Listening = (crate::db::AnyConnection, Vec<(i64, crate::db::ids::KeyId)>);

/// PostgreSQL: `LISTEN` on a connection of its own; every change to a key is a `NOTIFY` naming it
/// (sent at commit by `record_change`), and the key leaves this process's cache within about
/// 10 ms. The connection is read without blocking a thread; when it drops, it is opened again
/// (the poll above covers the gap).
fn spawn_key_change_listener(url: crate::db::DatabaseUrl, api: Arc<ApiRuntime>, mut since: i64) {
    tokio::spawn(async move {
        loop {
            let listening = {
                let url = url.clone();
                tokio::task::spawn_blocking(move || -> anyhow::Result<Listening> {
                    let mut conn = crate::db::connect(&url)?;
                    api_keys::listen_for_changes(&mut conn)?;
                    // What changed before we listened (since start-up, or while disconnected)
                    // was never notified to us: read it from the feed now.
                    let missed = api_keys::changes_since(&mut conn, since)?
                        .into_iter()
                        .map(|(id, key, _)| (id, key))
                        .collect();
                    Ok((conn, missed))
                })
                .await
            };
            let mut conn = match listening {
                Ok(Ok((conn, missed))) => {
                    for (id, key) in missed {
                        api.keys.invalidate(key);
                        since = since.max(id);
                    }
                    conn
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %format!("{e:#}"), "cannot LISTEN for key changes");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
                Err(_) => return,
            };
            loop {
                let read = tokio::task::spawn_blocking(move || {
                    let keys = api_keys::notified_changes(&mut conn);
                    (conn, keys)
                })
                .await;
                let Ok((back, keys)) = read else { return };
                conn = back;
                match keys {
                    Ok(keys) => {
                        for k in keys {
                            api.keys.invalidate(k);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the key change notifications");
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
}

/// Every 5 seconds, or at once when the map of pending uses is full: write last-used facts that
/// are due (a key at most about once a minute; everything when under pressure).
fn spawn_last_used_flusher(pool: Pool, api: Arc<ApiRuntime>, clock: SharedClock) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        let mut usage_ticks = 0u32;
        let mut rolled_on = None;
        loop {
            let force = tokio::select! {
                _ = tick.tick() => false,
                _ = api.last_used.under_pressure() => true,
                _ = api.grant_last_used.under_pressure() => true,
                _ = api.usage.under_pressure() => true,
            };
            if let Err(e) = api.last_used.flush(&pool, &clock, force).await {
                tracing::warn!(error = %e, "could not write last-used facts");
            }
            if let Err(e) = api.grant_last_used.flush(&pool, &clock, force).await {
                tracing::warn!(error = %e, "could not write apps' last-used facts");
            }
            // Usage counts: once a minute (every 12th tick), or now when under pressure.
            usage_ticks += 1;
            if force || usage_ticks >= 12 {
                usage_ticks = 0;
                let today = clock.now().date();
                if let Err(e) = api.usage.flush(&pool, today).await {
                    tracing::warn!(error = %e, "could not write usage counts; kept for next time");
                }
                if rolled_on != Some(today) {
                    match api.usage.roll(&pool, today).await {
                        Ok(_) => rolled_on = Some(today),
                        Err(e) => tracing::warn!(error = %e, "could not move the usage week on"),
                    }
                }
            }
        }
    });
}
