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
