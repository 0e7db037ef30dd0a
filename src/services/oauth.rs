//! The OAuth 2.0 authorization server's rules: checking an authorization request, the consent
//! that creates a grant and a one-time code, client authentication, the code exchange (PKCE S256
//! only), refresh-token rotation with reuse detection, and revocation (RFC 6749, 7636, 7009).

use serde::Deserialize;
use time::{Duration, PrimitiveDateTime};

use super::{audit, Acting, Error};
use crate::db::ids::{ClientId, GrantId};
use crate::db::AnyConnection;
use crate::domain::audit::AuditAction;
use crate::domain::ids::{constant_time_eq, public_id};
use crate::domain::oauth::{self as o, Scope, TokenKind};
use crate::domain::workspace::Access;
use crate::models::oauth::{self as m, OauthClient};
use crate::models::workspaces;

/// The parameters of `/oauth/authorize`, as an app sends them.
#[derive(Deserialize, Default, Clone, Debug)]
pub struct AuthorizeRequest {
    #[serde(default)]
    pub response_type: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub redirect_uri: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub code_challenge: String,
    #[serde(default)]
    pub code_challenge_method: String,
}

/// Why an authorization request is refused.
#[derive(Debug)]
pub enum AuthorizeError {
    /// An unknown app or an unregistered redirect URI: an error page, never a redirect.
    Page(&'static str),
    /// Back to the app with `error` and `error_description` (RFC 6749 section 4.1.2.1).
    Redirect(&'static str, &'static str),
    Other(Error),
}

impl From<Error> for AuthorizeError {
    fn from(e: Error) -> Self {
        Self::Other(e)
    }
}

impl From<diesel::result::Error> for AuthorizeError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Other(e.into())
    }
}

impl From<crate::db::Unavailable> for AuthorizeError {
    fn from(e: crate::db::Unavailable) -> Self {
        Self::Other(e.into())
    }
}

/// Checks a request before anything is shown.
pub fn check(
    c: &mut AnyConnection,
    req: &AuthorizeRequest,
) -> Result<(OauthClient, Scope), AuthorizeError> {
    let client = m::find_client(c, &req.client_id)?.ok_or(AuthorizeError::Page(
        "This app is not registered with Mailrith (unknown client_id).",
    ))?;
    if !client.redirect_uris().any(|u| u == req.redirect_uri) {
        return Err(AuthorizeError::Page(
            "The redirect URI does not exactly match one registered for this app, so Mailrith will not send you there.",
        ));
    }
    if req.response_type != "code" {
        return Err(AuthorizeError::Redirect(
            "unsupported_response_type",
            "Only response_type=code is supported.",
        ));
    }
    if req.code_challenge_method != "S256" || !o::valid_challenge(&req.code_challenge) {
        return Err(AuthorizeError::Redirect(
            "invalid_request",
            "PKCE with code_challenge_method=S256 is required.",
        ));
    }
    let scope = Scope::parse(&req.scope).ok_or(AuthorizeError::Redirect(
        "invalid_scope",
        "Use scope=contacts:read or contacts:read contacts:write, and/or keys:manage.",
    ))?;
    Ok((client, scope))
}

/// The person approved: a grant in `workspace` (where they manage apps) and a one-time code.
pub fn approve(
    c: &mut AnyConnection,
    acting: &Acting,
    req: &AuthorizeRequest,
    workspace: &str,
) -> Result<String, AuthorizeError> {
    let (client, scope) = check(c, req)?;
    let membership = workspaces::membership(c, acting.user, workspace)?
        .filter(|m| m.access.apps() == Access::Manage)
        .ok_or(AuthorizeError::Other(Error::Forbidden(
            "You may not connect apps to this workspace.",
        )))?;
    // An app manages keys as the person who connected it: only someone who may manage them here
    // can grant that.
    if scope.manage_keys && !membership.access.can_manage_keys() {
        return Err(AuthorizeError::Other(Error::Forbidden(
            "You may not manage API keys in this workspace, so you cannot let an app manage them.",
        )));
    }
    let code = o::new_secret(o::CODE_PREFIX);
    c.write_transaction::<_, Error, _>(|c| {
        let grant = m::insert_grant(
            c,
            &public_id("grt"),
            client.id,
            membership.workspace.id,
            acting.user,
            &scope.as_str(),
            acting.now,
        )?;
        m::insert_code(
            c,
            &o::hash(&code),
            grant.id,
            &req.redirect_uri,
            &req.code_challenge,
            acting.now,
            acting.now + Duration::seconds(o::CODE_SECONDS),
        )?;
        let details = format!("connected {} ({})", client.name, scope.as_str());
        audit::record(
            c,
            acting,
            Some(membership.workspace.id),
            AuditAction::AppAuthorize,
            Some(&grant.public_id),
            &details,
        )?;
        Ok(())
    })?;
    Ok(code)
}

/// RFC 6749 section 5.2 errors of the token and revocation endpoints.
#[derive(Debug)]
pub enum TokenError {
    InvalidClient,
    Refused {
        error: &'static str,
        description: &'static str,
    },
    Other(Error),
}

impl From<Error> for TokenError {
    fn from(e: Error) -> Self {
        Self::Other(e)
    }
}

impl From<diesel::result::Error> for TokenError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Other(e.into())
    }
}

impl From<crate::db::Unavailable> for TokenError {
    fn from(e: crate::db::Unavailable) -> Self {
        Self::Other(e.into())
    }
}

fn refused(error: &'static str, description: &'static str) -> TokenError {
    TokenError::Refused { error, description }
}

