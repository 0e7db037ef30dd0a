//! Tracing setup, and `run_db`: every database call runs on the blocking pool, in the caller's span.

use std::io::IsTerminal;

use actix_web::web;
use tracing_subscriber::EnvFilter;

use crate::db::{AnyConnection, Pool};
use crate::error::AppError;

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

/// Runs `f` with a pooled connection on actix's blocking thread pool.
pub async fn run_db<F, T>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let span = tracing::Span::current();
    web::block(move || {
        let _entered = span.enter();
        let mut conn = pool
            .get()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("database unavailable: {e}")))?;
        f(&mut conn)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
}
