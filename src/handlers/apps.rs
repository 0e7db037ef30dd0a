//! Settings > Authorized Apps: the apps connected to each workspace (revocable), and registering
//! apps (OAuth clients) for developers.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use time::PrimitiveDateTime;

use super::{see_other, set_flash, take_flash};
use crate::auth::client_ip::client_ip;
use crate::auth::csrf::{CsrfForm, NoFields};
use crate::auth::CurrentUser;
use crate::domain::oauth::{self as o, Scope};
use crate::domain::workspace::Access;
use crate::domain::{clean_text, FieldError};
use crate::error::AppError;
use crate::models::oauth::{self as m, GrantListing};
use crate::models::{audit, workspaces};
use crate::startup::AppState;
use crate::telemetry::run_db;
use crate::views::api_keys::Choice;
use crate::views::apps::{AppsPage, ClientRow, GrantRow, ShownSecret};
use crate::views::{self, FormErrors, PageContext};

pub fn grant_row(g: &GrantListing, now: PrimitiveDateTime) -> GrantRow {
    GrantRow {
        public_id: g.grant.public_id.clone(),
        app: g.app.clone(),
        homepage: g.homepage.clone(),
        workspace: g.workspace.clone(),
        authorized_by: g
            .authorized_by
            .clone()
            .unwrap_or_else(|| "a removed user".into()),
        access: Scope::parse(&g.grant.scope)
            .map(|s| s.describe())
            .unwrap_or("Read your contacts"),
        authorized: crate::domain::key::relative(now, g.grant.created_at),
        last_used: g
            .grant
            .last_used_at
            .map(|t| crate::domain::key::relative(now, t))
            .unwrap_or_else(|| "never used".into()),
    }
}

#[derive(Deserialize, Default)]
pub struct AppsQuery {
    #[serde(default)]
    workspace: String,
}

#[derive(Default)]
struct Extra {
    shown: Option<ShownSecret>,
    name: String,
    homepage: String,
    redirects: String,
    errors: FormErrors,
}

async fn page(
    state: &AppState,
    me: &CurrentUser,
    ws: &str,
    extra: Extra,
) -> Result<AppsPage, AppError> {
    let (uid, ws, now) = (me.user.id, ws.to_owned(), state.clock.now());
    let (mine, selected, grants, clients) = run_db(&state.pool, move |c| {
        let mine = workspaces::for_user(c, uid)?;
        let selected = if ws.is_empty() {
            mine.first().cloned()
        } else {
            mine.iter().find(|m| m.workspace.public_id == ws).cloned()
        };
        let selected = selected.ok_or(AppError::NotFound)?;
        let grants = if selected.access.apps() >= Access::View {
            m::active_in_workspace(c, selected.workspace.id)?
        } else {
            Vec::new()
        };
        Ok((mine, selected, grants, m::clients_by(c, uid)?))
    })
    .await?;
    let can_register = me.user.is_admin || mine.iter().any(|m| m.access.manages_members());
    Ok(AppsPage {
        ctx: PageContext::new(me.csrf()?, Some(&me.user), take_flash(&me.session))
            .with_tab("authorized-apps"),
        workspaces: mine
            .iter()
            .map(|m| Choice {
                value: m.workspace.public_id.clone(),
                label: m.workspace.name.clone(),
                selected: m.workspace.id == selected.workspace.id,
            })
            .collect(),
        workspace_id: selected.workspace.public_id.clone(),
        workspace_name: selected.workspace.name.clone(),
        grants: grants.iter().map(|g| grant_row(g, now)).collect(),
        can_manage: selected.access.apps() == Access::Manage,
        can_view: selected.access.apps() >= Access::View,
        can_register,
        clients: clients
            .into_iter()
            .map(|c| ClientRow {
                kind: if c.is_public() {
                    "Public"
                } else {
                    "Confidential"
                },
                secret_hint: c.secret_hint.clone().unwrap_or_default(),
                redirect_uris: c.redirect_uris.clone(),
                client_id: c.client_id,
                name: c.name,
                homepage: c.homepage,
            })
            .collect(),
        shown: extra.shown,
        form_name: extra.name,
        form_homepage: extra.homepage,
        form_redirects: extra.redirects,
        errors: extra.errors,
    })
}

pub async fn list(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<AppsQuery>,
) -> Result<HttpResponse, AppError> {
    let p = page(&state, &me, &q.workspace, Extra::default()).await?;
    crate::render_panel!(&req, p)
}

/// Revokes a grant: all its tokens stop at once. Allowed for whoever manages apps in its
/// workspace, and for the person who authorized it.
pub async fn revoke(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (uid, now, ip) = (
        me.user.id,
        state.clock.now(),
        client_ip(&req, &state.settings.trusted_proxies),
    );
    let back = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let ws = run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            let grant = m::find_grant(c, &id)?.ok_or(AppError::NotFound)?;
            let membership = workspaces::for_user(c, uid)?
                .into_iter()
                .find(|m| m.workspace.id == grant.workspace_id);
            let own = grant.user_id == Some(uid);
            match membership {
                None if !own => return Err(AppError::NotFound),
                Some(m) if !own && m.access.apps() != Access::Manage => {
                    return Err(if m.access.apps() == Access::View {
                        AppError::Forbidden(
                            "You may view this workspace's apps but not revoke them.",
                        )
                    } else {
                        AppError::NotFound
                    })
                }
                _ => {}
            }
            if m::revoke_grant(c, grant.id, Some(uid), now)? != 1 {
                return Err(AppError::Conflict(
                    "This app's access was already revoked.".into(),
                ));
            }
            audit::record(
                c,
                &audit::NewEvent {
                    workspace_id: Some(grant.workspace_id),
                    actor_id: Some(uid),
                    action: "app.revoke",
                    subject: Some(&grant.public_id),
                    details: "all of the app's tokens stopped working",
                    ip: Some(&ip),
                    created_at: now,
                },
            )?;
            Ok(grant.workspace_id)
        })
    })
    .await?;
    set_flash(
        &me.session,
        "App access revoked. It stopped working immediately.",
    )?;
    let _ = ws;
    let target = back
        .and_then(|b| url::Url::parse(&b).ok())
        .map(|u| u.path().to_owned())
        .filter(|p| p.starts_with("/settings/"))
        .unwrap_or_else(|| "/settings/authorized-apps".into());
    Ok(see_other(&target))
}

