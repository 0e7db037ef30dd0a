//! Keys and app tokens reported public by a secret scanner. A live key is revoked at once (or,
//! when its workspace's policy says "flag only", marked), its history says where it was found,
//! and its owner and the workspace's Owners and Admins are told (the "Leaked" badge; email when
//! SMTP is set). A leaked app token revokes its grant. The same report twice changes nothing more.

use time::PrimitiveDateTime;

use super::{audit, Error, Result};
use crate::db::ids::KeyId;
use crate::db::AnyConnection;
use crate::domain::audit::AuditAction;
use crate::domain::ids::sha256_hex;
use crate::domain::key::PlainKey;
use crate::domain::oauth::{self as o, ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX};
use crate::domain::policy::LeakResponse;
use crate::domain::scanning::{clean_url, Feedback, Reported};
use crate::models::{api_keys, oauth, workspaces};

/// The scanner's feedback, and the keys whose cached copies must go.
pub struct Outcome {
    pub feedback: Vec<Feedback>,
    pub changed: Vec<KeyId>,
}

/// Acts on a verified report. `base` is the public URL, when reminder emails are on.
pub fn report(
    c: &mut AnyConnection,
    items: &[Reported],
    now: PrimitiveDateTime,
    base: Option<&str>,
) -> Result<Outcome> {
    let mut out = Outcome {
        feedback: Vec::new(),
        changed: Vec::new(),
    };
    for item in items {
        let ours = if let Ok(plain) = PlainKey::parse(item.token.trim()) {
            key_reported(c, &plain, item, now, base, &mut out.changed)?
        } else if item.token.starts_with(ACCESS_TOKEN_PREFIX)
            || item.token.starts_with(REFRESH_TOKEN_PREFIX)
        {
            token_reported(c, item, now)?
        } else {
            false
        };
        out.feedback.push(Feedback {
            token_hash: sha256_hex(&item.token),
            token_type: item.kind.clone(),
            label: if ours {
                "true_positive"
            } else {
                "false_positive"
            },
        });
    }
    Ok(out)
}

fn where_found(item: &Reported) -> String {
    let url = clean_url(&item.url).unwrap_or_else(|| "an unknown place".into());
    let source: String = item.source.chars().take(40).collect();
    if source.is_empty() {
        format!("reported public at {url}")
    } else {
        format!("reported public at {url} ({source})")
    }
}

fn key_reported(
    c: &mut AnyConnection,
    plain: &PlainKey,
    item: &Reported,
    now: PrimitiveDateTime,
    base: Option<&str>,
    changed: &mut Vec<KeyId>,
) -> Result<bool> {
    let Some(found) = api_keys::find_by_hash(c, plain.hash().as_str())? else {
        // An old secret already retired is ours too, but unlocks nothing.
        return Ok(api_keys::find_retired(c, plain.hash().as_str())?.is_some());
    };
    let Some(key) = api_keys::find_by_id(c, found.id)? else {
        return Ok(false);
    };
    let url = clean_url(&item.url).unwrap_or_default();
    let source: String = item.source.chars().take(40).collect();
    let what = where_found(item);
    let response = workspaces::find(c, key.workspace_id)?
        .map(|w| w.leak_response)
        .unwrap_or(LeakResponse::Revoke);
    let newly = c.write_transaction::<_, Error, _>(|c| {
        if api_keys::mark_leaked(c, key.id, &url, &source, now)? == 0 {
            return Ok(false);
        }
        audit::record_unattended(
            c,
            now,
            None,
            Some(key.workspace_id),
            AuditAction::ApiKeyLeaked,
            Some(&key.public_id),
            &what,
        )?;
        if response == LeakResponse::Revoke && api_keys::revoke(c, key.id, None, now)? == 1 {
            super::api_keys::retire_old_after_revocation(c, &key, now)?;
            audit::record_unattended(
                c,
                now,
                None,
                Some(key.workspace_id),
                AuditAction::ApiKeyRevoke,
                Some(&key.public_id),
                &format!("revoked at once: {what}"),
            )?;
        }
        api_keys::record_change(c, key.id, now)?;
        if let Some(base) = base {
            super::reminders::enqueue_leaked(c, &key, &url, now, base)?;
        }
        Ok(true)
    })?;
    if newly {
        changed.push(key.id);
    }
    Ok(true)
}

fn token_reported(c: &mut AnyConnection, item: &Reported, now: PrimitiveDateTime) -> Result<bool> {
    let Some((_, grant, _, app, _, _)) = oauth::find_token(c, &o::hash(item.token.trim()))? else {
        return Ok(false);
    };
    let what = where_found(item);
    c.write_transaction::<_, Error, _>(|c| {
        if oauth::revoke_grant(c, grant.id, None, now)? > 0 {
            audit::record_unattended(
                c,
                now,
                None,
                Some(grant.workspace_id),
                AuditAction::AppRevoke,
                Some(&grant.public_id),
                &format!("{app}: a token was {what}; all of its tokens were revoked"),
            )?;
        }
        Ok(())
    })?;
    Ok(true)
}
