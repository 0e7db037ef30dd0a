//! Invitations: one-time links to join a workspace, cancelled, re-issued and accepted.

use super::{managed, INVITATION_DAYS, MANAGERS_ONLY};
use crate::db::ids::UserId;
use crate::db::AnyConnection;
use crate::domain::account::{EmailAddress, NewPassword, PersonName};
use crate::domain::audit::AuditAction;
use crate::domain::ids::{public_id, random_base62, sha256_hex};
use crate::domain::workspace::WorkspaceAccess;
use crate::models::invitations::{self, Invitation};
use crate::models::users::{self};
use crate::models::workspaces::{self, Membership};
use crate::services::{audit, Acting, Error, Result};

/// A new invitation link, shown once to the inviter.
pub struct InvitationLink {
    pub token: String,
    pub email: String,
    pub workspace: Membership,
}

/// Who to invite and with what access, each as parsed.
pub struct Invitee {
    pub email: std::result::Result<EmailAddress, crate::domain::FieldError>,
    pub access: std::result::Result<WorkspaceAccess, crate::domain::FieldError>,
}

pub fn invite(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    invitee: Invitee,
) -> Result<InvitationLink> {
    let m = managed(c, acting, workspace)?;
    let ws = m.workspace.id;
    let mut found: Vec<crate::domain::FieldError> =
        [invitee.email.as_ref().err(), invitee.access.as_ref().err()]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
    let (email, access) = (invitee.email.ok(), invitee.access.ok());
    if let Some(a) = access {
        if !m.access.may_assign(None, Some(a.role)) {
            return Err(Error::Forbidden("Only an Owner can make someone an Owner."));
        }
    }
    if let Some(email) = &email {
        let member = match users::find_by_email(c, email.as_str())? {
            Some(user) => workspaces::is_member(c, ws, user.id)?,
            None => false,
        };
        if member {
            found.push(crate::domain::FieldError::new(
                "email",
                "This person is already a member of the workspace.",
            ));
        } else if invitations::open_for_email(c, ws, email.as_str(), acting.now)? {
            found.push(crate::domain::FieldError::new(
                "email",
                "This person already has an open invitation; re-issue it below.",
            ));
        }
    }
    let (Some(email), Some(access), true) = (email, access, found.is_empty()) else {
        return Err(Error::Invalid(found));
    };
    let token = random_base62(32);
    c.write_transaction::<_, Error, _>(|c| {
        let pid = public_id("inv");
        let expires = acting.now + time::Duration::days(INVITATION_DAYS);
        invitations::insert(
            c,
            &pid,
            ws,
            email.as_str(),
            access,
            &sha256_hex(&token),
            acting.user,
            acting.now,
            expires,
        )?;
        let details = format!("invited {} as {}", email.as_str(), access.role.label());
        audit::record(
            c,
            acting,
            Some(ws),
            AuditAction::MemberInvite,
            Some(&pid),
            &details,
        )
    })?;
    Ok(InvitationLink {
        token,
        email: email.as_str().to_owned(),
        workspace: m,
    })
}

/// An invitation of a workspace the actor manages.
fn managed_invitation(
    c: &mut AnyConnection,
    acting: &Acting,
    id: &str,
) -> Result<(Membership, Invitation)> {
    let inv = invitations::find_any(c, id)?.ok_or(Error::NotFound)?;
    let m = workspaces::membership_in(c, acting.user, inv.workspace_id)?.ok_or(Error::NotFound)?;
    if !m.access.manages_members() {
        return Err(Error::Forbidden(MANAGERS_ONLY));
    }
    Ok((m, inv))
}

const NOT_OPEN: &str = "This invitation was already accepted or cancelled.";

pub fn cancel_invitation(c: &mut AnyConnection, acting: &Acting, id: &str) -> Result<Membership> {
    let (m, inv) = managed_invitation(c, acting, id)?;
    c.write_transaction::<_, Error, _>(|c| {
        if invitations::cancel(c, inv.id, acting.now)? != 1 {
            return Err(Error::Conflict(NOT_OPEN.into()));
        }
        let details = format!("cancelled the invitation of {}", inv.email);
        audit::record(
            c,
            acting,
            Some(inv.workspace_id),
            AuditAction::MemberInviteCancel,
            Some(&inv.public_id),
            &details,
        )?;
        Ok(m)
    })
}

