//! The API Keys list and one key as the viewer sees it: scoped to the viewer's workspaces, joined to
//! the workspace, the owner and the viewer's own access.

use diesel::prelude::*;

use super::ApiKey;

use crate::db::ids::{UserId, WorkspaceId};
use crate::db::schema::{api_keys, memberships, users};
use crate::db::AnyConnection;
use crate::domain::workspace::WorkspaceAccess;
use crate::models::workspaces::{self, Membership};

/// A key as the list and detail pages show it: with its workspace, owner, and what the viewer
/// may do in its workspace.
#[derive(Debug, Clone)]
pub struct KeyListing {
    pub key: ApiKey,
    pub workspace_name: String,
    pub workspace_public_id: String,
    pub owner_name: Option<String>,
    pub owner_email: Option<String>,
    pub owner_public_id: Option<String>,
    pub viewer_access: WorkspaceAccess,
    /// No owner, or the owner left the workspace or was disabled.
    pub owner_removed: bool,
    /// Who revoked the key, when it is revoked and that person still exists.
    pub revoked_by_name: Option<String>,
}

/// A person a page names (owner or revoker): id, name, email, public id, disabled, and one of the
/// page's workspaces they belong to (a row per such workspace; `None` when they belong to none).
type PersonRow = (UserId, String, String, String, bool, Option<WorkspaceId>);

/// Completes keys as the list shows them, from the viewer's memberships (`mine`, which the caller
/// has read already) and one query for the people the keys name, rather than one join of five
/// tables: on PostgreSQL planning that join (api_keys has twenty indexes) took 1.1–1.8 ms a page,
/// longer than reading it. Keys in a workspace where the viewer may not view keys are left out.
fn complete(
    conn: &mut AnyConnection,
    mine: &[Membership],
    keys: Vec<ApiKey>,
) -> QueryResult<Vec<KeyListing>> {
    use std::collections::{BTreeSet, HashMap};
    let viewable = |ws: WorkspaceId| {
        mine.iter()
            .find(|m| m.workspace.id == ws && m.access.can_view_keys())
    };
    let keys: Vec<ApiKey> = keys
        .into_iter()
        .filter(|k| viewable(k.workspace_id).is_some())
        .collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let spaces: Vec<WorkspaceId> = keys
        .iter()
        .map(|k| k.workspace_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let named: Vec<UserId> = keys
        .iter()
        .flat_map(|k| [k.owner_id, k.revoked_by])
        .flatten()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut people: HashMap<UserId, (String, String, String, bool)> = HashMap::new();
    let mut belongs: BTreeSet<(UserId, WorkspaceId)> = BTreeSet::new();
    if !named.is_empty() {
        let rows: Vec<PersonRow> = users::table
            .left_join(
                memberships::table.on(memberships::user_id
                    .eq(users::id)
                    .and(memberships::workspace_id.eq_any(spaces))),
            )
            .filter(users::id.eq_any(named))
            .select((
                users::id,
                users::name,
                users::email,
                users::public_id,
                users::disabled,
                memberships::workspace_id.nullable(),
            ))
            .load(conn)?;
        for (id, name, email, public_id, disabled, workspace) in rows {
            if let Some(w) = workspace {
                belongs.insert((id, w));
            }
            people.insert(id, (name, email, public_id, disabled));
        }
    }
    Ok(keys
        .into_iter()
        .filter_map(|key| {
            let m = viewable(key.workspace_id)?;
            let owner = key.owner_id.and_then(|o| people.get(&o));
            let owner_removed = match key.owner_id {
                None => true,
                Some(o) => !belongs.contains(&(o, key.workspace_id)) || owner.is_none_or(|p| p.3),
            };
            let revoked_by_name = key
                .revoked_by
                .and_then(|r| people.get(&r))
                .map(|p| p.0.clone());
            Some(KeyListing {
                workspace_name: m.workspace.name.clone(),
                workspace_public_id: m.workspace.public_id.clone(),
                owner_name: owner.map(|p| p.0.clone()),
                owner_email: owner.map(|p| p.1.clone()),
                owner_public_id: owner.map(|p| p.2.clone()),
                viewer_access: m.access,
                owner_removed,
                revoked_by_name,
                key,
            })
        })
        .collect())
}

/// The keys of a page, as the list shows them, in the order of `ids`.
pub fn by_ids(
    conn: &mut AnyConnection,
    mine: &[Membership],
    ids: &[i64],
) -> QueryResult<Vec<KeyListing>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<ApiKey> = api_keys::table
        .filter(api_keys::id.eq_any(ids.to_vec()))
        .select(ApiKey::as_select())
        .load(conn)?;
    let mut listings = complete(conn, mine, keys)?;
    listings.sort_by_key(|l| ids.iter().position(|id| *id == l.key.id.0));
    Ok(listings)
}

/// Whether any of these workspaces has a key (for the empty state).
pub fn any_in(conn: &mut AnyConnection, workspaces: &[WorkspaceId]) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        api_keys::table.filter(api_keys::workspace_id.eq_any(workspaces.to_vec())),
    ))
    .get_result(conn)
}

/// One key by public id, only if the viewer belongs to its workspace.
pub fn find_for_viewer(
    conn: &mut AnyConnection,
    viewer: UserId,
    public_id: &str,
) -> QueryResult<Option<KeyListing>> {
    let key: Option<ApiKey> = api_keys::table
        .filter(api_keys::public_id.eq(public_id))
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?;
    let Some(key) = key else {
        return Ok(None);
    };
    let mine = workspaces::for_user(conn, viewer)?;
    Ok(complete(conn, &mine, vec![key])?.into_iter().next())
}
