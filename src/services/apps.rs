//! Authorized Apps: registering apps (OAuth clients), rotating their secrets, revoking the
//! grants people gave them.

use super::{audit, Acting, Error, Input, Result};
use crate::db::AnyConnection;
use crate::domain::audit::AuditAction;
use crate::domain::oauth as o;
use crate::domain::workspace::Access;
use crate::models::oauth::{self as m, Grant};
use crate::models::{users, workspaces};

/// A new app as the registration form describes it, parsed.
pub struct NewClient {
    pub name: String,
    pub homepage: String,
    pub redirect_uris: Vec<String>,
    pub logo_url: Option<String>,
    /// A public client (a SPA or a CLI) has no secret and uses PKCE alone.
    pub public: bool,
}

/// A registered app's id and (for a confidential client) its secret, shown once.
pub struct Registered {
    pub client_id: String,
    pub secret: Option<String>,
}

fn secret_hint(secret: &str) -> String {
    format!(
        "{}…{}",
        o::CLIENT_SECRET_PREFIX,
        &secret[secret.len() - 4..]
    )
}

/// Instance admins and anyone who manages a workspace's team register apps.
pub fn register(
    c: &mut AnyConnection,
    acting: &Acting,
    input: Input<NewClient>,
) -> Result<Registered> {
    let me = users::find(c, acting.user)?.ok_or(Error::NotFound)?;
    let manages = workspaces::for_user(c, acting.user)?
        .iter()
        .any(|m| m.access.manages_members());
    if !me.is_admin && !manages {
        return Err(Error::Forbidden(
            "Only workspace Owners and Admins register apps.",
        ));
    }
    let new = input.map_err(Error::Invalid)?;
    let client_id = o::new_secret(o::CLIENT_ID_PREFIX);
    let secret = (!new.public).then(|| o::new_secret(o::CLIENT_SECRET_PREFIX));
    let stored = secret.as_ref().map(|s| (o::hash(s), secret_hint(s)));
    m::insert_client(
        c,
        &client_id,
        &new.name,
        &new.homepage,
        &new.redirect_uris.join("\n"),
        new.logo_url.as_deref(),
        stored.as_ref().map(|(h, hint)| (h.as_str(), hint.as_str())),
        acting.user,
        acting.now,
    )?;
    Ok(Registered { client_id, secret })
}

/// A new secret for an app the actor registered; the old one stops at once.
pub fn rotate_secret(
    c: &mut AnyConnection,
    acting: &Acting,
    client_id: &str,
) -> Result<Registered> {
    let client = m::find_client(c, client_id)?
        .filter(|cl| cl.created_by == Some(acting.user))
        .ok_or(Error::NotFound)?;
    if client.is_public() {
        return Err(Error::Conflict(
            "A public client has no secret to rotate.".into(),
        ));
    }
    let secret = o::new_secret(o::CLIENT_SECRET_PREFIX);
    m::rotate_client_secret(
        c,
        client.id,
        &o::hash(&secret),
        &secret_hint(&secret),
        acting.now,
    )?;
    Ok(Registered {
        client_id: client.client_id,
        secret: Some(secret),
    })
}

/// Revokes a grant: all its tokens stop at once. Allowed for whoever manages apps in its
/// workspace, and for the person who authorized it.
pub fn revoke_grant(c: &mut AnyConnection, acting: &Acting, grant: &str) -> Result<()> {
    c.write_transaction::<_, Error, _>(|c| {
        let grant = m::find_grant(c, grant)?.ok_or(Error::NotFound)?;
        let own = grant.user_id == Some(acting.user);
        let access =
            workspaces::membership_in(c, acting.user, grant.workspace_id)?.map(|m| m.access.apps());
        match access {
            None if !own => return Err(Error::NotFound),
            Some(Access::View) if !own => {
                return Err(Error::Forbidden(
                    "You may view this workspace's apps but not revoke them.",
                ))
            }
            Some(Access::None) if !own => return Err(Error::NotFound),
            _ => {}
        }
        if !revoke_grant_in(c, acting, &grant, "all of the app's tokens stopped working")? {
            return Err(Error::Conflict(
                "This app's access was already revoked.".into(),
            ));
        }
        Ok(())
    })
}

/// Revokes a grant inside the caller's transaction (the caller checked the permission); false
/// when it already was.
pub(crate) fn revoke_grant_in(
    c: &mut AnyConnection,
    acting: &Acting,
    grant: &Grant,
    details: &str,
) -> Result<bool> {
    if m::revoke_grant(c, grant.id, Some(acting.user), acting.now)? != 1 {
        return Ok(false);
    }
    audit::record(
        c,
        acting,
        Some(grant.workspace_id),
        AuditAction::AppRevoke,
        Some(&grant.public_id),
        details,
    )?;
    Ok(true)
}

/// What the Authorized Apps tab shows for one of the viewer's workspaces.
pub struct Overview {
    pub mine: Vec<crate::models::workspaces::Membership>,
    pub selected: crate::models::workspaces::Membership,
    /// The apps connected to it (for those who may view them).
    pub grants: Vec<m::GrantListing>,
    /// The apps the viewer registered.
    pub clients: Vec<m::OauthClient>,
    /// Whether the viewer may register apps.
    pub can_register: bool,
}

pub fn overview(c: &mut AnyConnection, acting: &Acting, workspace: &str) -> Result<Overview> {
    let me = users::find(c, acting.user)?.ok_or(Error::NotFound)?;
    let mine = workspaces::for_user(c, acting.user)?;
    let selected = workspaces::chosen(&mine, workspace);
    let selected = selected.ok_or(Error::NotFound)?;
    let grants = if selected.access.apps() >= Access::View {
        m::active_in_workspace(c, selected.workspace.id)?
    } else {
        Vec::new()
    };
    Ok(Overview {
        can_register: me.is_admin || mine.iter().any(|m| m.access.manages_members()),
        clients: m::clients_by(c, acting.user)?,
        grants,
        selected,
        mine,
    })
}
