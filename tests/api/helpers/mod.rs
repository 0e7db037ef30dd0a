//! What every integration test uses: the app, its client, and fixtures.

mod app;
mod client;
mod fixtures;
mod smtp;

pub use app::*;
pub use client::*;
pub use fixtures::*;
pub use smtp::*;
