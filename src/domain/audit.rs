//! What the audit log records: every action by name, with the words the Activity view and a
//! key's history show.

use super::Named;

/// Every audited action. Stored by name (`api_key.rotate`); an unknown stored name is an error,
/// never a silent default.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum AuditAction {
    InstanceSetup,
    AdminCreate,
    UserSignIn,
    UserSignOut,
    UserRename,
    UserPasswordChange,
    UserDisable,
    UserEnable,
    WorkspaceCreate,
    WorkspaceRename,
    MemberInvite,
    MemberInviteCancel,
    MemberInviteReissue,
    MemberAccept,
    MemberAccessChange,
    MemberRemove,
    ApiKeyGenerate,
    ApiKeyEdit,
    ApiKeyRotate,
    ApiKeyRevoke,
    ApiKeyTransfer,
    ApiKeyRejected,
    AppAuthorize,
    AppRevoke,
}

impl Named for AuditAction {
    const ALL: &'static [Self] = &[
        Self::InstanceSetup,
        Self::AdminCreate,
        Self::UserSignIn,
        Self::UserSignOut,
        Self::UserRename,
        Self::UserPasswordChange,
        Self::UserDisable,
        Self::UserEnable,
        Self::WorkspaceCreate,
        Self::WorkspaceRename,
        Self::MemberInvite,
        Self::MemberInviteCancel,
        Self::MemberInviteReissue,
        Self::MemberAccept,
        Self::MemberAccessChange,
        Self::MemberRemove,
        Self::ApiKeyGenerate,
        Self::ApiKeyEdit,
        Self::ApiKeyRotate,
        Self::ApiKeyRevoke,
        Self::ApiKeyTransfer,
        Self::ApiKeyRejected,
        Self::AppAuthorize,
        Self::AppRevoke,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::InstanceSetup => "instance.setup",
            Self::AdminCreate => "admin.create",
            Self::UserSignIn => "user.sign_in",
            Self::UserSignOut => "user.sign_out",
            Self::UserRename => "user.rename",
            Self::UserPasswordChange => "user.password_change",
            Self::UserDisable => "user.disable",
            Self::UserEnable => "user.enable",
            Self::WorkspaceCreate => "workspace.create",
            Self::WorkspaceRename => "workspace.rename",
            Self::MemberInvite => "member.invite",
            Self::MemberInviteCancel => "member.invite_cancel",
            Self::MemberInviteReissue => "member.invite_reissue",
            Self::MemberAccept => "member.accept",
            Self::MemberAccessChange => "member.access_change",
            Self::MemberRemove => "member.remove",
            Self::ApiKeyGenerate => "api_key.generate",
            Self::ApiKeyEdit => "api_key.edit",
            Self::ApiKeyRotate => "api_key.rotate",
            Self::ApiKeyRevoke => "api_key.revoke",
            Self::ApiKeyTransfer => "api_key.transfer",
            Self::ApiKeyRejected => "api_key.rejected",
            Self::AppAuthorize => "app.authorize",
            Self::AppRevoke => "app.revoke",
        }
    }
}

impl AuditAction {
    /// How a key's history names the action.
    pub fn label(self) -> &'static str {
        match self {
            Self::ApiKeyGenerate => "Generated",
            Self::ApiKeyRotate => "Rotated",
            Self::ApiKeyRevoke => "Revoked",
            Self::ApiKeyEdit => "Edited",
            Self::ApiKeyTransfer => "Transferred",
            Self::ApiKeyRejected => "Refused an API call",
            Self::InstanceSetup => "Set up Mailrith",
            Self::AdminCreate => "Admin created",
            Self::UserSignIn => "Signed in",
            Self::UserSignOut => "Signed out",
            Self::UserRename => "Renamed themselves",
            Self::UserPasswordChange => "Changed their password",
            Self::UserDisable => "Disabled a person",
            Self::UserEnable => "Enabled a person",
            Self::WorkspaceCreate => "Created the workspace",
            Self::WorkspaceRename => "Renamed the workspace",
            Self::MemberInvite => "Invited someone",
            Self::MemberInviteCancel => "Cancelled an invitation",
            Self::MemberInviteReissue => "Re-issued an invitation",
            Self::MemberAccept => "Joined",
            Self::MemberAccessChange => "Changed someone's access",
            Self::MemberRemove => "Removed someone",
            Self::AppAuthorize => "Connected an app",
            Self::AppRevoke => "Revoked an app",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_by_name() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::from_name(a.as_str()), Some(*a));
        }
        assert_eq!(AuditAction::from_name("api_key.explode"), None);
        let names: std::collections::HashSet<_> =
            AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), AuditAction::ALL.len(), "names are unique");
    }
}
