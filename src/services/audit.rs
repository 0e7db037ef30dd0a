//! The one way an audit row is written.

use time::PrimitiveDateTime;

use super::{Acting, Result};
use crate::db::ids::WorkspaceId;
use crate::db::AnyConnection;
use crate::domain::audit::AuditAction;
use crate::models::audit::{self, NewEvent};

/// Records what `acting` did, in the caller's transaction.
pub fn record(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: Option<WorkspaceId>,
    action: AuditAction,
    subject: Option<&str>,
    details: &str,
) -> Result<()> {
    audit::insert(
        c,
        &NewEvent {
            workspace_id: workspace,
            actor_id: Some(acting.user),
            action,
            subject,
            details,
            ip: acting.ip.as_deref(),
            created_at: acting.now,
        },
    )?;
    Ok(())
}

/// Records what happened without a person acting (the command line, a refused API call).
pub fn record_unattended(
    c: &mut AnyConnection,
    now: PrimitiveDateTime,
    ip: Option<&str>,
    workspace: Option<WorkspaceId>,
    action: AuditAction,
    subject: Option<&str>,
    details: &str,
) -> Result<()> {
    audit::insert(
        c,
        &NewEvent {
            workspace_id: workspace,
            actor_id: None,
            action,
            subject,
            details,
            ip,
            created_at: now,
        },
    )?;
    Ok(())
}
