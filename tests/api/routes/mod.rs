//! Tests by URL: one file (or folder) per part of the URL tree.

mod api_v1;
mod healthz;
mod key_management;
mod key_restrictions;
mod key_usage;
mod login;
pub(crate) mod oauth;
pub(crate) mod secret_scanning;
mod settings;
mod setup;
