//! One key as the API Keys tab shows it: its listing, history, creator and usage.

use crate::db::ids::UserId;
use crate::db::AnyConnection;
use crate::models::api_keys::{self, KeyListing};
use crate::services::{Error, Result};

/// A key the viewer can see, with its history and who created it.
pub struct KeyDetail {
    pub listing: KeyListing,
    pub history: Vec<(crate::models::audit::Event, Option<String>)>,
    pub created_by: Option<String>,
    /// Requests per day over the last 30 days (days without requests left out).
    pub usage: Vec<(time::Date, i64, i64)>,
}

pub fn detail(
    c: &mut AnyConnection,
    viewer: UserId,
    key: &str,
    today: time::Date,
) -> Result<KeyDetail> {
    let listing = api_keys::find_for_viewer(c, viewer, key)?.ok_or(Error::NotFound)?;
    let history = crate::models::audit::for_subject(
        c,
        listing.key.workspace_id,
        &listing.key.public_id,
        200,
    )?;
    let created_by = crate::models::users::name_of(c, listing.key.created_by)?;
    let usage =
        crate::models::usage::daily(c, listing.key.id, crate::domain::usage::chart_start(today))?;
    Ok(KeyDetail {
        listing,
        history,
        created_by,
        usage,
    })
}
