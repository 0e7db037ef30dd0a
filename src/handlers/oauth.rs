//! OAuth 2.0 authorization server: the authorization code flow with PKCE (RFC 6749, RFC 7636,
//! S256 only), refresh-token rotation with reuse detection, revocation (RFC 7009) and metadata
//! (RFC 8414). Apps' access tokens work on /api/v1 like keys of the granted access.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use time::{Duration, PrimitiveDateTime};

use super::take_flash;
use crate::auth::client_ip::client_ip;
use crate::auth::csrf::CsrfForm;
use crate::auth::CurrentUser;
use crate::domain::ids::{constant_time_eq, public_id};
use crate::domain::oauth::{self as o, Scope};
use crate::error::AppError;
use crate::models::oauth::{self as m, OauthClient};
use crate::models::{audit, workspaces};
use crate::startup::AppState;
use crate::telemetry::run_db;
use crate::views::api_keys::Choice;
use crate::views::apps::{ConsentPage, OauthErrorPage};
use crate::views::{self, PageContext};

#[derive(Deserialize, Default, Clone)]
pub struct AuthorizeParams {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
}

fn error_page(status: StatusCode, message: &str) -> Result<HttpResponse, AppError> {
    let page = OauthErrorPage {
        message: message.to_owned(),
    };
    views::render_status(status, &page)
}

/// A redirect back to the app with `error` (RFC 6749 section 4.1.2.1).
fn redirect_error(redirect_uri: &str, error: &str, description: &str, state: &str) -> HttpResponse {
    // Only called with a registered (so already parsed once) redirect URI.
    let Ok(mut u) = url::Url::parse(redirect_uri) else {
        return HttpResponse::BadRequest()
            .content_type("text/plain; charset=utf-8")
            .body(description.to_owned());
    };
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("error", error)
            .append_pair("error_description", description);
        if !state.is_empty() {
            q.append_pair("state", state);
        }
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, u.to_string()))
        .finish()
}

/// Checks the request before anything is shown: an unknown client or a redirect URI that is not
/// registered exactly is an error page, never a redirect.
async fn check(
    state: &AppState,
    p: &AuthorizeParams,
) -> Result<Result<(OauthClient, Scope), HttpResponse>, AppError> {
    let id = p.client_id.clone();
    let Some(client) = run_db(&state.pool, move |c| Ok(m::find_client(c, &id)?)).await? else {
        return Ok(Err(error_page(
            StatusCode::BAD_REQUEST,
            "This app is not registered with Mailrith (unknown client_id).",
        )?));
    };
    if !client.redirect_uris().any(|u| u == p.redirect_uri) {
        return Ok(Err(error_page(
            StatusCode::BAD_REQUEST,
            "The redirect URI does not exactly match one registered for this app, so Mailrith will not send you there.",
        )?));
    }
    if p.response_type != "code" {
        return Ok(Err(redirect_error(
            &p.redirect_uri,
            "unsupported_response_type",
            "Only response_type=code is supported.",
            &p.state,
        )));
    }
    if p.code_challenge_method != "S256" || !o::valid_challenge(&p.code_challenge) {
        return Ok(Err(redirect_error(
            &p.redirect_uri,
            "invalid_request",
            "PKCE with code_challenge_method=S256 is required.",
            &p.state,
        )));
    }
    let Some(scope) = Scope::parse(&p.scope) else {
        return Ok(Err(redirect_error(
            &p.redirect_uri,
            "invalid_scope",
            "Use scope=contacts:read or scope=contacts:read contacts:write.",
            &p.state,
        )));
    };
    Ok(Ok((client, scope)))
}

