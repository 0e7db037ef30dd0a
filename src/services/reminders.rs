//! Reminder emails about keys (only when SMTP is configured; otherwise the console's badges,
//! filters and banner are the reminders): 7 days and 1 day before a key expires, when it has
//! expired, when an overlap is about to close while the old secret is still in use, and when a
//! policy revoked an unused key. Each goes to the key's owner and the workspace's Owners and
//! Admins, once: enqueuing is idempotent, and sending claims the message first.

use std::collections::HashMap;

use time::{Duration, PrimitiveDateTime};

use super::{audit, Error, Result};
use crate::db::ids::{UserId, WorkspaceId};
use crate::db::AnyConnection;
use crate::domain::audit::AuditAction;
use crate::domain::policy::lifetime_label;
use crate::domain::reminder::{About, ReminderKind};
use crate::models::api_keys::{self, ApiKey};
use crate::models::outbox::{self, Mail, NewMail};
use crate::models::{users, workspaces};

/// How long before the end of an overlap its reminder goes out.
pub const OVERLAP_WARNING: Duration = Duration::hours(1);

/// Remembers recipients and names while a scan runs.
struct Lookup {
    base: String,
    managers: HashMap<WorkspaceId, Vec<String>>,
    people: HashMap<UserId, Option<(String, String)>>,
    workspace_names: HashMap<WorkspaceId, String>,
}

impl Lookup {
    fn new(c: &mut AnyConnection, base: &str) -> Result<Self> {
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            managers: HashMap::new(),
            people: HashMap::new(),
            workspace_names: workspaces::all(c)?
                .into_iter()
                .map(|w| (w.id, w.name))
                .collect(),
        })
    }

    /// (name, email) of a person who is not disabled.
    fn person(&mut self, c: &mut AnyConnection, id: UserId) -> Result<Option<(String, String)>> {
        if let Some(p) = self.people.get(&id) {
            return Ok(p.clone());
        }
        let p = users::find(c, id)?
            .filter(|u| !u.disabled)
            .map(|u| (u.name, u.email));
        self.people.insert(id, p.clone());
        Ok(p)
    }

    fn enqueue(
        &mut self,
        c: &mut AnyConnection,
        key: &ApiKey,
        kind: ReminderKind,
        at: PrimitiveDateTime,
        detail: &str,
        now: PrimitiveDateTime,
    ) -> Result<usize> {
        let ws = key.workspace_id;
        if let std::collections::hash_map::Entry::Vacant(e) = self.managers.entry(ws) {
            e.insert(outbox::manager_emails(c, ws)?);
        }
        let owner = match key.owner_id {
            Some(id) => self.person(c, id)?,
            None => None,
        };
        let mut to: Vec<String> = owner.iter().map(|(_, e)| e.clone()).collect();
        for e in &self.managers[&ws] {
            if !to.contains(e) {
                to.push(e.clone());
            }
        }
        if to.is_empty() {
            return Ok(0);
        }
        let link = format!("{}/settings/api-keys/{}", self.base, key.public_id);
        let workspace = self.workspace_names.get(&ws).cloned().unwrap_or_default();
        let owner_name = owner.map(|(n, _)| n).unwrap_or_else(|| "nobody".into());
        let (subject, body) = kind.write(&About {
            key_name: &key.name,
            hint: &key.hint,
            workspace: &workspace,
            owner: &owner_name,
            at,
            link: &link,
            detail,
        });
        Ok(outbox::enqueue(
            c,
            &NewMail {
                kind,
                key_id: key.id,
                due_for: at,
                recipients: &to,
                subject: &subject,
                body: &body,
                now,
            },
        )?)
    }
}

