//! Thin handlers, one folder per area and one file per action: extract, parse, one `run_db`
//! with a service, render.

pub mod api_keys;
pub mod apps;
pub mod auth;
pub mod developers;
pub mod health;
pub mod invitations;
pub mod metrics;
pub mod oauth;
pub mod settings;
pub mod team;

use crate::models::users::User;
use crate::views::PageContext;
use crate::web::error::AppError;
use crate::web::session::TypedSession;

/// What a signed-in page's layout needs: the masked CSRF token, who is signed in, the flash
/// message, the Settings tab.
pub fn context(
    session: &TypedSession,
    user: &User,
    tab: &'static str,
) -> Result<PageContext, AppError> {
    Ok(PageContext::new(session.csrf()?, Some(user), session.take_flash()).with_tab(tab))
}
