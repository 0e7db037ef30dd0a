//! What every integration test uses: the app, its client, and fixtures.

mod app;
mod client;
mod fixtures;

pub use app::*;
pub use client::*;
pub use fixtures::*;
