//! Settings: the tab bar, Profile, Workspaces, and the tabs later issues fill.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{see_other, set_flash, take_flash};
use crate::auth::client_ip::client_ip;
use crate::auth::csrf::CsrfForm;
use crate::auth::{password, CurrentUser};
use crate::domain::account::{NewPassword, PersonName};
use crate::domain::workspace::{Role, WorkspaceName};
use crate::domain::FieldError;
use crate::error::AppError;
use crate::models::{audit, contacts, sessions, users, workspaces};
use crate::render_panel;
use crate::startup::AppState;
use crate::telemetry::run_db;
use crate::views::settings::{ProfilePage, WorkspaceRow, WorkspacesPage};
use crate::views::{self, format_time, FormErrors, PageContext};

fn context(me: &CurrentUser, tab: &'static str) -> Result<PageContext, AppError> {
    Ok(PageContext::new(me.csrf()?, Some(&me.user), take_flash(&me.session)).with_tab(tab))
}

pub async fn index() -> HttpResponse {
    see_other("/settings/api-keys")
}

async fn profile_page(
    state: &AppState,
    me: &CurrentUser,
    errors: FormErrors,
    name: Option<String>,
) -> Result<ProfilePage, AppError> {
    let (uid, now) = (me.user.id, state.clock.now());
    let grants = run_db(&state.pool, move |c| {
        Ok(crate::models::oauth::active_by_user(c, uid)?)
    })
    .await?;
    Ok(ProfilePage {
        ctx: context(me, "profile")?,
        name: name.unwrap_or_else(|| me.user.name.clone()),
        email: me.user.email.clone(),
        created: views::format_date(me.user.created_at),
        last_sign_in: me
            .user
            .last_sign_in_at
            .map(format_time)
            .unwrap_or_else(|| "never".into()),
        errors,
        apps: grants
            .iter()
            .map(|g| crate::handlers::apps::grant_row(g, now))
            .collect(),
    })
}

pub async fn profile(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let page = profile_page(&state, &me, FormErrors::default(), None).await?;
    render_panel!(&req, page)
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

fn event<'a>(
    actor: i64,
    workspace: Option<i64>,
    action: &'a str,
    details: &'a str,
    ip: &'a str,
    now: time::PrimitiveDateTime,
) -> audit::NewEvent<'a> {
    audit::NewEvent {
        workspace_id: workspace,
        actor_id: Some(actor),
        action,
        subject: None,
        details,
        ip: Some(ip),
        created_at: now,
    }
}

