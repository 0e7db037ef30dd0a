//! Which index each arm reads: one per scope and sort (SQLite is told it with `INDEXED BY`).

use super::*;

/// The index an arm of this scope reads in this sort: each scope is built for one. The revoked
/// keys (`revoked`: the status filter) have their own in the orders by use, which hold them last.
pub(super) fn index_for(scope: &Scope, sort: SortKey, revoked: bool) -> &'static str {
    let sort = match sort {
        SortKey::Name => "name",
        SortKey::Created => "created",
        SortKey::LastUsed => "last_used",
        SortKey::Expires => "expires",
        SortKey::MostUsed => "used",
    };
    match (scope, sort) {
        (Scope::Workspace(_) | Scope::Workspaces(_), "last_used") if revoked => {
            "api_keys_ws_revoked_last_used"
        }
        (Scope::Workspace(_) | Scope::Workspaces(_), "used") if revoked => {
            "api_keys_ws_revoked_requests_7d"
        }
        (Scope::All, "last_used") if revoked => "api_keys_all_revoked_last_used",
        (Scope::All, "used") if revoked => "api_keys_all_revoked_requests_7d",
        (Scope::Workspace(_) | Scope::Workspaces(_), "name") => "api_keys_ws_name",
        (Scope::Workspace(_) | Scope::Workspaces(_), "created") => "api_keys_ws_created",
        (Scope::Workspace(_) | Scope::Workspaces(_), "last_used") => "api_keys_ws_last_used",
        (Scope::Workspace(_) | Scope::Workspaces(_), "used") => "api_keys_ws_requests_7d",
        (Scope::Workspace(_) | Scope::Workspaces(_), _) => "api_keys_ws_expires",
        (Scope::All, "name") => "api_keys_all_name",
        (Scope::All, "created") => "api_keys_all_created",
        (Scope::All, "last_used") => "api_keys_all_last_used",
        (Scope::All, "used") => "api_keys_all_requests_7d",
        (Scope::All, _) => "api_keys_all_expires",
        (Scope::Owner(..) | Scope::NoOwner(_), "name") => "api_keys_owner_name",
        (Scope::Owner(..) | Scope::NoOwner(_), "created") => "api_keys_owner_created",
        (Scope::Owner(..) | Scope::NoOwner(_), "last_used") => "api_keys_owner_last_used",
        (Scope::Owner(..) | Scope::NoOwner(_), "used") => "api_keys_owner_requests_7d",
        (Scope::Owner(..) | Scope::NoOwner(_), _) => "api_keys_owner_expires",
        (Scope::Pair(..), _) => "api_keys_ws_owner",
        (Scope::NamePrefix(_), _) => "api_keys_ws_name",
        (Scope::State, _) => "api_keys_ws_state",
        (Scope::Text { .. } | Scope::Ids(_), _) => "",
    }
}
