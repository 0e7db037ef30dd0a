//! Instance-wide secrets kept in the database, so that several server processes agree on them.

use diesel::prelude::*;

use crate::db::schema::instance_secrets;
use crate::db::AnyConnection;

/// Returns the stored value, or stores `make()` and returns it (the first writer wins).
pub fn get_or_create(
    conn: &mut AnyConnection,
    name: &str,
    make: impl FnOnce() -> String,
) -> QueryResult<String> {
    if let Some(v) = get(conn, name)? {
        return Ok(v);
    }
    let value = make();
    // Another process may insert first; then its value is the one to use.
    let _ = diesel::insert_into(instance_secrets::table)
        .values((
            instance_secrets::name.eq(name),
            instance_secrets::value.eq(&value),
        ))
        .execute(conn);
    get(conn, name)?.ok_or(diesel::result::Error::NotFound)
}

fn get(conn: &mut AnyConnection, name: &str) -> QueryResult<Option<String>> {
    instance_secrets::table
        .find(name)
        .select(instance_secrets::value)
        .first(conn)
        .optional()
}
