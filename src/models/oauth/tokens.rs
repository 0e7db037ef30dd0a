//! One-time authorization codes, and access and refresh tokens (stored only as SHA-256).

use diesel::prelude::*;

use super::Grant;
use time::PrimitiveDateTime;

use crate::db::ids::GrantId;
use crate::db::schema::{oauth_clients, oauth_codes, oauth_grants, oauth_tokens, workspaces};
use crate::db::AnyConnection;
use crate::domain::oauth::TokenKind;

pub fn insert_code(
    conn: &mut AnyConnection,
    code_hash: &str,
    grant_id: GrantId,
    redirect_uri: &str,
    challenge: &str,
    now: PrimitiveDateTime,
    expires_at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(oauth_codes::table)
        .values((
            oauth_codes::code_hash.eq(code_hash),
            oauth_codes::grant_id.eq(grant_id),
            oauth_codes::redirect_uri.eq(redirect_uri),
            oauth_codes::code_challenge.eq(challenge),
            oauth_codes::created_at.eq(now),
            oauth_codes::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

/// (code id, grant, redirect uri, code challenge, expires at, used at)
pub type CodeRow = (
    i64,
    Grant,
    String,
    String,
    PrimitiveDateTime,
    Option<PrimitiveDateTime>,
);

pub fn find_code(conn: &mut AnyConnection, code_hash: &str) -> QueryResult<Option<CodeRow>> {
    oauth_codes::table
        .inner_join(oauth_grants::table)
        .filter(oauth_codes::code_hash.eq(code_hash))
        .select((
            oauth_codes::id,
            Grant::as_select(),
            oauth_codes::redirect_uri,
            oauth_codes::code_challenge,
            oauth_codes::expires_at,
            oauth_codes::used_at,
        ))
        .first(conn)
        .optional()
}

/// Marks a code used; 0 when it already was (a replay).
pub fn use_code(conn: &mut AnyConnection, id: i64, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(
        oauth_codes::table
            .filter(oauth_codes::id.eq(id))
            .filter(oauth_codes::used_at.is_null()),
    )
    .set(oauth_codes::used_at.eq(Some(now)))
    .execute(conn)
}

pub fn insert_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    kind: TokenKind,
    grant_id: GrantId,
    now: PrimitiveDateTime,
    expires_at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(oauth_tokens::table)
        .values((
            oauth_tokens::token_hash.eq(token_hash),
            oauth_tokens::kind.eq(kind),
            oauth_tokens::grant_id.eq(grant_id),
            oauth_tokens::created_at.eq(now),
            oauth_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

#[derive(Queryable, Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub kind: TokenKind,
    pub expires_at: PrimitiveDateTime,
    pub revoked_at: Option<PrimitiveDateTime>,
    pub replaced_at: Option<PrimitiveDateTime>,
}

/// A token, its grant, and the grant's client id, app name, workspace public id and name.
pub type TokenWithGrant = (TokenRow, Grant, String, String, String, String);

/// A token with its grant and the grant's client id and workspace.
pub fn find_token(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> QueryResult<Option<TokenWithGrant>> {
    oauth_tokens::table
        .inner_join(
            oauth_grants::table
                .inner_join(oauth_clients::table)
                .inner_join(workspaces::table),
        )
        .filter(oauth_tokens::token_hash.eq(token_hash))
        .select((
            (
                oauth_tokens::id,
                oauth_tokens::kind,
                oauth_tokens::expires_at,
                oauth_tokens::revoked_at,
                oauth_tokens::replaced_at,
            ),
            Grant::as_select(),
            oauth_clients::client_id,
            oauth_clients::name,
            workspaces::public_id,
            workspaces::name,
        ))
        .first(conn)
        .optional()
}

/// Retires a refresh token in favour of its successor; 0 when it already was (a replay).
pub fn replace_token(
    conn: &mut AnyConnection,
    id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        oauth_tokens::table
            .filter(oauth_tokens::id.eq(id))
            .filter(oauth_tokens::replaced_at.is_null())
            .filter(oauth_tokens::revoked_at.is_null()),
    )
    .set(oauth_tokens::replaced_at.eq(Some(now)))
    .execute(conn)
}

pub fn revoke_token(
    conn: &mut AnyConnection,
    id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        oauth_tokens::table
            .filter(oauth_tokens::id.eq(id))
            .filter(oauth_tokens::revoked_at.is_null()),
    )
    .set(oauth_tokens::revoked_at.eq(Some(now)))
    .execute(conn)
}