/// Finds the keys that need a reminder now and queues one for each (a no-op for reminders
/// already queued). `base` is the public URL the links start with. Returns how many were queued.
pub fn enqueue_due(c: &mut AnyConnection, now: PrimitiveDateTime, base: &str) -> Result<usize> {
    let mut look = Lookup::new(c, base)?;
    let mut queued = 0;
    let ids: Vec<WorkspaceId> = look.workspace_names.keys().copied().collect();
    for ws in ids {
        // Expired within the last day, or expiring within the week: one index range.
        let keys = api_keys::expiring_between(
            c,
            ws,
            now - Duration::days(1),
            now + crate::domain::key::EXPIRING_SOON,
            1000,
        )?;
        for key in keys {
            let Some(at) = key.expires_at else { continue };
            let kind = if at <= now {
                ReminderKind::Expired
            } else if at - now <= Duration::days(1) {
                ReminderKind::ExpiresTomorrow
            } else {
                ReminderKind::ExpiresInAWeek
            };
            queued += look.enqueue(c, &key, kind, at, "", now)?;
        }
    }
    for key in api_keys::overlaps_closing(c, now, now + OVERLAP_WARNING, 1000)? {
        // Only while the connected system still uses the old secret.
        let in_use = match (key.old_last_used_at, key.secret_first_used_at) {
            (Some(o), first) => first.is_none_or(|f| o >= f),
            (None, _) => false,
        };
        if let (true, Some(at)) = (in_use, key.old_retires_at) {
            queued += look.enqueue(c, &key, ReminderKind::OverlapClosing, at, "", now)?;
        }
    }
    Ok(queued)
}

/// Queues the notice to the owner (and the workspace's Owners and Admins) of keys a policy
/// revoked for going unused.
pub fn enqueue_revoked(
    c: &mut AnyConnection,
    revoked: &[(ApiKey, i32)],
    now: PrimitiveDateTime,
    base: &str,
) -> Result<usize> {
    let mut look = Lookup::new(c, base)?;
    let mut queued = 0;
    for (key, days) in revoked {
        let detail = lifetime_label(*days);
        queued += look.enqueue(c, key, ReminderKind::RevokedUnused, now, &detail, now)?;
    }
    Ok(queued)
}

/// Messages ready to send.
pub fn due(c: &mut AnyConnection, now: PrimitiveDateTime) -> Result<Vec<Mail>> {
    Ok(outbox::due(c, now, 50)?)
}

/// Claims a message for one sender for a minute; false when another has it.
pub fn claim(c: &mut AnyConnection, id: i64, now: PrimitiveDateTime) -> Result<bool> {
    Ok(outbox::claim(c, id, now, now + Duration::minutes(1))? == 1)
}

/// Marks a message sent and records it in the key's history.
pub fn sent(c: &mut AnyConnection, mail: &Mail, now: PrimitiveDateTime) -> Result<()> {
    c.write_transaction::<_, Error, _>(|c| {
        outbox::mark_sent(c, mail.id, now)?;
        if let Some(key) = api_keys::find_by_id(c, mail.key_id)? {
            audit::record_unattended(
                c,
                now,
                None,
                Some(key.workspace_id),
                AuditAction::ApiKeyReminderSent,
                Some(&key.public_id),
                &format!("{}; to {}", mail.subject, mail.recipients),
            )?;
        }
        Ok(())
    })
}

/// Gives a failed message its next attempt, backing off.
pub fn failed(
    c: &mut AnyConnection,
    mail: &Mail,
    now: PrimitiveDateTime,
    error: &str,
) -> Result<()> {
    let next = now + crate::mail::backoff(mail.attempts + 1);
    outbox::mark_failed(c, mail.id, next, error)?;
    Ok(())
}

/// Queues the notice that a key was found in public (at `url`).
pub fn enqueue_leaked(
    c: &mut AnyConnection,
    key: &ApiKey,
    url: &str,
    now: PrimitiveDateTime,
    base: &str,
) -> Result<usize> {
    Lookup::new(c, base)?.enqueue(c, key, ReminderKind::Leaked, now, url, now)
}
