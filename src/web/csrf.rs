//! CSRF: a per-session token in a hidden input (`csrf_token`) or, for htmx, the `X-CSRF-Token`
//! header set by `hx-headers` on `<body>`. `Origin`/`Sec-Fetch-Site` are checked separately by
//! `middleware::same_origin`.
//!
//! Pages are compressed, so the token is never written as is: every response carries it masked
//! afresh (a random pad, then the token XOR the pad, base64url), as Rails and Django do, so that
//! a compression side channel (BREACH) sees a different string each time and cannot recover it.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use subtle::ConstantTimeEq;

use super::error::AppError;
use crate::domain::ids::random_base62;

pub const HEADER: &str = "x-csrf-token";
pub const FIELD: &str = "csrf_token";
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The session's token (created on first use), masked afresh for this response.
pub fn token(session: &Session) -> Result<String, AppError> {
    if let Ok(Some(t)) = session.get::<String>(super::session::CSRF) {
        return Ok(mask(&t));
    }
    let t = random_base62(43);
    session
        .insert(super::session::CSRF, &t)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))?;
    Ok(mask(&t))
}

/// `base64url(pad || token XOR pad)` with a fresh random pad as long as the token.
fn mask(token: &str) -> String {
    let token = token.as_bytes();
    let mut pad = vec![0u8; token.len()];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut pad);
    let mut out = pad.clone();
    out.extend(token.iter().zip(&pad).map(|(t, p)| t ^ p));
    URL_SAFE_NO_PAD.encode(out)
}

/// The token a masked value carries, if it is one.
fn unmask(masked: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(masked).ok()?;
    if bytes.is_empty() || bytes.len() % 2 != 0 {
        return None;
    }
    let (pad, xored) = bytes.split_at(bytes.len() / 2);
    Some(xored.iter().zip(pad).map(|(x, p)| x ^ p).collect())
}

/// Checks a presented (masked) token against the session's. No session token means no valid
/// form.
pub fn verify(session: &Session, presented: Option<&str>) -> Result<(), AppError> {
    let expected = session.get::<String>(super::session::CSRF).ok().flatten();
    let presented = presented.and_then(unmask);
    match (expected, presented) {
        (Some(e), Some(p)) if bool::from(e.as_bytes().ct_eq(&p)) => Ok(()),
        _ => Err(AppError::Csrf),
    }
}

#[derive(Deserialize)]
struct TokenField {
    csrf_token: Option<String>,
}

/// A url-encoded form whose CSRF token has been checked. Unknown fields are ignored.
pub struct CsrfForm<T>(pub T);

/// For forms with no fields but the token (sign-out, confirmations).
#[derive(Deserialize, Debug, Default)]
pub struct NoFields {}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let header = req
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = web::Bytes::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let body = bytes
                .await
                .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
            if body.len() > MAX_FORM_BYTES {
                return Err(AppError::BadRequest("The form is too large.".into()));
            }
            let field: TokenField =
                serde_urlencoded::from_bytes(&body).unwrap_or(TokenField { csrf_token: None });
            let presented = field.csrf_token.or(header);
            verify(&session, presented.as_deref())?;
            let is_form = req
                .headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.starts_with("application/x-www-form-urlencoded"))
                .unwrap_or(body.is_empty());
            if !is_form {
                return Err(AppError::BadRequest(
                    "Send the form as application/x-www-form-urlencoded.".into(),
                ));
            }
            let value = serde_urlencoded::from_bytes::<T>(&body)
                .map_err(|e| AppError::BadRequest(format!("The form is not valid: {e}.")))?;
            Ok(CsrfForm(value))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_hides_the_token_and_round_trips() {
        let token = random_base62(43);
        let (a, b) = (mask(&token), mask(&token));
        assert_ne!(a, b, "a fresh pad each time");
        assert!(!a.contains(&token[..8]));
        assert_eq!(unmask(&a).unwrap(), token.as_bytes());
        assert_eq!(unmask(&b).unwrap(), token.as_bytes());
        assert_eq!(unmask("not base64!"), None);
        assert_eq!(unmask(""), None);
    }
}