pub async fn authorize(
    me: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<AuthorizeParams>,
) -> Result<HttpResponse, AppError> {
    let p = q.into_inner();
    let (client, scope) = match check(&state, &p).await? {
        Ok(ok) => ok,
        Err(resp) => return Ok(resp),
    };
    let uid = me.user.id;
    let mine = run_db(&state.pool, move |c| Ok(workspaces::for_user(c, uid)?)).await?;
    let allowed: Vec<Choice> = mine
        .iter()
        .filter(|m| m.access.apps() == crate::domain::workspace::Access::Manage)
        .map(|m| Choice {
            value: m.workspace.public_id.clone(),
            label: m.workspace.name.clone(),
            selected: false,
        })
        .collect();
    let host = url::Url::parse(&p.redirect_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let page = ConsentPage {
        ctx: PageContext::new(me.csrf()?, Some(&me.user), take_flash(&me.session)),
        app: client.name.clone(),
        homepage: client.homepage.clone(),
        logo_url: client.logo_url.clone(),
        redirect_host: host,
        access: scope.describe(),
        workspaces: allowed,
        client_id: p.client_id,
        redirect_uri: p.redirect_uri,
        scope: scope.as_str().to_owned(),
        state: p.state,
        code_challenge: p.code_challenge,
    };
    let mut resp = views::render(&page)?;
    resp.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    Ok(resp)
}

#[derive(Deserialize, Default)]
pub struct ConsentFields {
    #[serde(flatten)]
    params: AuthorizeParams,
    #[serde(default)]
    workspace: String,
    #[serde(default)]
    decision: String,
}

pub async fn consent(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    CsrfForm(f): CsrfForm<ConsentFields>,
) -> Result<HttpResponse, AppError> {
    // The consent form carries the checked request back; it was a code request with S256.
    let p = AuthorizeParams {
        response_type: "code".into(),
        code_challenge_method: "S256".into(),
        ..f.params
    };
    let (client, scope) = match check(&state, &p).await? {
        Ok(ok) => ok,
        Err(resp) => return Ok(resp),
    };
    if f.decision != "approve" {
        return Ok(redirect_error(
            &p.redirect_uri,
            "access_denied",
            "The person declined to connect the app.",
            &p.state,
        ));
    }
    let (uid, ws) = (me.user.id, f.workspace.clone());
    let membership = run_db(&state.pool, move |c| {
        Ok(workspaces::membership(c, uid, &ws)?)
    })
    .await?;
    let Some(membership) =
        membership.filter(|m| m.access.apps() == crate::domain::workspace::Access::Manage)
    else {
        return Err(AppError::Forbidden(
            "You may not connect apps to this workspace.",
        ));
    };
    let code = o::new_secret(o::CODE_PREFIX);
    let (now, ip, code_hash) = (
        state.clock.now(),
        client_ip(&req, &state.settings.trusted_proxies),
        o::hash(&code),
    );
    let (redirect_uri, challenge) = (p.redirect_uri.clone(), p.code_challenge.clone());
    run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            let grant = m::insert_grant(
                c,
                &public_id("grt"),
                client.id,
                membership.workspace.id,
                uid,
                scope.as_str(),
                now,
            )?;
            m::insert_code(
                c,
                &code_hash,
                grant.id,
                &redirect_uri,
                &challenge,
                now,
                now + Duration::seconds(o::CODE_SECONDS),
            )?;
            let details = format!("connected {} ({})", client.name, scope.as_str());
            audit::record(
                c,
                &audit::NewEvent {
                    workspace_id: Some(membership.workspace.id),
                    actor_id: Some(uid),
                    action: "app.authorize",
                    subject: Some(&grant.public_id),
                    details: &details,
                    ip: Some(&ip),
                    created_at: now,
                },
            )?;
            Ok(())
        })
    })
    .await?;
    let mut u = url::Url::parse(&p.redirect_uri).map_err(|e| AppError::Internal(e.into()))?;
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("code", &code);
        if !p.state.is_empty() {
            q.append_pair("state", &p.state);
        }
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, u.to_string()))
        .finish())
}

// ---- Token endpoint --------------------------------------------------------------------------------

/// RFC 6749 section 5.2 errors.
fn token_error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    let mut b = HttpResponse::build(status);
    b.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    if status == StatusCode::UNAUTHORIZED {
        b.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"Mailrith OAuth\""));
    }
    b.json(json!({"error": error, "error_description": description}))
}

