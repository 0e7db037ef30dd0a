//! Reminder emails waiting in `mail_outbox`: enqueued once per key, kind and moment; claimed by
//! one sender at a time; marked sent, or given a next attempt.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use time::PrimitiveDateTime;

use crate::db::ids::{KeyId, WorkspaceId};
use crate::db::schema::{mail_outbox, memberships, users};
use crate::db::AnyConnection;
use crate::domain::reminder::ReminderKind;
use crate::domain::workspace::Role;

pub struct NewMail<'a> {
    pub kind: ReminderKind,
    pub key_id: KeyId,
    pub due_for: PrimitiveDateTime,
    pub recipients: &'a [String],
    pub subject: &'a str,
    pub body: &'a str,
    pub now: PrimitiveDateTime,
}

/// Adds a message unless this key already has one of this kind for this moment: 1 when added.
pub fn enqueue(conn: &mut AnyConnection, m: &NewMail<'_>) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO mail_outbox (kind, key_id, due_for, recipients, subject, body, created_at, \
         attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7) \
         ON CONFLICT (key_id, kind, due_for) DO NOTHING",
    )
    .bind::<Text, _>(m.kind.as_str())
    .bind::<BigInt, _>(m.key_id.0)
    .bind::<Timestamp, _>(m.due_for)
    .bind::<Text, _>(m.recipients.join(", "))
    .bind::<Text, _>(m.subject)
    .bind::<Text, _>(m.body)
    .bind::<Timestamp, _>(m.now)
    .execute(conn)
}

#[derive(Queryable, Debug, Clone)]
pub struct Mail {
    pub id: i64,
    pub kind: ReminderKind,
    pub key_id: KeyId,
    pub recipients: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
}

/// Messages ready to send (not sent, their attempt due, not claimed by a live sender).
pub fn due(conn: &mut AnyConnection, now: PrimitiveDateTime, limit: i64) -> QueryResult<Vec<Mail>> {
    mail_outbox::table
        .filter(mail_outbox::sent_at.is_null())
        .filter(mail_outbox::next_attempt_at.le(now))
        .filter(
            mail_outbox::claimed_until
                .is_null()
                .or(mail_outbox::claimed_until.lt(now)),
        )
        .order(mail_outbox::next_attempt_at.asc())
        .limit(limit)
        .select((
            mail_outbox::id,
            mail_outbox::kind,
            mail_outbox::key_id,
            mail_outbox::recipients,
            mail_outbox::subject,
            mail_outbox::body,
            mail_outbox::attempts,
        ))
        .load(conn)
}

/// Takes a message for sending until `until`; 0 when another sender has it or it was sent.
pub fn claim(
    conn: &mut AnyConnection,
    id: i64,
    now: PrimitiveDateTime,
    until: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        mail_outbox::table
            .filter(mail_outbox::id.eq(id))
            .filter(mail_outbox::sent_at.is_null())
            .filter(
                mail_outbox::claimed_until
                    .is_null()
                    .or(mail_outbox::claimed_until.lt(now)),
            ),
    )
    .set((
        mail_outbox::claimed_until.eq(Some(until)),
        mail_outbox::attempts.eq(mail_outbox::attempts + 1),
    ))
    .execute(conn)
}

pub fn mark_sent(conn: &mut AnyConnection, id: i64, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(mail_outbox::table.find(id))
        .set((
            mail_outbox::sent_at.eq(Some(now)),
            mail_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
}

pub fn mark_failed(
    conn: &mut AnyConnection,
    id: i64,
    next: PrimitiveDateTime,
    error: &str,
) -> QueryResult<usize> {
    diesel::update(mail_outbox::table.find(id))
        .set((
            mail_outbox::claimed_until.eq(None::<PrimitiveDateTime>),
            mail_outbox::next_attempt_at.eq(next),
            mail_outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)
}

/// The emails of a workspace's Owners and Admins who are not disabled.
pub fn manager_emails(conn: &mut AnyConnection, ws: WorkspaceId) -> QueryResult<Vec<String>> {
    memberships::table
        .inner_join(users::table)
        .filter(memberships::workspace_id.eq(ws))
        .filter(
            memberships::role
                .eq(Role::Owner)
                .or(memberships::role.eq(Role::Admin)),
        )
        .filter(users::disabled.eq(false))
        .order(users::email.asc())
        .select(users::email)
        .load(conn)
}
