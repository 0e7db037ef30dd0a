//! `/oauth/token`, `/oauth/revoke` and the RFC 8414 metadata: called by apps' servers with
//! client authentication, never a session or CSRF token.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use time::PrimitiveDateTime;

use crate::app::AppState;
use crate::db::ids::ClientId;
use crate::db::{run_db, AnyConnection};
use crate::domain::oauth as o;
use crate::services::oauth::{self, TokenError, Tokens};
use crate::web::error::AppError;

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

fn refusal(e: TokenError) -> Result<HttpResponse, AppError> {
    match e {
        TokenError::InvalidClient => Ok(token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        )),
        TokenError::Refused { error, description } => {
            Ok(token_error(StatusCode::BAD_REQUEST, error, description))
        }
        TokenError::Other(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct TokenForm {
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

/// client_secret_basic (RFC 6749 section 2.3.1: both parts form-encoded, then Base64), or the
/// form's client_id and client_secret.
fn client_credentials(req: &HttpRequest, f: &TokenForm) -> (String, Option<String>) {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| {
            let (id, secret) = s.split_once(':')?;
            let decode = |x: &str| -> String {
                url::form_urlencoded::parse(format!("x={x}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Some((decode(id), decode(secret)))
        });
    match basic {
        Some((id, secret)) => (id, Some(secret)),
        None => (
            f.client_id.clone(),
            (!f.client_secret.is_empty()).then(|| f.client_secret.clone()),
        ),
    }
}

fn tokens_response(t: &Tokens) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(json!({
            "access_token": t.access,
            "token_type": "Bearer",
            "expires_in": o::ACCESS_TOKEN_SECONDS,
            "refresh_token": t.refresh,
            "scope": t.scope,
        }))
}

type Now = PrimitiveDateTime;

/// Reads the form, authenticates the client, and runs `action` for it, in one blocking call.
async fn for_client<T: Send + 'static>(
    req: &HttpRequest,
    state: &AppState,
    body: &[u8],
    action: impl FnOnce(&mut AnyConnection, ClientId, TokenForm, Now) -> Result<T, TokenError>
        + Send
        + 'static,
) -> Result<T, TokenError> {
    let f = token_form(req, body).map_err(|description| TokenError::Refused {
        error: "invalid_request",
        description,
    })?;
    let (id, secret) = client_credentials(req, &f);
    let now = state.clock.now();
    run_db(&state.pool, move |c| {
        let client = oauth::authenticate_client(c, &id, secret.as_deref())?;
        action(c, client.id, f, now)
    })
    .await
}

pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let outcome = for_client(&req, &state, &body, |c, client, f, now| {
        match f.grant_type.as_str() {
            "authorization_code" => {
                oauth::exchange_code(c, client, &f.code, &f.redirect_uri, &f.code_verifier, now)
            }
            "refresh_token" => oauth::refresh(c, client, &f.refresh_token, now),
            "" => Err(TokenError::Refused {
                error: "invalid_request",
                description: "grant_type is required.",
            }),
            _ => Err(TokenError::Refused {
                error: "unsupported_grant_type",
                description: "Use authorization_code or refresh_token.",
            }),
        }
    })
    .await;
    match outcome {
        Ok(tokens) => Ok(tokens_response(&tokens)),
        Err(e) => refusal(e),
    }
}

/// RFC 7009: revoking a refresh token ends the whole grant; an access token ends alone. Unknown
/// tokens are not an error.
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let outcome = for_client(&req, &state, &body, |c, client, f, now| {
        Ok(oauth::revoke_token(c, client, &f.token, now)?)
    })
    .await;
    match outcome {
        Ok(()) => Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()),
        Err(e) => refusal(e),
    }
}

/// RFC 8414 metadata, from `--public-url` (never the Host header).
pub async fn metadata(state: web::Data<AppState>) -> HttpResponse {
    let base = state.settings.public_url.as_deref().unwrap_or_default();
    let client_auth = ["client_secret_basic", "client_secret_post", "none"];
    let mut resp = HttpResponse::Ok();
    resp.insert_header((header::CACHE_CONTROL, "public, max-age=3600"));
    resp.json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": client_auth,
        "revocation_endpoint_auth_methods_supported": client_auth,
        "scopes_supported": o::Scope::SUPPORTED,
    }))
}
