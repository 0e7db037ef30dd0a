//! People's accounts: first-run setup, admins made on the command line, sign-in with throttling,
//! sign-out, renaming and changing a password.

pub mod password;

use time::PrimitiveDateTime;

use super::{audit, Acting, Error, Result};
use crate::db::ids::UserId;
use crate::db::AnyConnection;
use crate::domain::account::{EmailAddress, NewPassword, PersonName};
use crate::domain::audit::AuditAction;
use crate::domain::ids::public_id;
use crate::domain::throttle;
use crate::domain::workspace::{Role, WorkspaceName};
use crate::models::users::{self, NewUser, User};
use crate::models::workspaces::{self, Workspace};
use crate::models::{login_failures, sessions};

/// Inserts a person (the caller checked the email is free, in its transaction).
pub(crate) fn insert_person(
    c: &mut AnyConnection,
    email: &str,
    name: &str,
    password_hash: &str,
    is_admin: bool,
    now: PrimitiveDateTime,
) -> Result<User> {
    Ok(users::insert(
        c,
        &NewUser {
            public_id: &public_id("usr"),
            email,
            name,
            password_hash,
            is_admin,
            disabled: false,
            created_at: now,
        },
    )?)
}

/// A new admin: who they are, their password, and optionally a workspace they own.
pub struct NewAdmin {
    pub email: EmailAddress,
    pub name: PersonName,
    pub workspace: Option<WorkspaceName>,
    pub password: NewPassword,
}

/// First-run setup: the first admin and their workspace, once. Returns the admin.
pub fn setup(
    c: &mut AnyConnection,
    admin: NewAdmin,
    ip: Option<String>,
    now: PrimitiveDateTime,
) -> Result<UserId> {
    let hash = password::hash(admin.password.expose())?;
    c.write_transaction::<_, Error, _>(|c| {
        if users::any_admin(c)? {
            return Err(Error::Conflict(
                "Setup has already been completed. Sign in instead.".into(),
            ));
        }
        let user = insert_person(
            c,
            admin.email.as_str(),
            admin.name.as_str(),
            &hash,
            true,
            now,
        )?;
        let name = admin
            .workspace
            .as_ref()
            .map_or("My workspace", |w| w.as_str());
        let ws = workspaces::create(c, name, now)?;
        workspaces::add_member(
            c,
            ws.id,
            user.id,
            workspaces::default_access(Role::Owner),
            now,
        )?;
        audit::record(
            c,
            &Acting::new(user.id, ip, now),
            Some(ws.id),
            AuditAction::InstanceSetup,
            Some(&user.public_id),
            "created the first admin and workspace",
        )?;
        users::record_sign_in(c, user.id, now)?;
        Ok(user.id)
    })
}

/// `mailrith admin create`: an admin, and the workspace they own (created when missing).
pub fn create_admin(
    c: &mut AnyConnection,
    admin: NewAdmin,
    now: PrimitiveDateTime,
) -> Result<(User, Option<Workspace>)> {
    let hash = password::hash(admin.password.expose())?;
    c.write_transaction::<_, Error, _>(|c| {
        if users::find_by_email(c, admin.email.as_str())?.is_some() {
            return Err(Error::Conflict(format!(
                "a user with the email {} already exists",
                admin.email.as_str()
            )));
        }
        let user = insert_person(
            c,
            admin.email.as_str(),
            admin.name.as_str(),
            &hash,
            true,
            now,
        )?;
        let ws = match &admin.workspace {
            None => None,
            Some(name) => {
                let ws = match workspaces::find_by_name(c, name.as_str())? {
                    Some(ws) => ws,
                    None => workspaces::create(c, name.as_str(), now)?,
                };
                let owner = workspaces::default_access(Role::Owner);
                workspaces::add_member(c, ws.id, user.id, owner, now)?;
                Some(ws)
            }
        };
        audit::record_unattended(
            c,
            now,
            None,
            ws.as_ref().map(|w| w.id),
            AuditAction::AdminCreate,
            Some(&user.public_id),
            "created from the command line",
        )?;
        Ok((user, ws))
    })
}

/// The outcome of a sign-in attempt.
pub enum SignIn {
    SignedIn(UserId),
    /// Unknown email, wrong password or disabled account: never told apart.
    Failed,
    /// Too many failures: seconds to wait.
    Throttled(u64),
}

