//! Workspaces and the roles people hold in them.

use super::{clean_text, FieldError, Named};

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

super::named_enum! {
    /// A person's role in a workspace, least to most.
    #[derive(PartialOrd, Ord)]
    pub enum Role {
        Member = "member",
        Admin = "admin",
        Owner = "owner",
    }
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::from_name(raw)
    }

    /// Owners and Admins manage the workspace itself (rename, members, keys).
    pub fn manages_workspace(self) -> bool {
        self >= Role::Admin
    }
}

super::named_enum! {
    /// A per-feature permission of a Member.
    #[derive(PartialOrd, Ord)]
    pub enum Access {
        None = "none",
        View = "view",
        Manage = "manage",
    }
}

impl Access {
    pub fn parse(raw: &str) -> Option<Self> {
        Self::from_name(raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::View => "View",
            Self::Manage => "Manage",
        }
    }
}

/// What one person may do in one workspace: a role and, for Members, a permission per feature.
/// Owners and Admins manage everything in their workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkspaceAccess {
    pub role: Role,
    api_keys: Access,
    apps: Access,
}

impl WorkspaceAccess {
    pub fn new(role: Role, api_keys: Access, apps: Access) -> Self {
        Self {
            role,
            api_keys,
            apps,
        }
    }

    pub fn api_keys(self) -> Access {
        if self.role.manages_workspace() {
            Access::Manage
        } else {
            self.api_keys
        }
    }

    pub fn apps(self) -> Access {
        if self.role.manages_workspace() {
            Access::Manage
        } else {
            self.apps
        }
    }

    /// The stored per-feature values (meaningful for Members).
    pub fn stored_api_keys(self) -> Access {
        self.api_keys
    }

    pub fn stored_apps(self) -> Access {
        self.apps
    }

    pub fn can_view_keys(self) -> bool {
        self.api_keys() >= Access::View
    }

    pub fn can_manage_keys(self) -> bool {
        self.api_keys() == Access::Manage
    }

    /// Invite, change access, remove, see Activity.
    pub fn manages_members(self) -> bool {
        self.role.manages_workspace()
    }

    /// Whether this person may give `target` role to someone, or change someone who is `current`.
    /// Only an Owner changes Owners (makes one, or changes or removes one).
    pub fn may_assign(self, current: Option<Role>, target: Option<Role>) -> bool {
        if !self.manages_members() {
            return false;
        }
        let touches_owner = current == Some(Role::Owner) || target == Some(Role::Owner);
        !touches_owner || self.role == Role::Owner
    }

    pub fn summary(self) -> String {
        if self.role.manages_workspace() {
            "Everything".into()
        } else {
            format!(
                "API Keys: {} · Authorized Apps: {}",
                self.api_keys.label(),
                self.apps.label()
            )
        }
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
    fn permissions() {
        let owner = WorkspaceAccess::new(Role::Owner, Access::None, Access::None);
        let admin = WorkspaceAccess::new(Role::Admin, Access::None, Access::None);
        let viewer = WorkspaceAccess::new(Role::Member, Access::View, Access::None);
        let none = WorkspaceAccess::new(Role::Member, Access::None, Access::Manage);
        assert!(owner.can_manage_keys() && admin.can_manage_keys());
        assert!(viewer.can_view_keys() && !viewer.can_manage_keys());
        assert!(!none.can_view_keys() && none.apps() == Access::Manage);
        assert!(owner.may_assign(Some(Role::Member), Some(Role::Owner)));
        assert!(!admin.may_assign(Some(Role::Member), Some(Role::Owner)));
        assert!(!admin.may_assign(Some(Role::Owner), None));
        assert!(admin.may_assign(Some(Role::Member), Some(Role::Admin)));
        assert!(!viewer.may_assign(Some(Role::Member), Some(Role::Member)));
    }

    #[test]
    fn workspace_names() {
        assert_eq!(WorkspaceName::parse(" Acme ").unwrap().as_str(), "Acme");
        assert!(WorkspaceName::parse("").is_err());
    }
}
