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
            actor_id: Some(acting.user),
            via_app: acting.via.as_deref(),
            ..event(
                acting.now,
                acting.ip.as_deref(),
                workspace,
                action,
                subject,
                details,
            )
        },
    )?;
    Ok(())
}

fn event<'a>(
    now: PrimitiveDateTime,
    ip: Option<&'a str>,
    workspace: Option<WorkspaceId>,
    action: AuditAction,
    subject: Option<&'a str>,
    details: &'a str,
) -> NewEvent<'a> {
    NewEvent {
        workspace_id: workspace,
        actor_id: None,
        action,
        subject,
        details,
        ip,
        created_at: now,
        via_app: None,
    }
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
    audit::insert(c, &event(now, ip, workspace, action, subject, details))?;
    Ok(())
}
