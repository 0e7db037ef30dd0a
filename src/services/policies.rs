//! Workspace key policies: Owners and Admins set them (audited); the key services enforce the
//! maximum lifetime and the cap on active keys (refusals audited); the lifecycle job revokes keys
//! unused for the chosen number of days, safely with several processes.

use time::{Duration, PrimitiveDateTime};

use super::{audit, Acting, Error, Input, Result};
use crate::db::ids::KeyId;
use crate::db::AnyConnection;
use crate::domain::audit::AuditAction;
use crate::domain::policy::{lifetime_label, Policy};
use crate::domain::FieldError;
use crate::models::api_keys::{self, ApiKey};
use crate::models::workspaces::{self, Membership, Workspace};

/// The Policies section of a workspace: its policy, and the working keys that outlive its
/// maximum lifetime (the first 50 by name, and how many).
pub struct PolicyView {
    pub membership: Membership,
    pub policy: Policy,
    pub outliving: Vec<ApiKey>,
    pub outliving_total: i64,
    pub active_keys: i64,
}

/// The workspace, if the actor is one of its Owners or Admins (404 outside it, 403 otherwise).
fn managed(c: &mut AnyConnection, acting: &Acting, workspace: &str) -> Result<Membership> {
    let m = workspaces::membership(c, acting.user, workspace)?.ok_or(Error::NotFound)?;
    if !m.role.manages_workspace() {
        return Err(Error::Forbidden(
            "Only the workspace's Owners and Admins can change its policies.",
        ));
    }
    Ok(m)
}

pub fn view(c: &mut AnyConnection, acting: &Acting, workspace: &str) -> Result<PolicyView> {
    let membership = managed(c, acting, workspace)?;
    let ws = &membership.workspace;
    let policy = ws.policy();
    let (outliving, outliving_total) = match policy.latest_expiration(acting.now) {
        Some(latest) => api_keys::outliving(c, ws.id, latest + Duration::days(1), 50)?,
        None => (Vec::new(), 0),
    };
    let active_keys = api_keys::count_active(c, ws.id, acting.now)?;
    Ok(PolicyView {
        policy,
        outliving,
        outliving_total,
        active_keys,
        membership,
    })
}

fn describe(p: &Policy) -> [String; 4] {
    [
        p.max_lifetime_days
            .map(lifetime_label)
            .unwrap_or_else(|| "no limit".into()),
        p.revoke_unused_after_days
            .map(|d| format!("after {}", lifetime_label(d)))
            .unwrap_or_else(|| "off".into()),
        p.max_active_keys.to_string(),
        p.leak_response.label().to_lowercase(),
    ]
}

/// Saves a workspace's policies; the audit row says what changed.
pub fn set(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    policy: Input<Policy>,
) -> Result<Policy> {
    let m = managed(c, acting, workspace)?;
    let new = policy.map_err(Error::Invalid)?;
    let old = m.workspace.policy();
    if new == old {
        return Ok(new);
    }
    let labels = [
        "maximum key lifetime",
        "revoke unused keys",
        "active keys allowed",
    ];
    let changes: Vec<String> = describe(&old)
        .into_iter()
        .zip(describe(&new))
        .zip(labels)
        .filter(|((a, b), _)| a != b)
        .map(|((a, b), label)| format!("{label}: {a} → {b}"))
        .collect();
    c.write_transaction::<_, Error, _>(|c| {
        workspaces::set_policy(c, m.workspace.id, &new)?;
        audit::record(
            c,
            acting,
            Some(m.workspace.id),
            AuditAction::WorkspacePolicyChange,
            None,
            &changes.join("; "),
        )
    })?;
    Ok(new)
}

/// Refuses (with the field's error, audited) a key that would expire later than the workspace's
/// policy allows. `what` says what was refused ("a new key named \"CRM sync\"").
pub(crate) fn check_expiration(
    c: &mut AnyConnection,
    acting: &Acting,
    ws: &Workspace,
    expires_at: Option<PrimitiveDateTime>,
    subject: Option<&str>,
    what: &str,
) -> Result<()> {
    match ws
        .policy()
        .check_expiration(&ws.name, expires_at, acting.now)
    {
        Ok(()) => Ok(()),
        Err(e) => Err(refuse(c, acting, ws, subject, what, e)?),
    }
}

/// Refuses a new key when the workspace holds as many active keys as its policy allows.
pub(crate) fn check_capacity(
    c: &mut AnyConnection,
    acting: &Acting,
    ws: &Workspace,
    what: &str,
) -> Result<()> {
    let cap = ws.max_active_keys;
    if api_keys::count_active(c, ws.id, acting.now)? < i64::from(cap) {
        return Ok(());
    }
    let e = FieldError::new(
        "workspace",
        format!(
            "{} has {cap} active keys, the most its policy allows. Revoke keys it no longer needs, or ask an Owner or Admin to raise the limit.",
            ws.name
        ),
    );
    Err(refuse(c, acting, ws, None, what, e)?)
}

/// Records a refusal by the policy (its own transaction: the refused change is not made) and
/// gives the error to show.
fn refuse(
    c: &mut AnyConnection,
    acting: &Acting,
    ws: &Workspace,
    subject: Option<&str>,
    what: &str,
    e: FieldError,
) -> Result<Error> {
    let details = format!("{what}: {}", e.message);
    c.write_transaction::<_, Error, _>(|c| {
        audit::record(
            c,
            acting,
            Some(ws.id),
            AuditAction::ApiKeyPolicyRefused,
            subject,
            &details,
        )
    })?;
    Ok(Error::Invalid(vec![e]))
}

/// Revokes the keys that the "revoke keys unused for N days" policies catch, up to `limit` per
/// workspace per run. Each revocation is a compare-and-swap, so with several processes each key
/// is revoked and audited once. Returns the keys revoked (for the caches).
pub fn revoke_unused(c: &mut AnyConnection, now: PrimitiveDateTime) -> Result<Vec<(ApiKey, i32)>> {
    let mut done = Vec::new();
    for ws in workspaces::with_unused_revocation(c)? {
        let Some(days) = ws.revoke_unused_after_days else {
            continue;
        };
        let cutoff = now - Duration::days(i64::from(days));
        for key in api_keys::unused_since(c, ws.id, cutoff, now, 200)? {
            let revoked = c.write_transaction::<_, Error, _>(|c| {
                super::api_keys::revoke_by_policy(c, &key, days, now)
            })?;
            if revoked {
                done.push((key, days));
            }
        }
    }
    Ok(done)
}

/// The ids of keys revoked by `revoke_unused`.
pub fn ids(revoked: &[(ApiKey, i32)]) -> Vec<KeyId> {
    revoked.iter().map(|(k, _)| k.id).collect()
}
