//! Contacts: the workspace data the API serves.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::schema::contacts;
use crate::db::AnyConnection;

#[derive(Insertable, Debug)]
#[diesel(table_name = contacts)]
pub struct NewContact<'a> {
    pub public_id: String,
    pub workspace_id: i64,
    pub email: &'a str,
    pub name: &'a str,
    pub status: &'a str,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

pub fn insert_many(conn: &mut AnyConnection, rows: &[NewContact<'_>]) -> QueryResult<usize> {
    // MultiConnection has no batch insert; one statement a row, inside the caller's transaction.
    let mut n = 0;
    for row in rows {
        n += diesel::insert_into(contacts::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(n)
}

pub fn count_in_workspace(conn: &mut AnyConnection, workspace_id: i64) -> QueryResult<i64> {
    contacts::table
        .filter(contacts::workspace_id.eq(workspace_id))
        .count()
        .get_result(conn)
}