/// Checks an email and password, with throttling (5 failures per account or 20 per address in
/// 15 minutes). Unknown accounts cost the same Argon2 time. Runs on a blocking thread.
pub fn sign_in(
    c: &mut AnyConnection,
    email: &str,
    password: &str,
    ip: &str,
    now: PrimitiveDateTime,
) -> Result<SignIn> {
    let email = email.trim().to_lowercase();
    let since = now - throttle::WINDOW;
    let wait = [
        throttle::retry_after(
            &login_failures::for_email_since(c, &email, since)?,
            throttle::ACCOUNT_LIMIT,
            now,
        ),
        throttle::retry_after(
            &login_failures::for_ip_since(c, ip, since)?,
            throttle::IP_LIMIT,
            now,
        ),
    ]
    .into_iter()
    .flatten()
    .max();
    if let Some(secs) = wait {
        return Ok(SignIn::Throttled(secs));
    }
    let user = users::find_by_email(c, &email)?;
    let ok = match &user {
        Some(u) => password::verify(&u.password_hash, password) && !u.disabled,
        None => {
            password::verify_dummy(password);
            false
        }
    };
    match user.filter(|_| ok) {
        Some(u) => {
            c.write_transaction::<_, Error, _>(|c| {
                login_failures::clear_email(c, &email)?;
                users::record_sign_in(c, u.id, now)?;
                audit::record(
                    c,
                    &Acting::new(u.id, ip.to_owned(), now),
                    None,
                    AuditAction::UserSignIn,
                    None,
                    "",
                )
            })?;
            Ok(SignIn::SignedIn(u.id))
        }
        None => {
            login_failures::record(c, &email, ip, now)?;
            Ok(SignIn::Failed)
        }
    }
}

pub fn sign_out(c: &mut AnyConnection, user: UserId, now: PrimitiveDateTime) -> Result<()> {
    audit::record(
        c,
        &Acting::new(user, None, now),
        None,
        AuditAction::UserSignOut,
        None,
        "",
    )?;
    Ok(())
}

pub fn rename(c: &mut AnyConnection, acting: &Acting, name: &PersonName) -> Result<()> {
    c.write_transaction::<_, Error, _>(|c| {
        users::set_name(c, acting.user, name.as_str())?;
        audit::record(
            c,
            acting,
            None,
            AuditAction::UserRename,
            None,
            "changed their name",
        )
    })?;
    Ok(())
}

/// Changes the actor's password after checking the current one; every other session ends (the
/// caller renews its own session id).
pub fn change_password(
    c: &mut AnyConnection,
    acting: &Acting,
    current: &str,
    new: &NewPassword,
) -> Result<()> {
    let me = users::find(c, acting.user)?.ok_or(Error::NotFound)?;
    if !password::verify(&me.password_hash, current) {
        return Err(Error::invalid(
            "current_password",
            "The current password is not correct.",
        ));
    }
    let hash = password::hash(new.expose())?;
    c.write_transaction::<_, Error, _>(|c| {
        users::set_password_hash(c, acting.user, &hash)?;
        sessions::delete_for_user(c, acting.user, None)?;
        audit::record(
            c,
            acting,
            None,
            AuditAction::UserPasswordChange,
            None,
            "changed their password",
        )
    })?;
    Ok(())
}

/// The apps a person connected, in any workspace (their Profile).
pub fn connected_apps(
    c: &mut AnyConnection,
    user: UserId,
) -> Result<Vec<crate::models::oauth::GrantListing>> {
    Ok(crate::models::oauth::active_by_user(c, user)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::testing::{db, owner, NOW};

    #[test]
    fn five_failures_throttle_the_account_and_a_success_clears_them() {
        let mut d = db();
        let c = &mut d.conn;
        owner(c, "olivia@example.com", "Acme");
        let ok = "a long unguessable phrase";
        assert!(matches!(
            sign_in(c, "Olivia@Example.com", ok, "10.0.0.1", NOW).unwrap(),
            SignIn::SignedIn(_)
        ));
        for _ in 0..5 {
            assert!(matches!(
                sign_in(c, "olivia@example.com", "wrong", "10.0.0.1", NOW).unwrap(),
                SignIn::Failed
            ));
        }
        assert!(matches!(
            sign_in(c, "olivia@example.com", ok, "10.0.0.1", NOW).unwrap(),
            SignIn::Throttled(s) if s == 15 * 60
        ));
        let later = NOW + throttle::WINDOW;
        assert!(matches!(
            sign_in(c, "olivia@example.com", ok, "10.0.0.1", later).unwrap(),
            SignIn::SignedIn(_)
        ));
        assert!(matches!(
            sign_in(c, "nobody@example.com", ok, "10.0.0.1", later).unwrap(),
            SignIn::Failed
        ));
    }

    #[test]
    fn setup_happens_once() {
        let mut d = db();
        let c = &mut d.conn;
        let admin = || NewAdmin {
            email: EmailAddress::parse("ada@example.com").unwrap(),
            name: PersonName::parse("Ada").unwrap(),
            workspace: Some(WorkspaceName::parse("Acme").unwrap()),
            password: NewPassword::parse(
                "a long unguessable phrase",
                "a long unguessable phrase",
                &[],
            )
            .unwrap(),
        };
        setup(c, admin(), None, NOW).unwrap();
        assert!(matches!(
            setup(c, admin(), None, NOW),
            Err(Error::Conflict(_))
        ));
    }
}
