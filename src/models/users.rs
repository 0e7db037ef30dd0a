use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::ids::UserId;
use crate::db::schema::users;
use crate::db::AnyConnection;

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub public_id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_at: PrimitiveDateTime,
    pub last_sign_in_at: Option<PrimitiveDateTime>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("public_id", &self.public_id)
            .field("is_admin", &self.is_admin)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub public_id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_at: PrimitiveDateTime,
}

pub fn find(conn: &mut AnyConnection, id: UserId) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut AnyConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn any_admin(conn: &mut AnyConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::is_admin.eq(true)),
    ))
    .get_result(conn)
}

pub fn insert(conn: &mut AnyConnection, new: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(new)
        .execute(conn)?;
    users::table
        .filter(users::public_id.eq(new.public_id))
        .select(User::as_select())
        .first(conn)
}

pub fn set_name(conn: &mut AnyConnection, id: UserId, name: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::name.eq(name))
        .execute(conn)
}

pub fn set_password_hash(conn: &mut AnyConnection, id: UserId, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(hash))
        .execute(conn)
}

pub fn set_disabled(conn: &mut AnyConnection, id: UserId, disabled: bool) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::disabled.eq(disabled))
        .execute(conn)
}

pub fn record_sign_in(
    conn: &mut AnyConnection,
    id: UserId,
    at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::last_sign_in_at.eq(Some(at)))
        .execute(conn)
}

pub fn find_by_public_id(conn: &mut AnyConnection, public_id: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::public_id.eq(public_id))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Display names of people by id, in one query (revokers, actors).
pub fn names(
    conn: &mut AnyConnection,
    ids: Vec<UserId>,
) -> QueryResult<std::collections::HashMap<UserId, String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::name))
        .load::<(UserId, String)>(conn)?
        .into_iter()
        .collect())
}

/// A person's display name by id (creator, revoker).
pub fn name_of(conn: &mut AnyConnection, id: Option<UserId>) -> QueryResult<Option<String>> {
    match id {
        None => Ok(None),
        Some(id) => users::table
            .find(id)
            .select(users::name)
            .first(conn)
            .optional(),
    }
}

/// People whose lower-cased name or email is LIKE the pattern (the search of the API Keys list:
/// keys by their owner). The people table is small next to the keys.
pub fn matching(conn: &mut AnyConnection, pattern: &str) -> QueryResult<Vec<UserId>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let fold = match conn {
        AnyConnection::Postgresql(_) => "lower",
        AnyConnection::Sqlite(_) => "mlr_fold",
    };
    let sql = match conn {
        AnyConnection::Postgresql(_) => format!(
            "SELECT id FROM users WHERE {fold}(name) LIKE $1 ESCAPE '\\' OR {fold}(email) LIKE $1 ESCAPE '\\'"
        ),
        AnyConnection::Sqlite(_) => format!(
            "SELECT id FROM users WHERE {fold}(name) LIKE ?1 ESCAPE '\\' OR {fold}(email) LIKE ?1 ESCAPE '\\'"
        ),
    };
    Ok(diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(pattern)
        .load::<Id>(conn)?
        .into_iter()
        .map(|r| UserId(r.id))
        .collect())
}