/// client_secret_basic or client_secret_post; a public client names itself and has no secret.
pub fn authenticate_client(
    c: &mut AnyConnection,
    client_id: &str,
    secret: Option<&str>,
) -> Result<OauthClient, TokenError> {
    let client = m::find_client(c, client_id)?.ok_or(TokenError::InvalidClient)?;
    match (&client.secret_hash, secret) {
        (Some(hash), Some(secret)) if constant_time_eq(hash, &o::hash(secret)) => Ok(client),
        (None, None) => Ok(client),
        _ => Err(TokenError::InvalidClient),
    }
}

/// A new access token (1 hour) and refresh token (90 days), each shown once.
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub scope: String,
}

fn issue(
    c: &mut AnyConnection,
    grant: GrantId,
    scope: String,
    now: PrimitiveDateTime,
) -> Result<Tokens, Error> {
    let access = o::new_secret(o::ACCESS_TOKEN_PREFIX);
    let refresh = o::new_secret(o::REFRESH_TOKEN_PREFIX);
    let access_until = now + Duration::seconds(o::ACCESS_TOKEN_SECONDS);
    m::insert_token(
        c,
        &o::hash(&access),
        TokenKind::Access,
        grant,
        now,
        access_until,
    )?;
    let refresh_until = now + Duration::days(o::REFRESH_TOKEN_DAYS);
    m::insert_token(
        c,
        &o::hash(&refresh),
        TokenKind::Refresh,
        grant,
        now,
        refresh_until,
    )?;
    Ok(Tokens {
        access,
        refresh,
        scope,
    })
}

/// `grant_type=authorization_code`. A replayed code revokes everything issued from it.
pub fn exchange_code(
    c: &mut AnyConnection,
    client: ClientId,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
    now: PrimitiveDateTime,
) -> Result<Tokens, TokenError> {
    if verifier.is_empty() {
        // Refused before the code is looked up, so a client can fix its request and retry.
        return Err(refused(
            "invalid_request",
            "code_verifier is required (PKCE, RFC 7636).",
        ));
    }
    // Refusals commit (a replayed code's grant stays revoked); database errors roll back.
    c.write_transaction::<_, Error, _>(|c| {
        let Some((code_id, grant, code_redirect, challenge, expires_at, used_at)) =
            m::find_code(c, &o::hash(code))?
        else {
            return Ok(Err(refused(
                "invalid_grant",
                "The authorization code is not valid.",
            )));
        };
        if grant.client_id != client {
            return Ok(Err(refused(
                "invalid_grant",
                "The authorization code was issued to another client.",
            )));
        }
        if used_at.is_some() || m::use_code(c, code_id, now)? != 1 {
            // A replayed code: everything issued from it is revoked (RFC 6749 section 4.1.2).
            m::revoke_grant(c, grant.id, None, now)?;
            return Ok(Err(refused(
                "invalid_grant",
                "The authorization code was already used; its tokens are revoked.",
            )));
        }
        if expires_at <= now {
            return Ok(Err(refused(
                "invalid_grant",
                "The authorization code has expired.",
            )));
        }
        if code_redirect != redirect_uri {
            return Ok(Err(refused(
                "invalid_grant",
                "redirect_uri does not match the authorization request.",
            )));
        }
        if !o::pkce_matches(verifier, &challenge) {
            return Ok(Err(refused(
                "invalid_grant",
                "The PKCE code_verifier does not match the code_challenge.",
            )));
        }
        if grant.revoked_at.is_some() {
            return Ok(Err(refused("invalid_grant", "The grant was revoked.")));
        }
        issue(c, grant.id, grant.scope, now).map(Ok)
    })?
}

/// `grant_type=refresh_token`: the token is replaced by a new pair; reusing a replaced one
/// (someone copied it) revokes the whole grant.
pub fn refresh(
    c: &mut AnyConnection,
    client: ClientId,
    token: &str,
    now: PrimitiveDateTime,
) -> Result<Tokens, TokenError> {
    c.write_transaction::<_, Error, _>(|c| {
        let invalid = || refused("invalid_grant", "The refresh token is not valid.");
        let Some((tok, grant, ..)) = m::find_token(c, &o::hash(token))? else {
            return Ok(Err(invalid()));
        };
        if tok.kind != TokenKind::Refresh || grant.client_id != client {
            return Ok(Err(invalid()));
        }
        let reused = || {
            refused(
                "invalid_grant",
                "The refresh token was already used; the grant is revoked.",
            )
        };
        if tok.replaced_at.is_some() {
            m::revoke_grant(c, grant.id, None, now)?;
            return Ok(Err(reused()));
        }
        if tok.revoked_at.is_some() || grant.revoked_at.is_some() || tok.expires_at <= now {
            return Ok(Err(refused(
                "invalid_grant",
                "The refresh token was revoked or has expired.",
            )));
        }
        if m::replace_token(c, tok.id, now)? != 1 {
            m::revoke_grant(c, grant.id, None, now)?;
            return Ok(Err(reused()));
        }
        issue(c, grant.id, grant.scope, now).map(Ok)
    })?
}

/// RFC 7009: revoking a refresh token ends the whole grant; an access token ends alone. Unknown
/// tokens, or another client's, are not an error.
pub fn revoke_token(
    c: &mut AnyConnection,
    client: ClientId,
    token: &str,
    now: PrimitiveDateTime,
) -> Result<(), Error> {
    c.write_transaction(|c| {
        if let Some((tok, grant, ..)) = m::find_token(c, &o::hash(token))? {
            if grant.client_id == client {
                match tok.kind {
                    TokenKind::Refresh => m::revoke_grant(c, grant.id, None, now)?,
                    TokenKind::Access => m::revoke_token(c, tok.id, now)?,
                };
            }
        }
        Ok(())
    })
}

#[cfg(test)]
#[path = "oauth_tests.rs"]
mod tests;