pub async fn update_profile(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<HttpResponse, AppError> {
    let name = match PersonName::parse(&form.name) {
        Ok(n) => n,
        Err(e) => {
            let page = profile_page(&state, &me, FormErrors(vec![e]), Some(form.name)).await?;
            return views::render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let (uid, now, ip) = (
        me.user.id,
        state.clock.now(),
        client_ip(&req, &state.settings.trusted_proxies),
    );
    run_db(&state.pool, move |c| {
        c.write_transaction(|c| {
            users::set_name(c, uid, name.as_str())?;
            audit::record(
                c,
                &event(uid, None, "user.rename", "changed their name", &ip, now),
            )
        })?;
        Ok(())
    })
    .await?;
    set_flash(&me.session, "Your name was saved.")?;
    Ok(see_other("/settings/profile"))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn change_password(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let stored = me.user.password_hash.clone();
    let (email, name) = (me.user.email.clone(), me.user.name.clone());
    let PasswordForm {
        current_password,
        password: new,
        password_confirm,
    } = form;
    let result = web::block(move || -> anyhow::Result<Result<String, FieldError>> {
        if !password::verify(&stored, &current_password) {
            return Ok(Err(FieldError::new(
                "current_password",
                "The current password is not correct.",
            )));
        }
        match NewPassword::parse(&new, &password_confirm, &[&email, &name]) {
            Ok(p) => Ok(Ok(password::hash(p.expose())?)),
            Err(e) => Ok(Err(e)),
        }
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))??;
    let hash = match result {
        Ok(h) => h,
        Err(e) => {
            let page = profile_page(&state, &me, FormErrors(vec![e]), None).await?;
            return views::render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let (uid, now, ip) = (
        me.user.id,
        state.clock.now(),
        client_ip(&req, &state.settings.trusted_proxies),
    );
    run_db(&state.pool, move |c| {
        c.write_transaction(|c| {
            users::set_password_hash(c, uid, &hash)?;
            // Every session of this user ends; this one continues under a new id (renew below).
            sessions::delete_for_user(c, uid, None)?;
            audit::record(
                c,
                &event(
                    uid,
                    None,
                    "user.password_change",
                    "changed their password",
                    &ip,
                    now,
                ),
            )
        })?;
        Ok(())
    })
    .await?;
    me.session.renew();
    set_flash(
        &me.session,
        "Your password was changed. Other sessions were signed out.",
    )?;
    Ok(see_other("/settings/profile"))
}

async fn workspaces_page(
    state: &AppState,
    me: &CurrentUser,
    errors: FormErrors,
    new_name: String,
) -> Result<WorkspacesPage, AppError> {
    let uid = me.user.id;
    let rows = run_db(&state.pool, move |c| {
        let mut rows = Vec::new();
        for m in workspaces::for_user(c, uid)? {
            rows.push(WorkspaceRow {
                members: workspaces::count_members(c, m.workspace.id)?,
                contacts: contacts::count_in_workspace(c, m.workspace.id)?,
                public_id: m.workspace.public_id,
                name: m.workspace.name,
                role: m.role.label(),
                created: views::format_date(m.workspace.created_at),
                can_rename: m.role.manages_workspace(),
            });
        }
        Ok(rows)
    })
    .await?;
    Ok(WorkspacesPage {
        ctx: context(me, "workspaces")?,
        rows,
        new_name,
        errors,
    })
}

pub async fn list_workspaces(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let page = workspaces_page(&state, &me, FormErrors::default(), String::new()).await?;
    render_panel!(&req, page)
}

pub async fn create_workspace(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<HttpResponse, AppError> {
    if !me.user.is_admin {
        return Err(AppError::Forbidden(
            "Only Mailrith admins can create workspaces.",
        ));
    }
    let name = match WorkspaceName::parse(&form.name) {
        Ok(n) => n,
        Err(e) => {
            let page = workspaces_page(&state, &me, FormErrors(vec![e]), form.name).await?;
            return views::render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let (uid, now, ip) = (
        me.user.id,
        state.clock.now(),
        client_ip(&req, &state.settings.trusted_proxies),
    );
    run_db(&state.pool, move |c| {
        c.write_transaction(|c| {
            let ws = workspaces::create(c, name.as_str(), now)?;
            workspaces::add_member(c, ws.id, uid, Role::Owner, now)?;
            audit::record(
                c,
                &event(
                    uid,
                    Some(ws.id),
                    "workspace.create",
                    name.as_str(),
                    &ip,
                    now,
                ),
            )
        })?;
        Ok(())
    })
    .await?;
    set_flash(&me.session, "Workspace created.")?;
    Ok(see_other("/settings/workspaces"))
}

pub async fn rename_workspace(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<HttpResponse, AppError> {
    let ws_id = path.into_inner();
    let uid = me.user.id;
    // Scoped to the viewer: a workspace they do not belong to does not exist for them.
    let membership = run_db(&state.pool, move |c| {
        Ok(workspaces::membership(c, uid, &ws_id)?)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    if !membership.role.manages_workspace() {
        return Err(AppError::Forbidden(
            "Only the workspace's Owners and Admins can rename it.",
        ));
    }
    let name = match WorkspaceName::parse(&form.name) {
        Ok(n) => n,
        Err(e) => {
            let e = FieldError::new("rename", e.message);
            let page = workspaces_page(&state, &me, FormErrors(vec![e]), String::new()).await?;
            return views::render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let (now, ip) = (
        state.clock.now(),
        client_ip(&req, &state.settings.trusted_proxies),
    );
    let old = membership.workspace.name.clone();
    run_db(&state.pool, move |c| {
        c.write_transaction(|c| {
            workspaces::rename(c, membership.workspace.id, name.as_str())?;
            let details = format!("renamed from \"{old}\" to \"{}\"", name.as_str());
            audit::record(
                c,
                &event(
                    uid,
                    Some(membership.workspace.id),
                    "workspace.rename",
                    &details,
                    &ip,
                    now,
                ),
            )
        })?;
        Ok(())
    })
    .await?;
    set_flash(&me.session, "Workspace renamed.")?;
    Ok(see_other("/settings/workspaces"))
}
