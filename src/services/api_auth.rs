//! What the database says about a credential presented to the JSON API: a key by the SHA-256 of
//! its secret, a rotated-out secret (for the key's history only), or an app's access token. The
//! cache and throttling around these live in `api::auth`.

use time::PrimitiveDateTime;

use super::{audit, Result};
use crate::db::ids::{GrantId, KeyId, UserId, WorkspaceId};
use crate::db::AnyConnection;
use crate::domain::audit::AuditAction;
use crate::domain::oauth::{self as o, Scope, TokenKind};
use crate::models::api_keys::{self, KeyForAuth};
use crate::models::oauth;

/// An app calling with an OAuth access token: its grant, on behalf of the person who connected it.
#[derive(Debug, Clone)]
pub struct AppToken {
    pub grant: GrantId,
    pub grant_public_id: String,
    pub app: String,
    pub workspace_id: WorkspaceId,
    pub workspace_public_id: String,
    pub workspace_name: String,
    pub scope: Scope,
    pub expires_at: PrimitiveDateTime,
    /// The person who connected the app (none once their account is gone): a `keys:manage` call
    /// acts as them, with their permission as it is now.
    pub user: Option<UserId>,
}

/// A key by the hash of its secret.
pub fn key_by_hash(c: &mut AnyConnection, hash: &str) -> Result<Option<KeyForAuth>> {
    Ok(api_keys::find_by_hash(c, hash)?)
}

/// The key whose secret this was before a rotation: (key, workspace, public id).
pub fn retired_key(
    c: &mut AnyConnection,
    hash: &str,
) -> Result<Option<(KeyId, WorkspaceId, String)>> {
    Ok(api_keys::find_retired(c, hash)?)
}

/// A live access token: not expired, not revoked, its grant not revoked.
pub fn app_token(
    c: &mut AnyConnection,
    token: &str,
    now: PrimitiveDateTime,
) -> Result<Option<AppToken>> {
    let found = oauth::find_token(c, &o::hash(token))?;
    Ok(
        found.and_then(|(tok, grant, _client, app, ws_public, ws_name)| {
            let live = tok.kind == TokenKind::Access
                && tok.revoked_at.is_none()
                && tok.expires_at > now
                && grant.revoked_at.is_none();
            live.then(|| AppToken {
                grant: grant.id,
                grant_public_id: grant.public_id,
                app,
                workspace_id: grant.workspace_id,
                workspace_public_id: ws_public,
                workspace_name: ws_name,
                // A stored scope is one the consent checked; were it unreadable, it grants nothing.
                scope: Scope::parse(&grant.scope).unwrap_or(Scope {
                    contacts: None,
                    manage_keys: false,
                }),
                expires_at: tok.expires_at,
                user: grant.user_id,
            })
        }),
    )
}

/// A refused call with a real key, in the key's history: "revoked key used; curl/8.5".
pub fn record_rejection(
    c: &mut AnyConnection,
    workspace: WorkspaceId,
    key_public_id: &str,
    reason: &str,
    user_agent: &str,
    ip: &str,
    now: PrimitiveDateTime,
) -> Result<()> {
    let details = if user_agent.is_empty() {
        reason.to_owned()
    } else {
        format!("{reason}; {user_agent}")
    };
    audit::record_unattended(
        c,
        now,
        Some(ip),
        Some(workspace),
        AuditAction::ApiKeyRejected,
        Some(key_public_id),
        &details,
    )?;
    Ok(())
}