/// A new link and a new 7-day window; the old link stops working.
pub fn reissue_invitation(
    c: &mut AnyConnection,
    acting: &Acting,
    id: &str,
) -> Result<InvitationLink> {
    let (m, inv) = managed_invitation(c, acting, id)?;
    if !m.access.may_assign(None, Some(inv.access().role)) {
        return Err(Error::Forbidden(
            "Only an Owner can re-issue an invitation to become an Owner.",
        ));
    }
    let token = random_base62(32);
    c.write_transaction::<_, Error, _>(|c| {
        let expires = acting.now + time::Duration::days(INVITATION_DAYS);
        if invitations::reissue(c, inv.id, &sha256_hex(&token), expires)? != 1 {
            return Err(Error::Conflict(NOT_OPEN.into()));
        }
        let details = format!(
            "re-issued the invitation of {}; the old link no longer works",
            inv.email
        );
        audit::record(
            c,
            acting,
            Some(inv.workspace_id),
            AuditAction::MemberInviteReissue,
            Some(&inv.public_id),
            &details,
        )
    })?;
    Ok(InvitationLink {
        token,
        email: inv.email,
        workspace: m,
    })
}

/// An open invitation by its link's token, with its workspace's name.
pub fn open_invitation(
    c: &mut AnyConnection,
    token: &str,
    now: time::PrimitiveDateTime,
) -> Result<(Invitation, String)> {
    match invitations::find_by_token_hash(c, &sha256_hex(token))? {
        Some((inv, ws)) if inv.is_open(now) => Ok((inv, ws)),
        _ => Err(Error::NotFound),
    }
}

/// The name and password a new person typed on the invitation page (parsed here: the password
/// must not be guessable from the invited email).
pub struct NewAccount {
    pub name: String,
    pub password: String,
    pub password_confirm: String,
}

impl NewAccount {
    fn parse(
        &self,
        email: &str,
    ) -> std::result::Result<(PersonName, NewPassword), Vec<crate::domain::FieldError>> {
        let about = [email, self.name.as_str()];
        match (
            PersonName::parse(&self.name),
            NewPassword::parse(&self.password, &self.password_confirm, &about),
        ) {
            (Ok(name), Ok(password)) => Ok((name, password)),
            (n, p) => Err([n.err(), p.err()].into_iter().flatten().collect()),
        }
    }
}

/// Who joined, and whether their account is new (a new account starts a session).
pub struct Joined {
    pub user: UserId,
    pub new_account: bool,
    pub workspace_name: String,
}

/// Accepts an invitation once. The invited email's existing account joins only when signed in
/// as it; otherwise a new account is made from `new_account`.
pub fn accept_invitation(
    c: &mut AnyConnection,
    token: &str,
    signed_in: Option<UserId>,
    new_account: &NewAccount,
    ip: Option<String>,
    now: time::PrimitiveDateTime,
) -> Result<Joined> {
    let (inv, workspace_name) = open_invitation(c, token, now)?;
    let existing = users::find_by_email(c, &inv.email)?;
    let new_person = match &existing {
        Some(user) if signed_in != Some(user.id) => {
            return Err(Error::Forbidden(
                "Sign in as the invited email address to accept this invitation.",
            ))
        }
        Some(_) => None,
        None => {
            let (name, password) = new_account.parse(&inv.email).map_err(Error::Invalid)?;
            let hash = crate::services::accounts::password::hash(password.expose())?;
            Some((name, hash))
        }
    };
    c.write_transaction::<_, Error, _>(|c| {
        let user_id = match (&existing, new_person) {
            (Some(user), _) => user.id,
            (None, Some((name, hash))) => {
                crate::services::accounts::insert_person(
                    c,
                    &inv.email,
                    name.as_str(),
                    &hash,
                    false,
                    now,
                )?
                .id
            }
            (None, None) => return Err(Error::NotFound),
        };
        // Single use: the second of two concurrent accepts changes nothing.
        if invitations::accept(c, inv.id, user_id, now)? != 1 {
            return Err(Error::NotFound);
        }
        if !workspaces::is_member(c, inv.workspace_id, user_id)? {
            workspaces::add_member(c, inv.workspace_id, user_id, inv.access(), now)?;
        }
        let acting = Acting::new(user_id, ip, now);
        let details = format!("{} joined as {}", inv.email, inv.access().role.label());
        audit::record(
            c,
            &acting,
            Some(inv.workspace_id),
            AuditAction::MemberAccept,
            Some(&inv.public_id),
            &details,
        )?;
        users::record_sign_in(c, user_id, now)?;
        Ok(Joined {
            user: user_id,
            new_account: existing.is_none(),
            workspace_name,
        })
    })
}

/// What the invitation page shows: the invitation, its workspace, and whether the invited email
/// already has an account (and is the one signed in).
pub struct InvitationView {
    pub invitation: Invitation,
    pub workspace_name: String,
    pub has_account: bool,
    pub signed_in_as_invitee: bool,
}

pub fn invitation_view(
    c: &mut AnyConnection,
    token: &str,
    signed_in: Option<UserId>,
    now: time::PrimitiveDateTime,
) -> Result<InvitationView> {
    let (invitation, workspace_name) = open_invitation(c, token, now)?;
    let existing = users::find_by_email(c, &invitation.email)?;
    Ok(InvitationView {
        has_account: existing.is_some(),
        signed_in_as_invitee: existing.is_some_and(|u| Some(u.id) == signed_in),
        invitation,
        workspace_name,
    })
}
