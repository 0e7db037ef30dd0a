//! The one integration-test binary. `routes/` mirrors the URL tree; the other files test what
//! crosses every route (headers, sessions, the command line, migrations). Every HTTP test runs
//! on SQLite and on PostgreSQL (see `backend_tests!`).

mod helpers;

#[path = "../browser/mod.rs"]
mod browser;
mod cli;
mod headers;
mod metrics;
mod migrations;
mod public_url;
mod routes;
mod sessions;
