//! The audit log: who did what, when and from where, per workspace.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::ids::{UserId, WorkspaceId};
use crate::db::schema::{audit_events, users};
use crate::db::AnyConnection;
use crate::domain::audit::AuditAction;

#[derive(Insertable, Debug)]
#[diesel(table_name = audit_events)]
pub struct NewEvent<'a> {
    pub workspace_id: Option<WorkspaceId>,
    pub actor_id: Option<UserId>,
    pub action: AuditAction,
    pub subject: Option<&'a str>,
    pub details: &'a str,
    pub ip: Option<&'a str>,
    pub created_at: PrimitiveDateTime,
    /// The authorized app the actor acted through, if any ("Olivia Owner via CRM Sync").
    pub via_app: Option<&'a str>,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = audit_events)]
pub struct Event {
    pub id: i64,
    pub workspace_id: Option<WorkspaceId>,
    pub actor_id: Option<UserId>,
    pub action: AuditAction,
    pub subject: Option<String>,
    pub details: String,
    pub ip: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub via_app: Option<String>,
}

impl Event {
    /// Who acted, as Activity and a key's history name them: "Olivia Owner", "Olivia Owner via
    /// CRM Sync", or "Mailrith" when nobody did (a job, a refused call).
    pub fn actor_label(&self, name: Option<&str>) -> String {
        let who = name.unwrap_or("Mailrith");
        match &self.via_app {
            Some(app) => format!("{who} via {app}"),
            None => who.to_owned(),
        }
    }
}

pub fn insert(conn: &mut AnyConnection, event: &NewEvent<'_>) -> QueryResult<usize> {
    diesel::insert_into(audit_events::table)
        .values(event)
        .execute(conn)
}

/// A workspace's events, newest first, with each actor's name; optionally one actor's, or one
/// action's; optionally only those older than event `before` (the next batch of an export).
pub fn for_workspace(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    actor: Option<Option<UserId>>,
    action: Option<AuditAction>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(Event, Option<String>)>> {
    let mut q = audit_events::table
        .left_join(users::table.on(audit_events::actor_id.eq(users::id.nullable())))
        .filter(audit_events::workspace_id.eq(workspace_id))
        .into_boxed();
    match actor {
        None => {}
        Some(Some(a)) => q = q.filter(audit_events::actor_id.eq(a)),
        // Someone who never acted here.
        Some(None) => q = q.filter(audit_events::id.lt(0)),
    }
    if let Some(a) = action {
        q = q.filter(audit_events::action.eq(a));
    }
    if let Some(b) = before {
        q = q.filter(audit_events::id.lt(b));
    }
    q.order(audit_events::id.desc())
        .limit(limit)
        .select((Event::as_select(), users::name.nullable()))
        .load(conn)
}

/// The actions that occur in a workspace's log, for the Activity filter.
pub fn actions_in_workspace(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
) -> QueryResult<Vec<AuditAction>> {
    audit_events::table
        .filter(audit_events::workspace_id.eq(workspace_id))
        .select(audit_events::action)
        .distinct()
        .order(audit_events::action.asc())
        .load(conn)
}

/// A subject's history (a key, an invitation), newest first, with each actor's name.
pub fn for_subject(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    subject: &str,
    limit: i64,
) -> QueryResult<Vec<(Event, Option<String>)>> {
    audit_events::table
        .left_join(users::table.on(audit_events::actor_id.eq(users::id.nullable())))
        .filter(audit_events::workspace_id.eq(workspace_id))
        .filter(audit_events::subject.eq(subject))
        .order(audit_events::id.desc())
        .limit(limit)
        .select((Event::as_select(), users::name.nullable()))
        .load(conn)
}

/// The latest of `actions` recorded on a subject, and who took it.
pub fn last_of(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    subject: &str,
    actions: &[AuditAction],
) -> QueryResult<Option<(AuditAction, Option<String>)>> {
    audit_events::table
        .left_join(users::table.on(audit_events::actor_id.eq(users::id.nullable())))
        .filter(audit_events::workspace_id.eq(workspace_id))
        .filter(audit_events::subject.eq(subject))
        .filter(audit_events::action.eq_any(actions.to_vec()))
        .order(audit_events::id.desc())
        .select((
            audit_events::action,
            users::name.nullable(),
            audit_events::via_app,
        ))
        .first::<(AuditAction, Option<String>, Option<String>)>(conn)
        .optional()
        .map(|row| {
            row.map(|(action, who, via)| {
                let who = match (who, via) {
                    (Some(w), Some(app)) => Some(format!("{w} via {app}")),
                    (w, _) => w,
                };
                (action, who)
            })
        })
}
