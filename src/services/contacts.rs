//! A workspace's contacts, as the JSON API reads and changes them. The caller's key or app token
//! decides the workspace; write access is checked by the caller before.

use super::{Error, Result};
use crate::db::ids::WorkspaceId;
use crate::db::AnyConnection;
use crate::domain::account::EmailAddress;
use crate::domain::contact::{ContactName, ContactStatus};
use crate::domain::ids::public_id;
use crate::domain::FieldError;
use crate::models::contacts::{self, Contact, NewContact};

/// The fields of a POST or PATCH body, parsed; absent ones stay as they are.
#[derive(Debug, Default)]
pub struct ContactFields {
    pub email: Option<EmailAddress>,
    pub name: Option<ContactName>,
    pub status: Option<ContactStatus>,
}

fn email_taken() -> Error {
    Error::Taken(FieldError::new(
        "email",
        "A contact with this email already exists in the workspace.",
    ))
}

pub fn list(
    c: &mut AnyConnection,
    ws: WorkspaceId,
    email: Option<&EmailAddress>,
    limit: i64,
    cursor: Option<&str>,
) -> Result<(Vec<Contact>, bool)> {
    contacts::list(c, ws, email.map(EmailAddress::as_str), limit, cursor)?.ok_or_else(|| {
        Error::invalid(
            "cursor",
            "Unknown cursor. Pass the `next_cursor` of the previous page, or none for the first.",
        )
    })
}

pub fn get(c: &mut AnyConnection, ws: WorkspaceId, id: &str) -> Result<Contact> {
    contacts::find(c, ws, id)?.ok_or(Error::NotFound)
}

pub fn create(
    c: &mut AnyConnection,
    ws: WorkspaceId,
    fields: ContactFields,
    now: time::PrimitiveDateTime,
) -> Result<Contact> {
    let email = fields
        .email
        .ok_or_else(|| Error::invalid("email", "Required."))?;
    c.write_transaction::<_, Error, _>(|c| {
        if contacts::email_taken(c, ws, email.as_str(), None)? {
            return Err(email_taken());
        }
        let name = fields.name.as_ref().map_or("", ContactName::as_str);
        Ok(contacts::insert(
            c,
            &NewContact {
                public_id: public_id("ct"),
                workspace_id: ws,
                email: email.as_str(),
                name,
                status: fields.status.unwrap_or(ContactStatus::Subscribed),
                created_at: now,
                updated_at: now,
            },
        )?)
    })
}

pub fn update(
    c: &mut AnyConnection,
    ws: WorkspaceId,
    id: &str,
    fields: ContactFields,
    now: time::PrimitiveDateTime,
) -> Result<Contact> {
    c.write_transaction::<_, Error, _>(|c| {
        let current = get(c, ws, id)?;
        let email = fields
            .email
            .as_ref()
            .map_or(current.email.as_str(), EmailAddress::as_str);
        if contacts::email_taken(c, ws, email, Some(current.id))? {
            return Err(email_taken());
        }
        let name = fields
            .name
            .as_ref()
            .map_or(current.name.as_str(), ContactName::as_str);
        let status = fields.status.unwrap_or(current.status);
        contacts::update(c, current.id, email, name, status, now)?;
        get(c, ws, id)
    })
}

pub fn delete(c: &mut AnyConnection, ws: WorkspaceId, id: &str) -> Result<()> {
    let current = get(c, ws, id)?;
    contacts::delete(c, current.id)?;
    Ok(())
}
