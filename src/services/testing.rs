//! What the services' unit tests share: a migrated SQLite database in a temporary file, people
//! and workspaces made through the services themselves, and a fixed clock.

use time::macros::datetime;
use time::PrimitiveDateTime;

use super::accounts::{self, NewAdmin};
use super::Acting;
use crate::db::{AnyConnection, DatabaseUrl};
use crate::domain::account::{EmailAddress, NewPassword, PersonName};
use crate::domain::workspace::{WorkspaceAccess, WorkspaceName};
use crate::models::workspaces::{self, Workspace};

pub const NOW: PrimitiveDateTime = datetime!(2026-11-27 09:00);

/// A database that lives as long as the value.
pub struct Db {
    pub conn: AnyConnection,
    dir: std::path::PathBuf,
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn db() -> Db {
    let dir = std::env::temp_dir().join(format!(
        "mailrith-unit-{}",
        crate::domain::ids::random_base62(12)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let url = DatabaseUrl::Sqlite(dir.join("unit.db").to_string_lossy().into_owned());
    let mut conn = crate::db::connect(&url).unwrap();
    crate::db::run_migrations(&mut conn).unwrap();
    Db { conn, dir }
}

/// An instance admin who owns a new workspace.
pub fn owner(c: &mut AnyConnection, email: &str, workspace: &str) -> (Acting, Workspace) {
    let admin = NewAdmin {
        email: EmailAddress::parse(email).unwrap(),
        name: PersonName::parse("Olivia Owner").unwrap(),
        workspace: Some(WorkspaceName::parse(workspace).unwrap()),
        password: NewPassword::parse(
            "a long unguessable phrase",
            "a long unguessable phrase",
            &[],
        )
        .unwrap(),
    };
    let (user, ws) = accounts::create_admin(c, admin, NOW).unwrap();
    (
        Acting::new(user.id, "127.0.0.1".to_owned(), NOW),
        ws.unwrap(),
    )
}

/// Someone with this access in the workspace.
pub fn member(
    c: &mut AnyConnection,
    email: &str,
    ws: &Workspace,
    access: WorkspaceAccess,
) -> Acting {
    let user = accounts::insert_person(c, email, "Maya Member", "not-a-hash", false, NOW).unwrap();
    workspaces::add_member(c, ws.id, user.id, access, NOW).unwrap();
    Acting::new(user.id, "127.0.0.1".to_owned(), NOW)
}
