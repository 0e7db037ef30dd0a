//! Tracing setup: text or JSON lines on stderr, `RUST_LOG` for the level.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Keeps the process's memory near what it uses (glibc): a fixed mmap threshold of 1 MiB maps big
/// blocks (the 19 MiB of a password hash) on their own and gives them back when freed, where glibc
/// would otherwise raise its threshold and keep them; and two malloc arenas instead of eight per
/// core, so that memory freed by one of the many blocking threads is reused by the others.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes allocator tuning; called at start, before other threads.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Operators' figures in the Prometheus text format, served on `--metrics-bind` only. Names:
/// `mailrith_http_request_duration_seconds{method,route,status}` (the route pattern, never the
/// raw path), `mailrith_db_pool_*{pool}`, `mailrith_key_cache_*_total`,
/// `mailrith_key_change_feed_lag_seconds`, `mailrith_last_used_flush_keys`.
pub mod metrics {
    use std::sync::OnceLock;

    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

    const LATENCY_BUCKETS: &[f64] = &[
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    ];
    const SIZE_BUCKETS: &[f64] = &[1.0, 10.0, 100.0, 1_000.0, 10_000.0, 100_000.0];

    /// Installs the process-wide recorder once (every server of the process shares it) and
    /// returns what renders it.
    pub fn handle() -> Option<PrometheusHandle> {
        HANDLE
            .get_or_init(|| {
                let recorder = PrometheusBuilder::new()
                    .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                    .and_then(|b| {
                        b.set_buckets_for_metric(
                            Matcher::Full("mailrith_last_used_flush_keys".into()),
                            SIZE_BUCKETS,
                        )
                    })
                    .map(|b| b.build_recorder());
                match recorder {
                    Ok(recorder) => {
                        let handle = recorder.handle();
                        match ::metrics::set_global_recorder(recorder) {
                            Ok(()) => Some(handle),
                            Err(e) => {
                                tracing::warn!(error = %e, "a metrics recorder is already installed");
                                None
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot build the metrics recorder");
                        None
                    }
                }
            })
            .clone()
    }

    /// Counts the wait for a pooled connection while it lasts.
    pub struct Waiting(&'static str);

    impl Drop for Waiting {
        fn drop(&mut self) {
            ::metrics::gauge!("mailrith_db_pool_waiting", "pool" => self.0).decrement(1.0);
        }
    }

    pub fn pool_waiting(pool: &'static str) -> Waiting {
        ::metrics::gauge!("mailrith_db_pool_waiting", "pool" => pool).increment(1.0);
        Waiting(pool)
    }

    pub fn pool_timeout(pool: &'static str) {
        ::metrics::counter!("mailrith_db_pool_timeouts_total", "pool" => pool).increment(1);
    }

    /// Connections of a pool: open, and in use (open minus idle), set when the figures are read.
    pub fn pool_state(pool: &'static str, max: u32, state: r2d2::State) {
        ::metrics::gauge!("mailrith_db_pool_connections", "pool" => pool)
            .set(f64::from(state.connections));
        ::metrics::gauge!("mailrith_db_pool_in_use", "pool" => pool)
            .set(f64::from(state.connections - state.idle_connections));
        ::metrics::gauge!("mailrith_db_pool_max", "pool" => pool).set(f64::from(max));
    }

    pub fn request(method: &str, route: &str, status: u16, seconds: f64) {
        ::metrics::histogram!(
            "mailrith_http_request_duration_seconds",
            "method" => method.to_owned(),
            "route" => route.to_owned(),
            "status" => status.to_string(),
        )
        .record(seconds);
    }

    pub fn key_cache_hit() {
        ::metrics::counter!("mailrith_key_cache_hits_total").increment(1);
    }

    pub fn key_cache_miss() {
        ::metrics::counter!("mailrith_key_cache_misses_total").increment(1);
    }

    pub fn key_cache_evicted() {
        ::metrics::counter!("mailrith_key_cache_evictions_total").increment(1);
    }

    pub fn key_cache_size(entries: usize) {
        ::metrics::gauge!("mailrith_key_cache_entries").set(entries as f64);
    }

    /// How long after a key changed this process dropped it from its cache.
    pub fn feed_lag(seconds: f64) {
        ::metrics::histogram!("mailrith_key_change_feed_lag_seconds").record(seconds.max(0.0));
    }

    pub fn last_used_flush(keys: usize) {
        ::metrics::histogram!("mailrith_last_used_flush_keys").record(keys as f64);
    }
}