#[derive(Deserialize, Default)]
pub struct ClientFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    homepage: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    client_type: String,
    #[serde(default)]
    logo_url: String,
}

pub async fn register(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    CsrfForm(f): CsrfForm<ClientFields>,
) -> Result<HttpResponse, AppError> {
    let uid = me.user.id;
    let may = me.user.is_admin
        || run_db(&state.pool, move |c| Ok(workspaces::for_user(c, uid)?))
            .await?
            .iter()
            .any(|m| m.access.manages_members());
    if !may {
        return Err(AppError::Forbidden(
            "Only workspace Owners and Admins register apps.",
        ));
    }
    let mut errors = FormErrors::default();
    let name = clean_text("name", "App name", &f.name, 1, 80)
        .map_err(|e| errors.push(e))
        .ok();
    let homepage = url::Url::parse(f.homepage.trim())
        .ok()
        .filter(|u| u.scheme() == "https" || u.scheme() == "http")
        .map(|u| u.to_string());
    if homepage.is_none() {
        errors.push(FieldError::new(
            "homepage",
            "Enter the app's homepage as an http(s) URL.",
        ));
    }
    let logo = match f.logo_url.trim() {
        "" => None,
        raw => match url::Url::parse(raw).ok().filter(|u| u.scheme() == "https") {
            Some(u) => Some(u.to_string()),
            None => {
                errors.push(FieldError::new(
                    "logo_url",
                    "Enter the logo as an https URL, or leave it empty.",
                ));
                None
            }
        },
    };
    let redirects = o::parse_redirect_uris(&f.redirect_uris)
        .map_err(|e| errors.push(FieldError::new("redirect_uris", e)))
        .ok();
    let (Some(name), Some(homepage), Some(redirects), true) =
        (name, homepage, redirects, errors.is_empty())
    else {
        let extra = Extra {
            name: f.name,
            homepage: f.homepage,
            redirects: f.redirect_uris,
            errors,
            ..Extra::default()
        };
        let p = page(&state, &me, "", extra).await?;
        let body = if views::wants_partial(&req) {
            p.as_panel().render()?
        } else {
            p.render()?
        };
        return Ok(views::html(StatusCode::UNPROCESSABLE_ENTITY, body));
    };
    let public = f.client_type == "public";
    let client_id = o::new_secret(o::CLIENT_ID_PREFIX);
    let secret = (!public).then(|| o::new_secret(o::CLIENT_SECRET_PREFIX));
    let (now, cid) = (state.clock.now(), client_id.clone());
    let stored = secret.as_ref().map(|s| {
        (
            o::hash(s),
            format!("{}…{}", o::CLIENT_SECRET_PREFIX, &s[s.len() - 4..]),
        )
    });
    run_db(&state.pool, move |c| {
        let joined = redirects.join("\n");
        let secret = stored.as_ref().map(|(h, hint)| (h.as_str(), hint.as_str()));
        Ok(m::insert_client(
            c,
            &cid,
            name.as_str(),
            &homepage,
            &joined,
            logo.as_deref(),
            secret,
            uid,
            now,
        )?)
    })
    .await?;
    match secret {
        Some(secret) => {
            let p = page(
                &state,
                &me,
                "",
                Extra {
                    shown: Some(ShownSecret { client_id, secret }),
                    ..Extra::default()
                },
            )
            .await?;
            Ok(views::no_store(crate::render_panel!(&req, p)?))
        }
        None => {
            set_flash(&me.session, &format!("App registered. Its client ID is {client_id}; it is a public client and uses PKCE without a secret."))?;
            Ok(see_other("/settings/authorized-apps"))
        }
    }
}

pub async fn rotate_secret(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (uid, id, now) = (me.user.id, path.into_inner(), state.clock.now());
    let secret = o::new_secret(o::CLIENT_SECRET_PREFIX);
    let (hash, hint) = (
        o::hash(&secret),
        format!(
            "{}…{}",
            o::CLIENT_SECRET_PREFIX,
            &secret[secret.len() - 4..]
        ),
    );
    let client_id = run_db(&state.pool, move |c| {
        let client = m::find_client(c, &id)?
            .filter(|cl| cl.created_by == Some(uid))
            .ok_or(AppError::NotFound)?;
        if client.is_public() {
            return Err(AppError::Conflict(
                "A public client has no secret to rotate.".into(),
            ));
        }
        m::rotate_client_secret(c, client.id, &hash, &hint, now)?;
        Ok(client.client_id)
    })
    .await?;
    let p = page(
        &state,
        &me,
        "",
        Extra {
            shown: Some(ShownSecret { client_id, secret }),
            ..Extra::default()
        },
    )
    .await?;
    Ok(views::no_store(crate::render_panel!(&req, p)?))
}
