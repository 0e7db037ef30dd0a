//! Failed sign-ins, for throttling across every server process sharing the database.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::schema::login_failures;
use crate::db::AnyConnection;

pub fn record(
    conn: &mut AnyConnection,
    email: &str,
    ip: &str,
    at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::email.eq(email),
            login_failures::ip.eq(ip),
            login_failures::created_at.eq(at),
        ))
        .execute(conn)
}

/// The times of failures for this email since `since`, oldest first.
pub fn for_email_since(
    conn: &mut AnyConnection,
    email: &str,
    since: PrimitiveDateTime,
) -> QueryResult<Vec<PrimitiveDateTime>> {
    login_failures::table
        .filter(login_failures::email.eq(email))
        .filter(login_failures::created_at.gt(since))
        .order(login_failures::created_at.asc())
        .select(login_failures::created_at)
        .load(conn)
}

pub fn for_ip_since(
    conn: &mut AnyConnection,
    ip: &str,
    since: PrimitiveDateTime,
) -> QueryResult<Vec<PrimitiveDateTime>> {
    login_failures::table
        .filter(login_failures::ip.eq(ip))
        .filter(login_failures::created_at.gt(since))
        .order(login_failures::created_at.asc())
        .select(login_failures::created_at)
        .load(conn)
}

pub fn clear_email(conn: &mut AnyConnection, email: &str) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::email.eq(email))).execute(conn)
}

pub fn prune(conn: &mut AnyConnection, before: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::created_at.le(before)))
        .execute(conn)
}
