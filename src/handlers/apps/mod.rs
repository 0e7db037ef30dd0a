//! Settings > Authorized Apps: the apps connected to each workspace (revocable), and registering
//! apps (OAuth clients) for developers.

pub mod list;
pub mod register;
pub mod revoke;
