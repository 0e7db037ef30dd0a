//! Diesel rows and queries. Every function takes `&mut AnyConnection`; none touches actix.

pub mod api_keys;
pub mod audit;
pub mod contacts;
pub mod invitations;
pub mod login_failures;
pub mod oauth;
pub mod outbox;
pub mod secrets;
pub mod sessions;
pub mod usage;
pub mod users;
pub mod workspaces;
