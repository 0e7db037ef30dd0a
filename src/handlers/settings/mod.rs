//! Settings: the tab bar's home, Profile and Workspaces.

pub mod policies;
pub mod profile;
pub mod workspaces;

use actix_web::HttpResponse;

use crate::web::htmx::see_other;

pub async fn index() -> HttpResponse {
    see_other("/settings/api-keys")
}
