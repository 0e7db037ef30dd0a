//! `/oauth/authorize`: the consent page, and the decision that sends a one-time code back to the
//! app.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::db::run_db;
use crate::domain::workspace::Access;
use crate::models::workspaces;
use crate::services::oauth::{self, AuthorizeError, AuthorizeRequest};
use crate::views::apps::{ConsentPage, OauthErrorPage};
use crate::views::forms::workspace_choices;
use crate::web::actor::Actor;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::htmx::{self, HxRequest};

/// An unknown app or redirect URI: an error page. Anything else wrong: back to the app with
/// `error` (RFC 6749 section 4.1.2.1).
fn refused(
    hx: &HxRequest,
    req: &AuthorizeRequest,
    e: AuthorizeError,
) -> Result<HttpResponse, AppError> {
    match e {
        AuthorizeError::Page(message) => htmx::render(
            hx,
            StatusCode::BAD_REQUEST,
            &OauthErrorPage {
                ctx: crate::views::PageContext::new(String::new(), None, None),
                message: message.to_owned(),
            },
        ),
        AuthorizeError::Redirect(error, description) => {
            let mut u =
                url::Url::parse(&req.redirect_uri).map_err(|e| AppError::Internal(e.into()))?;
            {
                let mut q = u.query_pairs_mut();
                q.append_pair("error", error)
                    .append_pair("error_description", description);
                if !req.state.is_empty() {
                    q.append_pair("state", &req.state);
                }
            }
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, u.to_string()))
                .finish())
        }
        AuthorizeError::Other(e) => Err(e.into()),
    }
}

pub async fn authorize(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    q: web::Query<AuthorizeRequest>,
) -> Result<HttpResponse, AppError> {
    let req = q.into_inner();
    let (r, uid) = (req.clone(), me.user.id);
    let checked = run_db(&state.pool, move |c| {
        let checked = oauth::check(c, &r)?;
        let mine = workspaces::for_user(c, uid).map_err(crate::services::Error::from)?;
        Ok::<_, AuthorizeError>((checked, mine))
    })
    .await;
    let ((client, scope), mine) = match checked {
        Ok(ok) => ok,
        Err(e) => return refused(&hx, &req, e),
    };
    // Where the person may connect this app: where they manage apps and, for `keys:manage`, keys.
    let allowed: Vec<_> = mine
        .iter()
        .filter(|m| m.access.apps() == Access::Manage)
        .filter(|m| !scope.manage_keys || m.access.can_manage_keys())
        .collect();
    // "… in Acme" when there is one workspace to choose; else the one chosen below.
    let place = match allowed.as_slice() {
        [only] => only.workspace.name.clone(),
        _ => "the workspace you choose below".to_owned(),
    };
    let page = ConsentPage {
        ctx: crate::views::PageContext::new(me.csrf()?, Some(&me.user), me.session.take_flash()),
        app: client.name.clone(),
        homepage: client.homepage.clone(),
        logo_url: client.logo_url.clone(),
        redirect_host: url::Url::parse(&req.redirect_uri)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default(),
        access: scope.describe(&place),
        manage_keys: scope.manage_keys,
        workspaces: workspace_choices(allowed, None),
        client_id: req.client_id,
        redirect_uri: req.redirect_uri,
        scope: scope.as_str(),
        state: req.state,
        code_challenge: req.code_challenge,
    };
    let mut resp = htmx::ok(&hx, &page)?;
    resp.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    Ok(resp)
}

#[derive(Deserialize, Default)]
pub struct ConsentFields {
    #[serde(flatten)]
    request: AuthorizeRequest,
    #[serde(default)]
    workspace: String,
    #[serde(default)]
    decision: String,
}

pub async fn consent(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    CsrfForm(f): CsrfForm<ConsentFields>,
) -> Result<HttpResponse, AppError> {
    // The consent form carries the checked request back; it was a code request with S256.
    let req = AuthorizeRequest {
        response_type: "code".into(),
        code_challenge_method: "S256".into(),
        ..f.request
    };
    let (acting, r, ws, approve) = (
        me.acting(),
        req.clone(),
        f.workspace,
        f.decision == "approve",
    );
    let outcome = run_db(&state.pool, move |c| {
        oauth::check(c, &r)?;
        if !approve {
            return Err(AuthorizeError::Redirect(
                "access_denied",
                "The person declined to connect the app.",
            ));
        }
        oauth::approve(c, &acting, &r, &ws)
    })
    .await;
    let code = match outcome {
        Ok(code) => code,
        Err(e) => return refused(&hx, &req, e),
    };
    let mut u = url::Url::parse(&req.redirect_uri).map_err(|e| AppError::Internal(e.into()))?;
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("code", &code);
        if !req.state.is_empty() {
            q.append_pair("state", &req.state);
        }
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, u.to_string()))
        .finish())
}