#[derive(Deserialize, Default)]
pub struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    code_verifier: String,
    #[serde(default)]
    refresh_token: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    token: String,
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// client_secret_basic or client_secret_post; public clients identify themselves by client_id.
async fn authenticate_client(
    state: &AppState,
    req: &HttpRequest,
    f: &TokenForm,
) -> Result<Result<OauthClient, HttpResponse>, AppError> {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| decode_base64(b.trim()))
        .and_then(|s| {
            s.split_once(':')
                .map(|(a, b)| (percent_decode(a), percent_decode(b)))
        });
    let (id, secret) = match basic {
        Some((id, secret)) => (id, Some(secret)),
        None => (
            f.client_id.clone(),
            (!f.client_secret.is_empty()).then(|| f.client_secret.clone()),
        ),
    };
    let lookup = id.clone();
    let client = run_db(&state.pool, move |c| Ok(m::find_client(c, &lookup)?)).await?;
    let bad = || {
        token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        )
    };
    let Some(client) = client else {
        return Ok(Err(bad()));
    };
    match (&client.secret_hash, secret) {
        (Some(hash), Some(secret)) if constant_time_eq(hash, &o::hash(&secret)) => Ok(Ok(client)),
        (None, None) => Ok(Ok(client)),
        _ => Ok(Err(bad())),
    }
}

fn decode_base64(s: &str) -> Option<String> {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = T.iter().position(|t| *t == c)? as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8(out).ok()
}

fn issue_tokens(
    c: &mut crate::db::AnyConnection,
    grant_id: i64,
    now: PrimitiveDateTime,
) -> diesel::QueryResult<(String, String)> {
    let access = o::new_secret(o::ACCESS_TOKEN_PREFIX);
    let refresh = o::new_secret(o::REFRESH_TOKEN_PREFIX);
    m::insert_token(
        c,
        &o::hash(&access),
        "access",
        grant_id,
        now,
        now + Duration::seconds(o::ACCESS_TOKEN_SECONDS),
    )?;
    m::insert_token(
        c,
        &o::hash(&refresh),
        "refresh",
        grant_id,
        now,
        now + Duration::days(o::REFRESH_TOKEN_DAYS),
    )?;
    Ok((access, refresh))
}

fn tokens_response(access: &str, refresh: &str, scope: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": o::ACCESS_TOKEN_SECONDS,
            "refresh_token": refresh,
            "scope": scope,
        }))
}

enum Exchange {
    Tokens(String, String, String),
    Error(&'static str, &'static str),
}

/// The token and revocation endpoints take `application/x-www-form-urlencoded` bodies (RFC 6749
/// section 4.1.3, RFC 7009 section 2.1); anything else is a JSON `invalid_request`, never a
/// plain-text 415.
fn token_form(req: &HttpRequest, body: &[u8]) -> Result<TokenForm, &'static str> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err("Send the parameters as application/x-www-form-urlencoded (RFC 6749).");
    }
    if req.headers().get_all(header::AUTHORIZATION).count() > 1 {
        return Err("Send at most one Authorization header.");
    }
    serde_urlencoded::from_bytes(body).map_err(|_| "The request body is not a valid form.")
}

pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let f = match token_form(&req, &body) {
        Ok(f) => f,
        Err(why) => return Ok(token_error(StatusCode::BAD_REQUEST, "invalid_request", why)),
    };
    let client = match authenticate_client(&state, &req, &f).await? {
        Ok(c) => c,
        Err(resp) => return Ok(resp),
    };
    let now = state.clock.now();
    let outcome = match f.grant_type.as_str() {
        // Refused before the code is looked up, so a client can fix its request and retry.
        "authorization_code" if f.code_verifier.is_empty() => Exchange::Error(
            "invalid_request",
            "code_verifier is required (PKCE, RFC 7636).",
        ),
        "authorization_code" => {
            let (code_hash, redirect_uri, verifier) = (
                o::hash(&f.code),
                f.redirect_uri.clone(),
                f.code_verifier.clone(),
            );
            let client_id = client.id;
            run_db(&state.pool, move |c| {
                c.write_transaction::<_, AppError, _>(|c| {
                    let Some((code_id, grant, code_redirect, challenge, expires_at, used_at)) =
                        m::find_code(c, &code_hash)?
                    else {
                        return Ok(Exchange::Error(
                            "invalid_grant",
                            "The authorization code is not valid.",
                        ));
                    };
                    if grant.client_id != client_id {
                        return Ok(Exchange::Error(
                            "invalid_grant",
                            "The authorization code was issued to another client.",
                        ));
                    }
                    if used_at.is_some() || m::use_code(c, code_id, now)? != 1 {
                        // A replayed code: everything issued from it is revoked (RFC 6749 section 4.1.2).
                        m::revoke_grant(c, grant.id, None, now)?;
                        return Ok(Exchange::Error(
                            "invalid_grant",
                            "The authorization code was already used; its tokens are revoked.",
                        ));
                    }
                    if expires_at <= now {
                        return Ok(Exchange::Error(
                            "invalid_grant",
                            "The authorization code has expired.",
                        ));
                    }
                    if code_redirect != redirect_uri {
                        return Ok(Exchange::Error(
                            "invalid_grant",
                            "redirect_uri does not match the authorization request.",
                        ));
                    }
                    if !o::pkce_matches(&verifier, &challenge) {
                        return Ok(Exchange::Error(
                            "invalid_grant",
                            "The PKCE code_verifier does not match the code_challenge.",
                        ));
                    }
                    if grant.revoked_at.is_some() {
                        return Ok(Exchange::Error("invalid_grant", "The grant was revoked."));
                    }
                    let (a, r) = issue_tokens(c, grant.id, now)?;
                    Ok(Exchange::Tokens(a, r, grant.scope))
                })
            })
            .await?
        }
        "refresh_token" => {
            let hash = o::hash(&f.refresh_token);
            let client_id = client.id;
            run_db(&state.pool, move |c| {
                c.write_transaction::<_, AppError, _>(|c| {
                    let Some((tok, grant, ..)) = m::find_token(c, &hash)? else {
                        return Ok(Exchange::Error(
                            "invalid_grant",
                            "The refresh token is not valid.",
                        ));
                    };
                    if tok.kind != "refresh" || grant.client_id != client_id {
                        return Ok(Exchange::Error(
                            "invalid_grant",
                            "The refresh token is not valid.",
                        ));
                    }
                    if tok.replaced_at.is_some() {
                        // Reuse of a rotated refresh token: someone copied it. Revoke the grant.
                        m::revoke_grant(c, grant.id, None, now)?;
                        return Ok(Exchange::Error(
                            "invalid_grant",
                            "The refresh token was already used; the grant is revoked.",
                        ));
                    }
                    if tok.revoked_at.is_some()
                        || grant.revoked_at.is_some()
                        || tok.expires_at <= now
                    {
                        return Ok(Exchange::Error(
                            "invalid_grant",
                            "The refresh token was revoked or has expired.",
                        ));
                    }
                    if m::replace_token(c, tok.id, now)? != 1 {
                        m::revoke_grant(c, grant.id, None, now)?;
                        return Ok(Exchange::Error(
                            "invalid_grant",
                            "The refresh token was already used; the grant is revoked.",
                        ));
                    }
                    let (a, r) = issue_tokens(c, grant.id, now)?;
                    Ok(Exchange::Tokens(a, r, grant.scope))
                })
            })
            .await?
        }
        "" => Exchange::Error("invalid_request", "grant_type is required."),
        _ => Exchange::Error(
            "unsupported_grant_type",
            "Use authorization_code or refresh_token.",
        ),
    };
    Ok(match outcome {
        Exchange::Tokens(a, r, scope) => tokens_response(&a, &r, &scope),
        Exchange::Error(e, d) => token_error(StatusCode::BAD_REQUEST, e, d),
    })
}

/// RFC 7009: revoking a refresh token ends the whole grant; an access token ends alone. Unknown
/// tokens are not an error.
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let f = match token_form(&req, &body) {
        Ok(f) => f,
        Err(why) => return Ok(token_error(StatusCode::BAD_REQUEST, "invalid_request", why)),
    };
    let client = match authenticate_client(&state, &req, &f).await? {
        Ok(c) => c,
        Err(resp) => return Ok(resp),
    };
    let (hash, now, client_id) = (o::hash(&f.token), state.clock.now(), client.id);
    run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            if let Some((tok, grant, ..)) = m::find_token(c, &hash)? {
                if grant.client_id == client_id {
                    if tok.kind == "refresh" {
                        m::revoke_grant(c, grant.id, None, now)?;
                    } else {
                        m::revoke_token(c, tok.id, now)?;
                    }
                }
            }
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// RFC 8414 metadata.
pub async fn metadata(req: HttpRequest) -> HttpResponse {
    let info = req.connection_info();
    let base = format!("{}://{}", info.scheme(), info.host());
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=3600")).json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "scopes_supported": ["contacts:read", "contacts:write"],
    }))
}
