//! `POST /api/v1/secret-scanning/verify`: a secret scanner (GitHub's partner program) reports
//! Mailrith tokens it found in public. Signed reports only; live keys are revoked at once (or
//! flagged, by workspace policy) and the scanner is told which tokens were real.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use super::json;
use crate::api::error::{ApiError, ErrorBody};
use crate::app::AppState;
use crate::db::run_db;
use crate::domain::scanning::{parse_report, Feedback, MAX_REPORT_BYTES};
use crate::services::leaks;

/// Reads the body, refusing one over the limit (by its declared length first).
async fn body(req: &HttpRequest, mut payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    const TOO_LARGE: &str = "A report may be at most 1 MB.";
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_REPORT_BYTES) {
        return Err(ApiError::TooLarge(TOO_LARGE));
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::BadJson("The body could not be read.".into()))?;
        if body.len() + chunk.len() > MAX_REPORT_BYTES {
            return Err(ApiError::TooLarge(TOO_LARGE));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// One token as the scanner reports it (the request is a JSON array of these).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ReportedToken {
    /// The token found in public.
    token: String,
    /// The scanner's name for its kind, echoed in the feedback.
    r#type: String,
    /// Where it was found.
    url: String,
    /// What held it: `content`, `commit`, `issue`…
    source: String,
}

/// Whether a reported token is a Mailrith token (the response is a JSON array of these).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TokenFeedback {
    /// SHA-256 of the token, in hex.
    token_hash: String,
    token_type: String,
    /// `true_positive` (a Mailrith token) or `false_positive`.
    label: String,
}

/// Reports tokens found in public (GitHub's secret scanning partner program). Live keys are
/// revoked at once (or flagged, by workspace policy). Signed with ECDSA P-256 / SHA-256 by a key
/// the server was configured with; answers 404 when none is.
#[utoipa::path(
    post, path = "/api/v1/secret-scanning/verify", tag = "secret scanning",
    params(
        ("GITHUB-PUBLIC-KEY-IDENTIFIER" = String, Header, description = "Which configured key signed the report"),
        ("GITHUB-PUBLIC-KEY-SIGNATURE" = String, Header, description = "ECDSA P-256 / SHA-256 signature of the exact body, DER, base64"),
    ),
    request_body(content = Vec<ReportedToken>, description = "At most 1 MB and 1,000 tokens"),
    responses(
        (status = 200, description = "What each token was", body = Vec<TokenFeedback>),
        (status = 400, description = "Not a JSON array of tokens", body = ErrorBody),
        (status = 401, description = "Unsigned, unknown key or a signature that does not verify", body = ErrorBody),
        (status = 404, description = "Secret scanning is not configured", body = ErrorBody),
        (status = 413, description = "Over 1 MB", body = ErrorBody),
    )
)]
pub async fn verify(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(keys) = state.settings.secret_scanning.clone() else {
        return Err(ApiError::NotFound("Not found."));
    };
    let body = body(&req, payload).await?;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    keys.verify(
        header("github-public-key-identifier"),
        header("github-public-key-signature"),
        &body,
    )
    .map_err(|_| {
        ApiError::BadSignature(
            "The report must be signed: GITHUB-PUBLIC-KEY-IDENTIFIER naming a configured key, and GITHUB-PUBLIC-KEY-SIGNATURE over the exact body.",
        )
    })?;
    let items = parse_report(&body).map_err(ApiError::BadJson)?;
    let now = state.clock.now();
    let base = state
        .settings
        .mail
        .as_ref()
        .and(state.settings.public_url.clone());
    let outcome = run_db(&state.api_pool, move |c| {
        leaks::report(c, &items, now, base.as_deref())
    })
    .await?;
    // Revoked here at once; in other processes through the change feed.
    state.keys_changed(outcome.changed.iter().copied());
    let feedback: Vec<Feedback> = outcome.feedback;
    Ok(json(StatusCode::OK, &feedback))
}
