//! Team Members: invitations, access changes, removal, the offboarding review, disabling people.
//! Owners and Admins manage a workspace's team; only an Owner touches Owners; the last Owner stays.

use super::{api_keys, audit, Acting, Error, Input, Result};
use crate::db::ids::{KeyId, UserId};
use crate::db::AnyConnection;
use crate::domain::account::{EmailAddress, NewPassword, PersonName};
use crate::domain::audit::AuditAction;
use crate::domain::ids::{public_id, random_base62, sha256_hex};
use crate::domain::workspace::{Role, WorkspaceAccess};
use crate::models::invitations::{self, Invitation};
use crate::models::users::{self, User};
use crate::models::workspaces::{self, Member, Membership};
use crate::models::{api_keys as keys, oauth, sessions};

pub const INVITATION_DAYS: i64 = 7;
const MANAGERS_ONLY: &str = "Only the workspace's Owners and Admins manage its team.";

/// The actor's membership in a workspace they manage: 404 outside it, 403 without the right.
pub fn managed(c: &mut AnyConnection, acting: &Acting, workspace: &str) -> Result<Membership> {
    let m = workspaces::membership(c, acting.user, workspace)?.ok_or(Error::NotFound)?;
    if !m.access.manages_members() {
        return Err(Error::Forbidden(MANAGERS_ONLY));
    }
    Ok(m)
}

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
            let hash = super::accounts::password::hash(password.expose())?;
            Some((name, hash))
        }
    };
    c.write_transaction::<_, Error, _>(|c| {
        let user_id = match (&existing, new_person) {
            (Some(user), _) => user.id,
            (None, Some((name, hash))) => {
                super::accounts::insert_person(c, &inv.email, name.as_str(), &hash, false, now)?.id
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

/// A member of a workspace the actor manages, by public id.
pub fn managed_member(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    user: &str,
) -> Result<(Membership, Member)> {
    let m = managed(c, acting, workspace)?;
    let t = workspaces::member(c, m.workspace.id, user)?.ok_or(Error::NotFound)?;
    Ok((m, t))
}

pub fn change_access(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    user: &str,
    new: Input<WorkspaceAccess>,
) -> Result<Membership> {
    let (m, t) = managed_member(c, acting, workspace, user)?;
    let new = new.map_err(Error::Invalid)?;
    if !m.access.may_assign(Some(t.role), Some(new.role)) {
        return Err(Error::Forbidden(
            "Only an Owner can change Owners or make someone an Owner.",
        ));
    }
    let ws = m.workspace.id;
    c.write_transaction::<_, Error, _>(|c| {
        if t.role == Role::Owner && new.role != Role::Owner && workspaces::count_owners(c, ws)? <= 1
        {
            return Err(Error::Conflict(
                "The last Owner of a workspace cannot be demoted. Make someone else an Owner first."
                    .into(),
            ));
        }
        workspaces::set_access(c, ws, t.user_id, new)?;
        let details = format!(
            "{}: {} ({}) → {} ({})",
            t.name,
            t.role.label(),
            t.access.summary(),
            new.role.label(),
            new.summary()
        );
        audit::record(
            c,
            acting,
            Some(ws),
            AuditAction::MemberAccessChange,
            Some(&t.public_id),
            &details,
        )?;
        Ok(m)
    })
}

/// Removes a member and ends their sessions at once; their keys and apps wait for the
/// offboarding review.
pub fn remove(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    user: &str,
) -> Result<(Membership, Member)> {
    let (m, t) = managed_member(c, acting, workspace, user)?;
    if !m.access.may_assign(Some(t.role), None) {
        return Err(Error::Forbidden("Only an Owner can remove an Owner."));
    }
    let ws = m.workspace.id;
    c.write_transaction::<_, Error, _>(|c| {
        if t.role == Role::Owner && workspaces::count_owners(c, ws)? <= 1 {
            return Err(Error::Conflict(
                "The last Owner of a workspace cannot be removed. Make someone else an Owner first."
                    .into(),
            ));
        }
        workspaces::remove_member(c, ws, t.user_id)?;
        // Their sessions end at once: the next click signs them out.
        sessions::delete_for_user(c, t.user_id, None)?;
        let details = format!("removed {} ({})", t.name, t.email);
        audit::record(
            c,
            acting,
            Some(ws),
            AuditAction::MemberRemove,
            Some(&t.public_id),
            &details,
        )?;
        Ok((m, t))
    })
}

/// Offboarding actions change keys: the actor must manage the team and the keys.
fn offboarding(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    user: &str,
) -> Result<(Membership, User)> {
    let m = managed(c, acting, workspace)?;
    if !m.access.can_manage_keys() {
        return Err(Error::Forbidden(
            "You cannot change this workspace's API keys.",
        ));
    }
    let person = users::find_by_public_id(c, user)?.ok_or(Error::NotFound)?;
    Ok((m, person))
}

/// Revokes every key the person owns in the workspace and every app they connected there;
/// returns the keys revoked.
pub fn offboard_revoke_all(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    user: &str,
) -> Result<Vec<KeyId>> {
    let (m, person) = offboarding(c, acting, workspace, user)?;
    let ws = m.workspace.id;
    let details = format!("offboarding review: {} left", person.name);
    c.write_transaction::<_, Error, _>(|c| {
        let mut revoked = Vec::new();
        for k in keys::owned_by(c, ws, person.id)? {
            if api_keys::revoke_in(c, acting, &k, &details)? {
                revoked.push(k.id);
            }
        }
        for g in oauth::active_by_user_in(c, person.id, ws)? {
            super::apps::revoke_grant_in(c, acting, &g.grant, &details)?;
        }
        Ok(revoked)
    })
}

/// Gives one of the person's keys to another member of the workspace.
pub fn offboard_transfer(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    user: &str,
    key: &str,
    new_owner: &str,
) -> Result<()> {
    let (m, person) = offboarding(c, acting, workspace, user)?;
    let ws = m.workspace.id;
    c.write_transaction::<_, Error, _>(|c| {
        let key = keys::find_in_workspace(c, ws, key)?
            .filter(|k| k.owner_id == Some(person.id))
            .ok_or(Error::NotFound)?;
        let heir = workspaces::member(c, ws, new_owner)?
            .filter(|p| p.user_id != person.id)
            .ok_or_else(|| {
                Error::invalid(
                    "owner",
                    "Choose a member of this workspace as the new owner.",
                )
            })?;
        keys::set_owner(c, key.id, heir.user_id)?;
        let details = format!("owner: {} → {}", person.name, heir.name);
        audit::record(
            c,
            acting,
            Some(ws),
            AuditAction::ApiKeyTransfer,
            Some(&key.public_id),
            &details,
        )
    })?;
    Ok(())
}

/// Disables (or enables) a person everywhere; disabling ends their sessions at once. Instance
/// admins only. Returns the person and the workspaces they are in.
pub fn set_disabled(
    c: &mut AnyConnection,
    acting: &Acting,
    user: &str,
    disable: bool,
) -> Result<(User, Vec<Membership>)> {
    let me = users::find(c, acting.user)?.ok_or(Error::NotFound)?;
    if !me.is_admin {
        return Err(Error::Forbidden(
            "Only Mailrith admins can disable or enable people.",
        ));
    }
    c.write_transaction::<_, Error, _>(|c| {
        let person = users::find_by_public_id(c, user)?.ok_or(Error::NotFound)?;
        if person.id == acting.user {
            return Err(Error::Conflict("You cannot disable yourself.".into()));
        }
        users::set_disabled(c, person.id, disable)?;
        if disable {
            sessions::delete_for_user(c, person.id, None)?;
        }
        let memberships = workspaces::for_user(c, person.id)?;
        let (action, verb) = if disable {
            (AuditAction::UserDisable, "disabled")
        } else {
            (AuditAction::UserEnable, "enabled")
        };
        let details = format!("{verb} {} ({})", person.name, person.email);
        for m in &memberships {
            audit::record(
                c,
                acting,
                Some(m.workspace.id),
                action,
                Some(&person.public_id),
                &details,
            )?;
        }
        Ok((person, memberships))
    })
}

/// What the Team Members tab shows for one of the viewer's workspaces.
pub struct Overview {
    pub mine: Vec<Membership>,
    pub selected: Membership,
    /// Each member, the keys they own here, and which of the viewer's workspaces they are in.
    pub members: Vec<(Member, i64, String)>,
    /// Open invitations and who sent them (for those who manage the team).
    pub invitations: Vec<(Invitation, Option<String>)>,
}

/// The Team Members tab: `workspace` (a public id), or the viewer's first.
pub fn overview(c: &mut AnyConnection, acting: &Acting, workspace: &str) -> Result<Overview> {
    let mine = workspaces::for_user(c, acting.user)?;
    let selected = if workspace.is_empty() {
        mine.first().cloned()
    } else {
        mine.iter()
            .find(|m| m.workspace.public_id == workspace)
            .cloned()
    };
    let selected = selected.ok_or(Error::NotFound)?;
    let shared: std::collections::HashMap<UserId, String> =
        workspaces::people_visible_to(c, acting.user)?
            .into_iter()
            .map(|(m, names)| (m.user_id, names.join(", ")))
            .collect();
    let ws = selected.workspace.id;
    let mut members = Vec::new();
    for person in workspaces::team_of(c, ws)? {
        let owned = keys::count_owned(c, ws, person.user_id)?;
        let names = shared.get(&person.user_id).cloned().unwrap_or_default();
        members.push((person, owned, names));
    }
    let invitations = if selected.access.manages_members() {
        invitations::open_for_workspace(c, ws, acting.now)?
    } else {
        Vec::new()
    };
    Ok(Overview {
        mine,
        selected,
        members,
        invitations,
    })
}

/// The offboarding review of a person in a workspace the actor manages.
pub struct Review {
    pub workspace: Membership,
    pub person: User,
    pub still_member: bool,
    pub keys: Vec<crate::models::api_keys::ApiKey>,
    pub apps: Vec<crate::models::oauth::GrantListing>,
    /// Who can take their keys over.
    pub heirs: Vec<Member>,
}

pub fn review(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    user: &str,
) -> Result<Review> {
    let m = managed(c, acting, workspace)?;
    let ws = m.workspace.id;
    let person = users::find_by_public_id(c, user)?.ok_or(Error::NotFound)?;
    let members = workspaces::members(c, ws)?;
    Ok(Review {
        still_member: members.iter().any(|p| p.user_id == person.id),
        keys: keys::owned_by(c, ws, person.id)?,
        apps: oauth::active_by_user_in(c, person.id, ws)?,
        heirs: members
            .into_iter()
            .filter(|p| p.user_id != person.id)
            .collect(),
        workspace: m,
        person,
    })
}

/// A workspace's audit log, for its Owners and Admins, filtered by person and action.
pub struct Activity {
    pub managed: Vec<Membership>,
    pub selected: Membership,
    pub events: Vec<(crate::models::audit::Event, Option<String>)>,
    pub people: Vec<Member>,
    pub actions: Vec<AuditAction>,
}

pub fn activity(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    person: &str,
    action: &str,
) -> Result<Activity> {
    let managed: Vec<Membership> = workspaces::for_user(c, acting.user)?
        .into_iter()
        .filter(|m| m.access.manages_members())
        .collect();
    let selected = if workspace.is_empty() {
        managed.first().cloned()
    } else {
        managed
            .iter()
            .find(|m| m.workspace.public_id == workspace)
            .cloned()
    };
    let Some(selected) = selected else {
        return Err(if managed.is_empty() && workspace.is_empty() {
            Error::Forbidden("Only Owners and Admins see a workspace's Activity.")
        } else {
            Error::NotFound
        });
    };
    let ws = selected.workspace.id;
    let people = workspaces::members(c, ws)?;
    let actor = match person {
        "" => None,
        p => Some(match people.iter().find(|m| m.public_id == p) {
            Some(m) => Some(m.user_id),
            None => users::find_by_public_id(c, p)?.map(|u| u.id),
        }),
    };
    let parsed: Option<AuditAction> = crate::domain::Named::from_name(action);
    let events = if !action.is_empty() && parsed.is_none() {
        Vec::new()
    } else {
        crate::models::audit::for_workspace(c, ws, actor, parsed, 200)?
    };
    Ok(Activity {
        events,
        actions: crate::models::audit::actions_in_workspace(c, ws)?,
        managed,
        selected,
        people,
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
