//! Contacts: the workspace data the API serves.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::ids::{ContactId, WorkspaceId};
use crate::db::schema::contacts;
use crate::db::AnyConnection;
use crate::domain::contact::ContactStatus;

#[derive(Insertable, Debug)]
#[diesel(table_name = contacts)]
pub struct NewContact<'a> {
    pub public_id: String,
    pub workspace_id: WorkspaceId,
    pub email: &'a str,
    pub name: &'a str,
    pub status: ContactStatus,
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

pub fn count_in_workspace(conn: &mut AnyConnection, workspace_id: WorkspaceId) -> QueryResult<i64> {
    contacts::table
        .filter(contacts::workspace_id.eq(workspace_id))
        .count()
        .get_result(conn)
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = contacts)]
pub struct Contact {
    pub id: ContactId,
    pub public_id: String,
    pub workspace_id: WorkspaceId,
    pub email: String,
    pub name: String,
    pub status: ContactStatus,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

/// A page of a workspace's contacts (oldest first), optionally those with one email, after the
/// contact `after` (a public id) when given: one index range scan, whatever the page's depth.
/// Returns `None` when `after` names no contact of the workspace, and whether more follow.
pub fn list(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    email: Option<&str>,
    limit: i64,
    after: Option<&str>,
) -> QueryResult<Option<(Vec<Contact>, bool)>> {
    let from = match after {
        None => None,
        Some(after) => match contacts::table
            .filter(contacts::workspace_id.eq(workspace_id))
            .filter(contacts::public_id.eq(after))
            .select(contacts::id)
            .first::<ContactId>(conn)
            .optional()?
        {
            Some(id) => Some(id),
            None => return Ok(None),
        },
    };
    // Four fixed shapes (not a boxed query), so that each is prepared once per connection; run
    // on the backend's own connection, where a fixed shape finds its prepared statement by its
    // type (through `AnyConnection` its SQL text was written out on every call to be looked up:
    // a sixth of the API's cost of a page of contacts, by callgrind).
    macro_rules! page {
        () => {
            contacts::table
                .filter(contacts::workspace_id.eq(workspace_id))
                .order(contacts::id.asc())
                .limit(limit + 1)
                .select(Contact::as_select())
        };
    }
    // Each arm expands the query anew, so that it is typed for that backend.
    macro_rules! load {
        ($query:expr) => {
            match conn {
                AnyConnection::Sqlite(c) => $query.load(c),
                AnyConnection::Postgresql(c) => $query.load(c),
            }
        };
    }
    let mut rows: Vec<Contact> = match (email, from) {
        (None, None) => load!(page!())?,
        (Some(e), None) => load!(page!().filter(contacts::email.eq(e)))?,
        (None, Some(f)) => load!(page!().filter(contacts::id.gt(f)))?,
        (Some(e), Some(f)) => load!(page!()
            .filter(contacts::email.eq(e))
            .filter(contacts::id.gt(f)))?,
    };
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok(Some((rows, more)))
}

pub fn find(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    public_id: &str,
) -> QueryResult<Option<Contact>> {
    contacts::table
        .filter(contacts::workspace_id.eq(workspace_id))
        .filter(contacts::public_id.eq(public_id))
        .select(Contact::as_select())
        .first(conn)
        .optional()
}

pub fn email_taken(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    email: &str,
    except: Option<ContactId>,
) -> QueryResult<bool> {
    let mut q = contacts::table
        .filter(contacts::workspace_id.eq(workspace_id))
        .filter(contacts::email.eq(email.to_owned()))
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(contacts::id.ne(id));
    }
    Ok(q.count().get_result::<i64>(conn)? > 0)
}

pub fn insert(conn: &mut AnyConnection, row: &NewContact<'_>) -> QueryResult<Contact> {
    diesel::insert_into(contacts::table)
        .values(row)
        .execute(conn)?;
    contacts::table
        .filter(contacts::public_id.eq(&row.public_id))
        .select(Contact::as_select())
        .first(conn)
}

pub fn update(
    conn: &mut AnyConnection,
    id: ContactId,
    email: &str,
    name: &str,
    status: ContactStatus,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(contacts::table.find(id))
        .set((
            contacts::email.eq(email),
            contacts::name.eq(name),
            contacts::status.eq(status),
            contacts::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn delete(conn: &mut AnyConnection, id: ContactId) -> QueryResult<usize> {
    diesel::delete(contacts::table.find(id)).execute(conn)
}
