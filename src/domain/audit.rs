//! What the audit log records: every action by name, with the words the Activity view and a
//! key's history show.

super::named_enum! {
    /// Every audited action. Stored by name (`api_key.rotate`); an unknown stored name is an
    /// error, never a silent default.
    pub enum AuditAction {
        InstanceSetup = "instance.setup",
        AdminCreate = "admin.create",
        UserSignIn = "user.sign_in",
        UserSignOut = "user.sign_out",
        UserRename = "user.rename",
        UserPasswordChange = "user.password_change",
        UserDisable = "user.disable",
        UserEnable = "user.enable",
        WorkspaceCreate = "workspace.create",
        WorkspaceRename = "workspace.rename",
        WorkspacePolicyChange = "workspace.policy_change",
        MemberInvite = "member.invite",
        MemberInviteCancel = "member.invite_cancel",
        MemberInviteReissue = "member.invite_reissue",
        MemberAccept = "member.accept",
        MemberAccessChange = "member.access_change",
        MemberRemove = "member.remove",
        ApiKeyGenerate = "api_key.generate",
        ApiKeyEdit = "api_key.edit",
        ApiKeyRotate = "api_key.rotate",
        ApiKeyRevoke = "api_key.revoke",
        ApiKeyTransfer = "api_key.transfer",
        ApiKeyRejected = "api_key.rejected",
        ApiKeyRetireOldSecret = "api_key.retire_old_secret",
        ApiKeyPolicyRefused = "api_key.policy_refused",
        ApiKeyReminderSent = "api_key.reminder_sent",
        ApiKeyLeaked = "api_key.leaked",
        AppAuthorize = "app.authorize",
        AppRevoke = "app.revoke",
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
            Self::ApiKeyRetireOldSecret => "Retired the old secret",
            Self::ApiKeyPolicyRefused => "Refused by the workspace policy",
            Self::ApiKeyReminderSent => "Sent a reminder",
            Self::ApiKeyLeaked => "Reported public",
            Self::WorkspacePolicyChange => "Changed the key policies",
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
    use crate::domain::Named;

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
