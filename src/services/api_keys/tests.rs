//! The key services' rules, on a real database.
use super::*;
use crate::domain::workspace::{Access, Role, WorkspaceAccess};
use crate::services::testing::{db, member, owner};

fn new_key(name: &str) -> Input<NewKey> {
    Ok(NewKey {
        name: KeyName::parse(name).unwrap(),
        purpose: Purpose::parse("").unwrap(),
        access: AccessLevel::ReadOnly,
        expiration: Expiration::Days(90),
        owner: None,
        request_id: None,
        restrictions: Default::default(),
    })
}

fn generated(g: Generated) -> (KeyListing, PlainKey) {
    match g {
        Generated::Key(l, secret) => (*l, secret),
        Generated::Duplicate { .. } => panic!("a duplicate"),
    }
}

#[test]
fn generate_checks_the_workspace_the_permission_and_the_name() {
    let mut d = db();
    let c = &mut d.conn;
    let (olivia, acme) = owner(c, "olivia@example.com", "Acme");
    let (_, other) = owner(c, "oscar@example.com", "Other");
    let viewer = member(
        c,
        "maya@example.com",
        &acme,
        WorkspaceAccess::new(Role::Member, Access::View, Access::View),
    );
    let (l, secret) = generated(generate(c, &olivia, &acme.public_id, new_key("CRM")).unwrap());
    assert_eq!(l.key.name, "CRM");
    assert_eq!(
        api_keys::current_hash(c, l.key.id).unwrap(),
        secret.hash().as_str()
    );
    assert!(matches!(
        generate(c, &olivia, &acme.public_id, new_key("crm")),
        Err(Error::Invalid(e)) if e[0].field == "name"
    ));
    assert!(matches!(
        generate(c, &viewer, &acme.public_id, new_key("Mine")),
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        generate(c, &olivia, &other.public_id, new_key("Theirs")),
        Err(Error::NotFound)
    ));
    assert!(matches!(
        generate(c, &olivia, "", new_key("Nowhere")),
        Err(Error::Invalid(e)) if e[0].field == "workspace"
    ));
}

#[test]
fn a_rotation_needs_the_current_secret_version_and_revocation_is_final() {
    let mut d = db();
    let c = &mut d.conn;
    let (olivia, acme) = owner(c, "olivia@example.com", "Acme");
    let (l, _) = generated(generate(c, &olivia, &acme.public_id, new_key("CRM")).unwrap());
    let pid = l.key.public_id.clone();
    let (_, v1, _) = rotation(c, &olivia, &pid).unwrap();
    let first = rotate(c, &olivia, &pid, &v1, Ok(NewExpiration::Keep.into())).unwrap();
    let again = rotate(c, &olivia, &pid, &v1, Ok(NewExpiration::Keep.into()));
    assert!(
        matches!(&again, Err(Error::Conflict(m)) if m.contains("just rotated by Olivia Owner")),
        "a second rotation with the same confirmation loses"
    );
    assert_eq!(
        api_keys::current_hash(c, l.key.id).unwrap(),
        first.secret.hash().as_str()
    );
    revoke(c, &olivia, &pid).unwrap();
    assert!(matches!(revoke(c, &olivia, &pid), Err(Error::Conflict(_))));
    assert!(matches!(
        rotate(c, &olivia, &pid, &v1, Ok(NewExpiration::Keep.into())),
        Err(Error::Conflict(m)) if m.contains("revoked")
    ));
    let changes = api_keys::changes_since(c, 0).unwrap();
    assert_eq!(
        changes.len(),
        2,
        "the rotation and the revocation are in the change feed"
    );
}
