//! Sign-in, sign-out and first-run setup.

pub mod login;
pub mod setup;

/// Where people land after signing in.
pub const AFTER_SIGN_IN: &str = "/settings/api-keys";
