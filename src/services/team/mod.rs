//! Team Members: invitations, access changes, removal, the offboarding review, disabling people.
//! Owners and Admins manage a workspace's team; only an Owner touches Owners; the last Owner stays.

mod invites;
mod members;
mod offboarding;

pub use invites::*;
pub use members::*;
pub use offboarding::*;

use crate::db::ids::UserId;
use crate::db::AnyConnection;
use crate::domain::audit::AuditAction;
use crate::models::api_keys as keys;
use crate::models::invitations::{self, Invitation};
use crate::models::users::{self};
use crate::models::workspaces::{self, Member, Membership};
use crate::services::{Acting, Error, Result};

pub const INVITATION_DAYS: i64 = 7;
pub(crate) const MANAGERS_ONLY: &str = "Only the workspace's Owners and Admins manage its team.";

/// The actor's membership in a workspace they manage: 404 outside it, 403 without the right.
pub fn managed(c: &mut AnyConnection, acting: &Acting, workspace: &str) -> Result<Membership> {
    let m = workspaces::membership(c, acting.user, workspace)?.ok_or(Error::NotFound)?;
    if !m.access.manages_members() {
        return Err(Error::Forbidden(MANAGERS_ONLY));
    }
    Ok(m)
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
    let selected = workspaces::chosen(&mine, workspace);
    let selected = selected.ok_or(Error::NotFound)?;
    let shared: std::collections::HashMap<UserId, String> =
        workspaces::people_visible_to(c, acting.user)?
            .into_iter()
            .map(|(m, names)| (m.user_id, names.join(", ")))
            .collect();
    let ws = selected.workspace.id;
    let mut members = Vec::new();
    let owned_by = keys::count_owned(c, ws)?;
    for person in workspaces::team_of(c, ws)? {
        let owned = owned_by.get(&person.user_id).copied().unwrap_or(0);
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
    let scope = activity_scope(c, acting, workspace, person, action)?;
    let ws = scope.selected.workspace.id;
    let events = match scope.action {
        Some(None) => Vec::new(),
        action => {
            crate::models::audit::for_workspace(c, ws, scope.actor, action.flatten(), None, 200)?
        }
    };
    Ok(Activity {
        events,
        actions: crate::models::audit::actions_in_workspace(c, ws)?,
        managed: scope.managed,
        selected: scope.selected,
        people: scope.people,
    })
}

/// Whose Activity, filtered how: checked on every read (an export reads in batches).
struct ActivityScope {
    managed: Vec<Membership>,
    selected: Membership,
    people: Vec<Member>,
    /// `Some(None)`: someone who never acted here.
    actor: Option<Option<UserId>>,
    /// `Some(None)`: an action that does not exist (nothing matches).
    action: Option<Option<AuditAction>>,
}

fn activity_scope(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    person: &str,
    action: &str,
) -> Result<ActivityScope> {
    let managed: Vec<Membership> = workspaces::for_user(c, acting.user)?
        .into_iter()
        .filter(|m| m.access.manages_members())
        .collect();
    let selected = workspaces::chosen(&managed, workspace);
    let Some(selected) = selected else {
        return Err(if managed.is_empty() && workspace.is_empty() {
            Error::Forbidden("Only Owners and Admins see a workspace's Activity.")
        } else {
            Error::NotFound
        });
    };
    let people = workspaces::members(c, selected.workspace.id)?;
    let actor = match person {
        "" => None,
        p => Some(match people.iter().find(|m| m.public_id == p) {
            Some(m) => Some(m.user_id),
            None => users::find_by_public_id(c, p)?.map(|u| u.id),
        }),
    };
    let action = match action {
        "" => None,
        a => Some(crate::domain::Named::from_name(a)),
    };
    Ok(ActivityScope {
        managed,
        selected,
        people,
        actor,
        action,
    })
}

/// An event and the name of who did it (none: Mailrith, or a removed person).
pub type EventWithActor = (crate::models::audit::Event, Option<String>);

/// A batch of an Activity export: the workspace's name and up to `limit` events (newest first)
/// older than event `before`, with the same filters and permission check as the page.
pub fn activity_batch(
    c: &mut AnyConnection,
    acting: &Acting,
    workspace: &str,
    person: &str,
    action: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<(String, Vec<EventWithActor>)> {
    let scope = activity_scope(c, acting, workspace, person, action)?;
    let events = match scope.action {
        Some(None) => Vec::new(),
        action => crate::models::audit::for_workspace(
            c,
            scope.selected.workspace.id,
            scope.actor,
            action.flatten(),
            before,
            limit,
        )?,
    };
    Ok((scope.selected.workspace.name, events))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::EmailAddress;
    use crate::domain::workspace::{Access, Role, WorkspaceAccess};
    use crate::services::testing::{db, member, owner, NOW};

    fn access(role: Role) -> Result<WorkspaceAccess, Vec<crate::domain::FieldError>> {
        Ok(WorkspaceAccess::new(role, Access::View, Access::View))
    }

    #[test]
    fn only_an_owner_touches_owners_and_the_last_owner_stays() {
        let mut d = db();
        let c = &mut d.conn;
        let (olivia, acme) = owner(c, "olivia@example.com", "Acme");
        let adam = member(c, "adam@example.com", &acme, access(Role::Admin).unwrap());
        let olivia_pid = users::find(c, olivia.user).unwrap().unwrap().public_id;
        let adam_pid = users::find(c, adam.user).unwrap().unwrap().public_id;
        assert!(matches!(
            change_access(c, &adam, &acme.public_id, &olivia_pid, access(Role::Member)),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            change_access(c, &olivia, &acme.public_id, &olivia_pid, access(Role::Admin)),
            Err(Error::Conflict(m)) if m.contains("last Owner")
        ));
        assert!(matches!(
            remove(c, &olivia, &acme.public_id, &olivia_pid),
            Err(Error::Conflict(_))
        ));
        change_access(c, &olivia, &acme.public_id, &adam_pid, access(Role::Owner)).unwrap();
        remove(c, &adam, &acme.public_id, &olivia_pid).unwrap();
        assert!(!workspaces::is_member(c, acme.id, olivia.user).unwrap());
    }

    #[test]
    fn invitations_are_single_use_and_not_for_members() {
        let mut d = db();
        let c = &mut d.conn;
        let (olivia, acme) = owner(c, "olivia@example.com", "Acme");
        let invitee = |email: &str| Invitee {
            email: EmailAddress::parse(email),
            access: access(Role::Member).map_err(|mut e| e.remove(0)),
        };
        assert!(matches!(
            invite(c, &olivia, &acme.public_id, invitee("olivia@example.com")),
            Err(Error::Invalid(e)) if e[0].message.contains("already a member")
        ));
        let link = invite(c, &olivia, &acme.public_id, invitee("new@example.com")).unwrap();
        let account = NewAccount {
            name: "New Person".into(),
            password: "a long unguessable phrase".into(),
            password_confirm: "a long unguessable phrase".into(),
        };
        let joined = accept_invitation(c, &link.token, None, &account, None, NOW).unwrap();
        assert!(joined.new_account);
        assert!(workspaces::is_member(c, acme.id, joined.user).unwrap());
        assert!(matches!(
            accept_invitation(c, &link.token, None, &account, None, NOW),
            Err(Error::NotFound)
        ));
    }
}
