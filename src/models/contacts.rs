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

#[derive(Queryable, QueryableByName, Selectable, Debug, Clone)]
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

/// A page of a workspace's contacts (oldest first), optionally those with one email, and the
/// total, counted by the page's own statement (`COUNT(*) OVER ()`); a page past the end costs
/// one more count.
pub fn list(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
    email: Option<&str>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Contact>, i64)> {
    use diesel::sql_types::{BigInt, Text};

    #[derive(QueryableByName)]
    struct Row {
        #[diesel(embed)]
        contact: Contact,
        #[diesel(sql_type = BigInt)]
        total: i64,
    }
    let postgres = matches!(conn, AnyConnection::Postgresql(_));
    let p = |n: usize| {
        if postgres {
            format!("${n}")
        } else {
            "?".to_owned()
        }
    };
    let by_email = if email.is_some() {
        format!(" AND email = {}", p(2))
    } else {
        String::new()
    };
    let (l, o) = if email.is_some() {
        (p(3), p(4))
    } else {
        (p(2), p(3))
    };
    let sql = format!(
        "SELECT id, public_id, workspace_id, email, name, status, created_at, updated_at, \
         COUNT(*) OVER () AS total FROM contacts WHERE workspace_id = {}{by_email} \
         ORDER BY id LIMIT {l} OFFSET {o}",
        p(1)
    );
    let mut q = diesel::sql_query(sql)
        .into_boxed()
        .bind::<BigInt, _>(workspace_id.0);
    if let Some(e) = email {
        q = q.bind::<Text, _>(e.to_owned());
    }
    let rows: Vec<Row> = q
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(conn)?;
    let total = match rows.first() {
        Some(r) => r.total,
        None if offset == 0 => 0,
        None => {
            let mut count = contacts::table
                .filter(contacts::workspace_id.eq(workspace_id))
                .into_boxed();
            if let Some(e) = email {
                count = count.filter(contacts::email.eq(e.to_owned()));
            }
            count.count().get_result(conn)?
        }
    };
    Ok((rows.into_iter().map(|r| r.contact).collect(), total))
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
