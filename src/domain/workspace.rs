//! Workspaces and the roles people hold in them.

use super::{clean_text, FieldError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceName(String);

impl WorkspaceName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        clean_text("workspace", "Workspace name", raw, 1, 80).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }

    /// Owners and Admins manage the workspace itself (rename, members, keys).
    pub fn manages_workspace(self) -> bool {
        self >= Role::Admin
    }

    /// Generate, rotate, revoke and edit API keys. (Per-feature permissions for Members arrive
    /// with Team Members; until then Members may view and search keys only.)
    pub fn can_manage_keys(self) -> bool {
        self.manages_workspace()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in [Role::Owner, Role::Admin, Role::Member] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert!(Role::Owner.manages_workspace());
        assert!(!Role::Member.manages_workspace());
    }

    #[test]
    fn workspace_names() {
        assert_eq!(WorkspaceName::parse(" Acme ").unwrap().as_str(), "Acme");
        assert!(WorkspaceName::parse("").is_err());
    }
}
