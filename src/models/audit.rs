use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::schema::audit_events;
use crate::db::AnyConnection;

#[derive(Insertable, Debug)]
#[diesel(table_name = audit_events)]
pub struct NewEvent<'a> {
    pub workspace_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub subject: Option<&'a str>,
    pub details: &'a str,
    pub ip: Option<&'a str>,
    pub created_at: PrimitiveDateTime,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = audit_events)]
pub struct Event {
    pub id: i64,
    pub workspace_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub action: String,
    pub subject: Option<String>,
    pub details: String,
    pub ip: Option<String>,
    pub created_at: PrimitiveDateTime,
}

pub fn record(conn: &mut AnyConnection, event: &NewEvent<'_>) -> QueryResult<usize> {
    diesel::insert_into(audit_events::table)
        .values(event)
        .execute(conn)
}

pub fn recent_for_actor(
    conn: &mut AnyConnection,
    actor_id: i64,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    audit_events::table
        .filter(audit_events::actor_id.eq(actor_id))
        .order(audit_events::id.desc())
        .limit(limit)
        .select(Event::as_select())
        .load(conn)
}

/// A workspace's events, newest first, with each actor's name; optionally one actor's, or one
/// action's.
pub fn for_workspace(
    conn: &mut AnyConnection,
    workspace_id: i64,
    actor: Option<i64>,
    action: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<(Event, Option<String>)>> {
    use crate::db::schema::users;
    let mut q = audit_events::table
        .left_join(users::table.on(audit_events::actor_id.eq(users::id.nullable())))
        .filter(audit_events::workspace_id.eq(workspace_id))
        .into_boxed();
    if let Some(a) = actor {
        q = q.filter(audit_events::actor_id.eq(a));
    }
    if let Some(a) = action {
        q = q.filter(audit_events::action.eq(a.to_owned()));
    }
    q.order(audit_events::id.desc())
        .limit(limit)
        .select((Event::as_select(), users::name.nullable()))
        .load(conn)
}

/// The actions that occur in a workspace's log, for the Activity filter.
pub fn actions_in_workspace(
    conn: &mut AnyConnection,
    workspace_id: i64,
) -> QueryResult<Vec<String>> {
    audit_events::table
        .filter(audit_events::workspace_id.eq(workspace_id))
        .select(audit_events::action)
        .distinct()
        .order(audit_events::action.asc())
        .load(conn)
}
