//! The API Keys list exported a batch at a time (CSV): the keys alone, no counts or choices.

use crate::db::ids::UserId;
use crate::db::AnyConnection;
use crate::domain::search::KeyQuery;
use crate::models::api_keys::{self, KeyListing};
use crate::models::workspaces;
use crate::services::Result;

use super::read::find;

/// A batch of an export: up to `size` keys for `q` (its search, filters and sort; `q.page` says
/// where the batch starts), and where the next one starts, if there are more. No counts, no
/// choices: just the keys, so an export of a million keys reads them a batch at a time.
pub struct ExportBatch {
    pub keys: Vec<KeyListing>,
    pub next: Option<crate::domain::search::Position>,
    /// The name of the workspace the export is filtered to, if it is.
    pub workspace: Option<String>,
}

pub fn export_batch(
    c: &mut AnyConnection,
    viewer: UserId,
    q: &KeyQuery,
    now: time::PrimitiveDateTime,
    size: usize,
) -> Result<ExportBatch> {
    let memberships = workspaces::for_user(c, viewer)?;
    let workspace = q.workspace.as_deref().and_then(|w| {
        memberships
            .iter()
            .find(|m| m.workspace.public_id == w && m.access.can_view_keys())
            .map(|m| m.workspace.name.clone())
    });
    let Some(found) = find(c, q, now, &memberships, size)? else {
        return Ok(ExportBatch {
            keys: Vec::new(),
            next: None,
            workspace,
        });
    };
    let next = found.page.last.clone().filter(|_| found.page.has_after);
    Ok(ExportBatch {
        keys: api_keys::by_ids(c, &memberships, &found.page.ids)?,
        next,
        workspace,
    })
}
