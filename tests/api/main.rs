//! The one integration-test binary. Files mirror the URL tree; every test runs on SQLite and on
//! PostgreSQL (see `backend_tests!`).

mod helpers;

mod api_keys;
mod api_v1;
#[path = "../browser/mod.rs"]
mod browser;
mod cli;
mod headers;
mod health;
mod login;
mod migrations;
mod oauth;
mod sessions;
mod settings;
mod setup;
mod team;
