//! Everything HTTP that is not a handler: errors, htmx rendering, the typed session and the
//! acting person, CSRF, client addresses, middleware, session storage and static files.

pub mod actor;
pub mod client_ip;
pub mod csrf;
pub mod download;
pub mod error;
pub mod htmx;
pub mod middleware;
pub mod session;
pub mod session_store;
pub mod static_files;
