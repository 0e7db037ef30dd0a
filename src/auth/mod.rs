//! Sign-in, sessions, CSRF, the current user, and throttling.

pub mod client_ip;
pub mod csrf;
pub mod current_user;
pub mod password;
pub mod session_store;
pub mod throttle;

pub use current_user::CurrentUser;

/// Session state keys. Values are JSON, as actix-session stores them.
pub const SESSION_USER: &str = "uid";
pub const SESSION_CSRF: &str = "csrf";
pub const SESSION_SETUP: &str = "setup";
pub const SESSION_FLASH: &str = "flash";
/// The page to return to after signing in.
pub const SESSION_NEXT: &str = "next";
