//! What the API Keys tab reads: a page of the list with its filters, and one key with its history.

use crate::db::ids::UserId;
use crate::db::AnyConnection;
use crate::models::api_keys::{self, KeyListing};
use crate::models::workspaces;
use crate::services::{Error, Result};

/// One page of the API Keys list, and what its filters offer.
pub struct KeyList {
    pub keys: Vec<KeyListing>,
    pub total: i64,
    /// Whether the viewer can see any key at all (for the empty state).
    pub any: bool,
    pub memberships: Vec<crate::models::workspaces::Membership>,
    pub people: Vec<crate::models::workspaces::Member>,
}

pub fn list(
    c: &mut AnyConnection,
    viewer: UserId,
    q: &crate::domain::search::KeyQuery,
    now: time::PrimitiveDateTime,
) -> Result<KeyList> {
    let (keys, total) = api_keys::search(c, viewer, q, now)?;
    let any = total > 0 || api_keys::count_visible(c, viewer)? > 0;
    Ok(KeyList {
        keys,
        total,
        any,
        memberships: workspaces::for_user(c, viewer)?,
        people: workspaces::people_visible_to(c, viewer)?
            .into_iter()
            .map(|(m, _)| m)
            .collect(),
    })
}

/// A key the viewer can see, with its history and who created it.
pub struct KeyDetail {
    pub listing: KeyListing,
    pub history: Vec<(crate::models::audit::Event, Option<String>)>,
    pub created_by: Option<String>,
}

pub fn detail(c: &mut AnyConnection, viewer: UserId, key: &str) -> Result<KeyDetail> {
    let listing = api_keys::find_for_viewer(c, viewer, key)?.ok_or(Error::NotFound)?;
    let history = crate::models::audit::for_subject(
        c,
        listing.key.workspace_id,
        &listing.key.public_id,
        200,
    )?;
    let created_by = crate::models::users::name_of(c, listing.key.created_by)?;
    Ok(KeyDetail {
        listing,
        history,
        created_by,
    })
}
