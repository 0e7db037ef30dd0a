//! One portable schema for both backends (kept by hand: the two migration folders define the
//! same tables, and `tests/api/migrations.rs` checks both against this file by querying every column).

diesel::table! {
    users (id) {
        id -> BigInt,
        public_id -> Text,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        is_admin -> Bool,
        disabled -> Bool,
        created_at -> Timestamp,
        last_sign_in_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    workspaces (id) {
        id -> BigInt,
        public_id -> Text,
        name -> Text,
        created_at -> Timestamp,
        max_key_lifetime_days -> Nullable<Integer>,
        revoke_unused_after_days -> Nullable<Integer>,
        max_active_keys -> Integer,
        leak_response -> Text,
    }
}

diesel::table! {
    key_usage_daily (key_id, day) {
        key_id -> BigInt,
        day -> Date,
        ok -> BigInt,
        refused -> BigInt,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> BigInt,
        kind -> Text,
        key_id -> BigInt,
        due_for -> Timestamp,
        recipients -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    memberships (id) {
        id -> BigInt,
        user_id -> BigInt,
        workspace_id -> BigInt,
        role -> Text,
        created_at -> Timestamp,
        api_keys_permission -> Text,
        apps_permission -> Text,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        public_id -> Text,
        workspace_id -> BigInt,
        name -> Text,
        purpose -> Text,
        access_level -> Text,
        owner_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        last_used_ip -> Nullable<Text>,
        last_used_user_agent -> Nullable<Text>,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<BigInt>,
        key_hash -> Text,
        hint -> Text,
        request_id -> Nullable<Text>,
        old_key_hash -> Nullable<Text>,
        old_hint -> Nullable<Text>,
        old_retires_at -> Nullable<Timestamp>,
        old_last_used_at -> Nullable<Timestamp>,
        secret_first_used_at -> Nullable<Timestamp>,
        leaked_at -> Nullable<Timestamp>,
        leaked_url -> Nullable<Text>,
        leaked_source -> Nullable<Text>,
        allowed_ips -> Nullable<Text>,
        rate_limit_per_minute -> Nullable<Integer>,
        requests_7d -> BigInt,
        created_via -> Nullable<Text>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        workspace_id -> Nullable<BigInt>,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        subject -> Nullable<Text>,
        details -> Text,
        ip -> Nullable<Text>,
        created_at -> Timestamp,
        via_app -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        key_hash -> Text,
        user_id -> Nullable<BigInt>,
        state -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    contacts (id) {
        id -> BigInt,
        public_id -> Text,
        workspace_id -> BigInt,
        email -> Text,
        name -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        email -> Text,
        ip -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    instance_secrets (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    /// Kept by triggers on `api_keys` (see migration 2026-12-01-000004).
    key_owners (workspace_id, owner_id) {
        workspace_id -> BigInt,
        owner_id -> BigInt,
        keys -> BigInt,
        unrevoked -> BigInt,
        read_write -> BigInt,
    }
}

diesel::table! {
    api_key_changes (id) {
        id -> BigInt,
        key_id -> BigInt,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    retired_key_hashes (key_hash) {
        key_hash -> Text,
        key_id -> BigInt,
        retired_at -> Timestamp,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        public_id -> Text,
        workspace_id -> BigInt,
        email -> Text,
        role -> Text,
        api_keys_permission -> Text,
        apps_permission -> Text,
        token_hash -> Text,
        invited_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        accepted_by -> Nullable<BigInt>,
        cancelled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    oauth_clients (id) {
        id -> BigInt,
        client_id -> Text,
        name -> Text,
        homepage -> Text,
        redirect_uris -> Text,
        logo_url -> Nullable<Text>,
        secret_hash -> Nullable<Text>,
        secret_hint -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        secret_rotated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    oauth_grants (id) {
        id -> BigInt,
        public_id -> Text,
        client_id -> BigInt,
        workspace_id -> BigInt,
        user_id -> Nullable<BigInt>,
        scope -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<BigInt>,
        last_used_at -> Nullable<Timestamp>,
        last_used_ip -> Nullable<Text>,
        last_used_user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    oauth_codes (id) {
        id -> BigInt,
        code_hash -> Text,
        grant_id -> BigInt,
        redirect_uri -> Text,
        code_challenge -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    oauth_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        kind -> Text,
        grant_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        replaced_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(oauth_grants -> oauth_clients (client_id));
diesel::joinable!(oauth_grants -> workspaces (workspace_id));
diesel::joinable!(oauth_tokens -> oauth_grants (grant_id));
diesel::joinable!(oauth_codes -> oauth_grants (grant_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(invitations -> workspaces (workspace_id));
diesel::joinable!(memberships -> workspaces (workspace_id));
diesel::joinable!(api_keys -> workspaces (workspace_id));
diesel::joinable!(contacts -> workspaces (workspace_id));
diesel::joinable!(mail_outbox -> api_keys (key_id));
diesel::joinable!(key_usage_daily -> api_keys (key_id));

diesel::table! {
    /// The day the usage week was last moved on (one row, `id` = 1).
    usage_week_rolled (id) {
        id -> Integer,
        day -> Date,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    users,
    workspaces,
    memberships,
    api_keys,
    audit_events,
    sessions,
    contacts,
    login_failures,
    instance_secrets,
    api_key_changes,
    key_owners,
    retired_key_hashes,
    invitations,
    oauth_clients,
    oauth_grants,
    oauth_codes,
    oauth_tokens,
    mail_outbox,
    key_usage_daily,
    usage_week_rolled,
);
