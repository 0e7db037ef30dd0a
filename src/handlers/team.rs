//! Settings > Team Members: members and their access per workspace, invitations, removal with an
//! offboarding review of the keys a person owns, disabling people, and the workspace Activity log.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use time::PrimitiveDateTime;

use super::{see_other, set_flash, take_flash};
use crate::auth::client_ip::client_ip;
use crate::auth::csrf::{CsrfForm, NoFields};
use crate::auth::CurrentUser;
use crate::domain::account::EmailAddress;
use crate::domain::ids::{public_id, random_base62, sha256_hex};
use crate::domain::workspace::{Access, Role, WorkspaceAccess};
use crate::domain::FieldError;
use crate::error::AppError;
use crate::models::workspaces::{self, Member, Membership};
use crate::models::{api_keys, audit, invitations, sessions, users};
use crate::startup::AppState;
use crate::telemetry::run_db;
use crate::views::api_keys::Choice;
use crate::views::team::*;
use crate::views::{self, format_time, FormErrors, PageContext};

pub const INVITATION_DAYS: i64 = 7;

fn context(me: &CurrentUser, tab: &'static str) -> Result<PageContext, AppError> {
    Ok(PageContext::new(me.csrf()?, Some(&me.user), take_flash(&me.session)).with_tab(tab))
}

fn event<'a>(
    workspace: i64,
    actor: i64,
    action: &'a str,
    subject: Option<&'a str>,
    details: &'a str,
    ip: &'a str,
    now: PrimitiveDateTime,
) -> audit::NewEvent<'a> {
    audit::NewEvent {
        workspace_id: Some(workspace),
        actor_id: Some(actor),
        action,
        subject,
        details,
        ip: Some(ip),
        created_at: now,
    }
}

/// The viewer's membership in a workspace: 404 if they are not in it.
async fn membership(state: &AppState, me: &CurrentUser, ws: &str) -> Result<Membership, AppError> {
    let (uid, ws) = (me.user.id, ws.to_owned());
    run_db(&state.pool, move |c| {
        Ok(workspaces::membership(c, uid, &ws)?)
    })
    .await?
    .ok_or(AppError::NotFound)
}

/// Like `membership`, and the viewer must manage the workspace's members (403 otherwise).
async fn managed(state: &AppState, me: &CurrentUser, ws: &str) -> Result<Membership, AppError> {
    let m = membership(state, me, ws).await?;
    if !m.access.manages_members() {
        return Err(AppError::Forbidden(
            "Only the workspace's Owners and Admins manage its team.",
        ));
    }
    Ok(m)
}

fn role_choices(selected: Role, viewer: WorkspaceAccess) -> Vec<Choice> {
    [Role::Member, Role::Admin, Role::Owner]
        .into_iter()
        .filter(|r| *r != Role::Owner || viewer.role == Role::Owner)
        .map(|r| Choice {
            value: r.as_str().into(),
            label: r.label().into(),
            selected: r == selected,
        })
        .collect()
}

fn access_choices(selected: Access) -> Vec<Choice> {
    [Access::None, Access::View, Access::Manage]
        .into_iter()
        .map(|a| Choice {
            value: a.as_str().into(),
            label: a.label().into(),
            selected: a == selected,
        })
        .collect()
}

fn parse_access(role: &str, keys: &str, apps: &str) -> Result<WorkspaceAccess, FieldError> {
    let role = Role::parse(role)
        .ok_or_else(|| FieldError::new("role", "Choose Owner, Admin or Member."))?;
    let keys = Access::parse(keys)
        .ok_or_else(|| FieldError::new("api_keys", "Choose None, View or Manage."))?;
    let apps = Access::parse(apps)
        .ok_or_else(|| FieldError::new("apps", "Choose None, View or Manage."))?;
    Ok(WorkspaceAccess::new(role, keys, apps))
}

// ---- The tab ------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct TeamQuery {
    #[serde(default)]
    workspace: String,
    #[serde(default)]
    q: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct InviteFields {
    #[serde(default)]
    workspace: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    api_keys: String,
    #[serde(default)]
    apps: String,
}

struct TeamData {
    mine: Vec<Membership>,
    selected: Membership,
    members: Vec<(Member, i64, String)>,
    invitations: Vec<(invitations::Invitation, Option<String>)>,
}

async fn team_data(state: &AppState, me: &CurrentUser, ws: &str) -> Result<TeamData, AppError> {
    let (uid, ws, now) = (me.user.id, ws.to_owned(), state.clock.now());
    run_db(&state.pool, move |c| {
        let mine = workspaces::for_user(c, uid)?;
        let selected = if ws.is_empty() {
            mine.first().cloned()
        } else {
            mine.iter().find(|m| m.workspace.public_id == ws).cloned()
        };
        let selected = selected.ok_or(AppError::NotFound)?;
        // Which of the viewer's workspaces each person is in.
        let mut shared: std::collections::HashMap<i64, Vec<String>> =
            std::collections::HashMap::new();
        for m in &mine {
            for person in workspaces::members(c, m.workspace.id)? {
                shared
                    .entry(person.user_id)
                    .or_default()
                    .push(m.workspace.name.clone());
            }
        }
        let mut members = Vec::new();
        for person in workspaces::team_of(c, selected.workspace.id)? {
            let owned = api_keys::count_owned(c, selected.workspace.id, person.user_id)?;
            let names = shared
                .get(&person.user_id)
                .map(|v| v.join(", "))
                .unwrap_or_default();
            members.push((person, owned, names));
        }
        let invitations = if selected.access.manages_members() {
            invitations::open_for_workspace(c, selected.workspace.id, now)?
        } else {
            Vec::new()
        };
        Ok(TeamData {
            mine,
            selected,
            members,
            invitations,
        })
    })
    .await
}

fn team_page(
    me: &CurrentUser,
    data: TeamData,
    q: &str,
    now: PrimitiveDateTime,
    invite: InviteFields,
    errors: FormErrors,
    link: Option<InviteLink>,
) -> Result<TeamPage, AppError> {
    let viewer = data.selected.access;
    let q_error =
        crate::domain::has_invalid_utf8(q).then_some(crate::domain::search::INVALID_SEARCH);
    let q = if q_error.is_some() { "" } else { q };
    let needle = q.trim().to_lowercase();
    let ws_id = data.selected.workspace.public_id.clone();
    let members = data
        .members
        .into_iter()
        .filter(|(p, _, _)| {
            needle.is_empty()
                || p.name.to_lowercase().contains(&needle)
                || p.email.contains(&needle)
        })
        .map(|(p, owned, shared)| MemberRow {
            is_self: p.user_id == me.user.id,
            disabled: p.disabled,
            can_change: viewer.may_assign(Some(p.role), None) && viewer.manages_members(),
            href: format!("/settings/team-members/{ws_id}/{}", p.public_id),
            public_id: p.public_id,
            name: p.name,
            email: p.email,
            role: p.role.label(),
            access: p.access.summary(),
            workspaces: shared,
            keys_owned: owned,
            last_sign_in: p
                .last_sign_in_at
                .map(|t| crate::domain::key::relative(now, t))
                .unwrap_or_else(|| "never".into()),
        })
        .collect();
    let role = Role::parse(&invite.role).unwrap_or(Role::Member);
    Ok(TeamPage {
        ctx: context(me, "team-members")?,
        workspaces: data
            .mine
            .iter()
            .map(|m| Choice {
                value: m.workspace.public_id.clone(),
                label: m.workspace.name.clone(),
                selected: m.workspace.id == data.selected.workspace.id,
            })
            .collect(),
        workspace_id: ws_id.clone(),
        workspace_name: data.selected.workspace.name.clone(),
        q: q.to_owned(),
        q_error,
        members,
        invitations: data
            .invitations
            .into_iter()
            .map(|(i, by)| InvitationRow {
                public_id: i.public_id.clone(),
                email: i.email.clone(),
                access: format!("{} · {}", i.access().role.label(), i.access().summary()),
                invited_by: by.unwrap_or_else(|| "someone".into()),
                expires: crate::domain::key::relative(now, i.expires_at),
            })
            .collect(),
        can_manage: viewer.manages_members(),
        is_instance_admin: me.user.is_admin,
        invite_email: invite.email.clone(),
        roles: role_choices(role, viewer),
        key_access: access_choices(Access::parse(&invite.api_keys).unwrap_or(Access::View)),
        app_access: access_choices(Access::parse(&invite.apps).unwrap_or(Access::View)),
        errors,
        link,
    })
}

pub async fn list(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    query: web::Query<TeamQuery>,
) -> Result<HttpResponse, AppError> {
    let data = team_data(&state, &me, &query.workspace).await?;
    let page = team_page(
        &me,
        data,
        &query.q,
        state.clock.now(),
        InviteFields::default(),
        FormErrors::default(),
        None,
    )?;
    crate::render_panel!(&req, page)
}

fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

pub async fn invite(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    CsrfForm(f): CsrfForm<InviteFields>,
) -> Result<HttpResponse, AppError> {
    let m = managed(&state, &me, &f.workspace).await?;
    let now = state.clock.now();
    let mut errors = FormErrors::default();
    let email = EmailAddress::parse(&f.email)
        .map_err(|e| errors.push(e))
        .ok();
    let access = parse_access(&f.role, &f.api_keys, &f.apps)
        .map_err(|e| errors.push(e))
        .ok();
    if let Some(a) = access {
        if !m.access.may_assign(None, Some(a.role)) {
            return Err(AppError::Forbidden(
                "Only an Owner can make someone an Owner.",
            ));
        }
    }
    if let Some(e) = &email {
        let (ws, addr) = (m.workspace.id, e.as_str().to_owned());
        let (member, invited) = run_db(&state.pool, move |c| {
            let member = match users::find_by_email(c, &addr)? {
                Some(u) => workspaces::members(c, ws)?
                    .iter()
                    .any(|p| p.user_id == u.id),
                None => false,
            };
            Ok((member, invitations::open_for_email(c, ws, &addr, now)?))
        })
        .await?;
        if member {
            errors.push(FieldError::new(
                "email",
                "This person is already a member of the workspace.",
            ));
        } else if invited {
            errors.push(FieldError::new(
                "email",
                "This person already has an open invitation; re-issue it below.",
            ));
        }
    }
    let (Some(email), Some(access), true) = (email, access, errors.is_empty()) else {
        let data = team_data(&state, &me, &f.workspace).await?;
        let page = team_page(&me, data, "", now, f.clone(), errors, None)?;
        let body = if views::wants_partial(&req) {
            page.as_panel().render()?
        } else {
            page.render()?
        };
        return Ok(views::html(StatusCode::UNPROCESSABLE_ENTITY, body));
    };
    let token = random_base62(32);
    let (uid, ip, ws, hash) = (
        me.user.id,
        client_ip(&req, &state.settings.trusted_proxies),
        m.workspace.id,
        sha256_hex(&token),
    );
    let address = email.as_str().to_owned();
    run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            let pid = public_id("inv");
            let expires = now + time::Duration::days(INVITATION_DAYS);
            invitations::insert(c, &pid, ws, &address, access, &hash, uid, now, expires)?;
            let details = format!("invited {address} as {}", access.role.label());
            audit::record(
                c,
                &event(ws, uid, "member.invite", Some(&pid), &details, &ip, now),
            )?;
            Ok(())
        })
    })
    .await?;
    invite_link_page(&req, &state, &me, &f.workspace, &token, email.as_str(), now).await
}

/// The Team Members tab with a new invitation link, shown this once (never stored but hashed).
async fn invite_link_page(
    req: &HttpRequest,
    state: &AppState,
    me: &CurrentUser,
    ws: &str,
    token: &str,
    email: &str,
    now: PrimitiveDateTime,
) -> Result<HttpResponse, AppError> {
    let data = team_data(state, me, ws).await?;
    let link = InviteLink {
        url: format!("{}/invitations/{token}", base_url(req)),
        email: email.to_owned(),
        days: INVITATION_DAYS,
    };
    let page = team_page(
        me,
        data,
        "",
        now,
        InviteFields::default(),
        FormErrors::default(),
        Some(link),
    )?;
    Ok(views::no_store(crate::render_panel!(req, page)?))
}

async fn managed_invitation(
    state: &AppState,
    me: &CurrentUser,
    id: String,
) -> Result<(Membership, invitations::Invitation), AppError> {
    let inv = run_db(&state.pool, move |c| Ok(invitations::find_any(c, &id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let (uid, ws) = (me.user.id, inv.workspace_id);
    let m = run_db(&state.pool, move |c| {
        Ok(workspaces::for_user(c, uid)?
            .into_iter()
            .find(|m| m.workspace.id == ws))
    })
    .await?
    .ok_or(AppError::NotFound)?;
    if !m.access.manages_members() {
        return Err(AppError::Forbidden(
            "Only the workspace's Owners and Admins manage its team.",
        ));
    }
    Ok((m, inv))
}

pub async fn cancel_invitation(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (m, inv) = managed_invitation(&state, &me, path.into_inner()).await?;
    let (uid, now, ip) = (
        me.user.id,
        state.clock.now(),
        client_ip(&req, &state.settings.trusted_proxies),
    );
    let ws = m.workspace.id;
    run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            if invitations::cancel(c, inv.id, now)? != 1 {
                return Err(AppError::Conflict(
                    "This invitation was already accepted or cancelled.".into(),
                ));
            }
            let details = format!("cancelled the invitation of {}", inv.email);
            audit::record(
                c,
                &event(
                    ws,
                    uid,
                    "member.invite_cancel",
                    Some(&inv.public_id),
                    &details,
                    &ip,
                    now,
                ),
            )?;
            Ok(())
        })
    })
    .await?;
    set_flash(
        &me.session,
        "Invitation cancelled. Its link no longer works.",
    )?;
    Ok(see_other(&format!(
        "/settings/team-members?workspace={}",
        m.workspace.public_id
    )))
}

pub async fn reissue_invitation(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (m, inv) = managed_invitation(&state, &me, path.into_inner()).await?;
    if !m.access.may_assign(None, Some(inv.access().role)) {
        return Err(AppError::Forbidden(
            "Only an Owner can re-issue an invitation to become an Owner.",
        ));
    }
    let (uid, now, ip) = (
        me.user.id,
        state.clock.now(),
        client_ip(&req, &state.settings.trusted_proxies),
    );
    let token = random_base62(32);
    let (ws, hash, email) = (m.workspace.id, sha256_hex(&token), inv.email.clone());
    run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            if invitations::reissue(
                c,
                inv.id,
                &hash,
                now + time::Duration::days(INVITATION_DAYS),
            )? != 1
            {
                return Err(AppError::Conflict(
                    "This invitation was already accepted or cancelled.".into(),
                ));
            }
            let details = format!(
                "re-issued the invitation of {}; the old link no longer works",
                inv.email
            );
            audit::record(
                c,
                &event(
                    ws,
                    uid,
                    "member.invite_reissue",
                    Some(&inv.public_id),
                    &details,
                    &ip,
                    now,
                ),
            )?;
            Ok(())
        })
    })
    .await?;
    invite_link_page(
        &req,
        &state,
        &me,
        &m.workspace.public_id,
        &token,
        &email,
        now,
    )
    .await
}

// ---- One member: access, removal ------------------------------------------------------------------

async fn target(state: &AppState, ws_id: i64, user: String) -> Result<Member, AppError> {
    run_db(&state.pool, move |c| {
        Ok(workspaces::members(c, ws_id)?
            .into_iter()
            .find(|p| p.public_id == user))
    })
    .await?
    .ok_or(AppError::NotFound)
}

pub async fn member(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (ws, user) = path.into_inner();
    let m = managed(&state, &me, &ws).await?;
    let t = target(&state, m.workspace.id, user).await?;
    let page = member_page(&req, &me, &m, &t, FormErrors::default())?;
    render_member(&req, StatusCode::OK, page)
}

fn member_page(
    req: &HttpRequest,
    me: &CurrentUser,
    m: &Membership,
    t: &Member,
    errors: FormErrors,
) -> Result<MemberPage, AppError> {
    Ok(MemberPage {
        ctx: context(me, "team-members")?,
        modal: views::wants_partial(req),
        workspace_id: m.workspace.public_id.clone(),
        workspace_name: m.workspace.name.clone(),
        user_id: t.public_id.clone(),
        name: t.name.clone(),
        email: t.email.clone(),
        can_change: m.access.may_assign(Some(t.role), None),
        roles: role_choices(t.role, m.access),
        key_access: access_choices(t.access.stored_api_keys()),
        app_access: access_choices(t.access.stored_apps()),
        errors,
    })
}

fn render_member(
    req: &HttpRequest,
    status: StatusCode,
    page: MemberPage,
) -> Result<HttpResponse, AppError> {
    let _ = req;
    let body = if page.modal {
        page.as_dialog().render()?
    } else {
        page.render()?
    };
    Ok(views::html(status, body))
}

#[derive(Deserialize, Default)]
pub struct AccessFields {
    #[serde(default)]
    role: String,
    #[serde(default)]
    api_keys: String,
    #[serde(default)]
    apps: String,
}

pub async fn change_access(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    CsrfForm(f): CsrfForm<AccessFields>,
) -> Result<HttpResponse, AppError> {
    let (ws, user) = path.into_inner();
    let m = managed(&state, &me, &ws).await?;
    let t = target(&state, m.workspace.id, user).await?;
    let new = match parse_access(&f.role, &f.api_keys, &f.apps) {
        Ok(a) => a,
        Err(e) => {
            let page = member_page(&req, &me, &m, &t, FormErrors(vec![e]))?;
            return render_member(&req, StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    if !m.access.may_assign(Some(t.role), Some(new.role)) {
        return Err(AppError::Forbidden(
            "Only an Owner can change Owners or make someone an Owner.",
        ));
    }
    let (uid, now, ip) = (
        me.user.id,
        state.clock.now(),
        client_ip(&req, &state.settings.trusted_proxies),
    );
    let (ws_id, target_id, target_pid) = (m.workspace.id, t.user_id, t.public_id.clone());
    let details = format!(
        "{}: {} ({}) → {} ({})",
        t.name,
        t.role.label(),
        t.access.summary(),
        new.role.label(),
        new.summary()
    );
    run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            if t.role == Role::Owner && new.role != Role::Owner && workspaces::count_owners(c, ws_id)? <= 1 {
                return Err(AppError::Conflict("The last Owner of a workspace cannot be demoted. Make someone else an Owner first.".into()));
            }
            workspaces::set_access(c, ws_id, target_id, new)?;
            audit::record(c, &event(ws_id, uid, "member.access_change", Some(&target_pid), &details, &ip, now))?;
            Ok(())
        })
    })
    .await?;
    set_flash(
        &me.session,
        "Access changed. It applies to their very next request.",
    )?;
    Ok(see_other(&format!(
        "/settings/team-members?workspace={}",
        m.workspace.public_id
    )))
}

pub async fn remove(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _f: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (ws, user) = path.into_inner();
    let m = managed(&state, &me, &ws).await?;
    let t = target(&state, m.workspace.id, user).await?;
    if !m.access.may_assign(Some(t.role), None) {
        return Err(AppError::Forbidden("Only an Owner can remove an Owner."));
    }
    let (uid, now, ip) = (
        me.user.id,
        state.clock.now(),
        client_ip(&req, &state.settings.trusted_proxies),
    );
    let (ws_id, target_id, target_pid) = (m.workspace.id, t.user_id, t.public_id.clone());
    let details = format!("removed {} ({})", t.name, t.email);
    run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            if t.role == Role::Owner && workspaces::count_owners(c, ws_id)? <= 1 {
                return Err(AppError::Conflict("The last Owner of a workspace cannot be removed. Make someone else an Owner first.".into()));
            }
            workspaces::remove_member(c, ws_id, target_id)?;
            // Their sessions end at once: the next click signs them out.
            sessions::delete_for_user(c, target_id, None)?;
            audit::record(c, &event(ws_id, uid, "member.remove", Some(&target_pid), &details, &ip, now))?;
            Ok(())
        })
    })
    .await?;
    set_flash(
        &me.session,
        "Member removed and signed out. Review the keys they owned.",
    )?;
    Ok(see_other(&format!(
        "/settings/team-members/{}/{}/offboarding",
        m.workspace.public_id, t.public_id
    )))
}

// ---- Offboarding review ---------------------------------------------------------------------------

pub async fn offboarding(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (ws, user) = path.into_inner();
    let m = managed(&state, &me, &ws).await?;
    let ws_id = m.workspace.id;
    let (person, keys, members, apps) = run_db(&state.pool, move |c| {
        let person = users::find_by_public_id(c, &user)?.ok_or(AppError::NotFound)?;
        let keys = api_keys::owned_by(c, ws_id, person.id)?;
        let members = workspaces::members(c, ws_id)?;
        let apps = crate::models::oauth::active_by_user_in(c, person.id, ws_id)?;
        Ok((person, keys, members, apps))
    })
    .await?;
    let now = state.clock.now();
    let page = OffboardingPage {
        ctx: context(&me, "team-members")?,
        workspace_id: m.workspace.public_id.clone(),
        workspace_name: m.workspace.name.clone(),
        user_id: person.public_id.clone(),
        name: person.name.clone(),
        email: person.email.clone(),
        still_member: members.iter().any(|p| p.user_id == person.id),
        disabled: person.disabled,
        keys: keys
            .iter()
            .map(|k| OffboardKey {
                public_id: k.public_id.clone(),
                name: k.name.clone(),
                hint: k.hint.clone(),
                status: k.status(now).label(),
                last_used: crate::views::api_keys::last_used_text(
                    k.last_used_at,
                    k.rotated_at,
                    now,
                ),
            })
            .collect(),
        apps: apps
            .iter()
            .map(|g| crate::handlers::apps::grant_row(g, now))
            .collect(),
        new_owners: members
            .iter()
            .filter(|p| p.user_id != person.id)
            .map(|p| Choice {
                value: p.public_id.clone(),
                label: format!("{} ({})", p.name, p.email),
                selected: false,
            })
            .collect(),
    };
    crate::render_panel!(&req, page)
}

/// Who acts in an offboarding review, when, from where, in which workspace.
struct Acting {
    uid: i64,
    now: PrimitiveDateTime,
    ip: String,
    ws_id: i64,
}

/// Offboarding actions change keys: the viewer must manage the workspace's team and its keys.
async fn offboarding_actor(
    req: &HttpRequest,
    state: &AppState,
    me: &CurrentUser,
    ws: &str,
) -> Result<Acting, AppError> {
    let m = managed(state, me, ws).await?;
    if !m.access.can_manage_keys() {
        return Err(AppError::Forbidden(
            "You cannot change this workspace's API keys.",
        ));
    }
    Ok(Acting {
        uid: me.user.id,
        now: state.clock.now(),
        ip: client_ip(req, &state.settings.trusted_proxies),
        ws_id: m.workspace.id,
    })
}

pub async fn offboarding_revoke_all(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _f: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (ws, user) = path.into_inner();
    let Acting {
        uid,
        now,
        ip,
        ws_id,
    } = offboarding_actor(&req, &state, &me, &ws).await?;
    let revoked = run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            let person = users::find_by_public_id(c, &user)?.ok_or(AppError::NotFound)?;
            let mut ids = Vec::new();
            for k in api_keys::owned_by(c, ws_id, person.id)? {
                if api_keys::revoke(c, k.id, uid, now)? == 1 {
                    api_keys::record_change(c, k.id, now)?;
                    let details = format!("offboarding review: {} left", person.name);
                    audit::record(
                        c,
                        &event(
                            ws_id,
                            uid,
                            "api_key.revoke",
                            Some(&k.public_id),
                            &details,
                            &ip,
                            now,
                        ),
                    )?;
                    ids.push(k.id);
                }
            }
            for g in crate::models::oauth::active_by_user_in(c, person.id, ws_id)? {
                crate::models::oauth::revoke_grant(c, g.grant.id, Some(uid), now)?;
                let details = format!("offboarding review: {} left", person.name);
                audit::record(
                    c,
                    &event(
                        ws_id,
                        uid,
                        "app.revoke",
                        Some(&g.grant.public_id),
                        &details,
                        &ip,
                        now,
                    ),
                )?;
            }
            Ok(ids)
        })
    })
    .await?;
    for id in &revoked {
        state.api.keys.invalidate(*id);
    }
    set_flash(
        &me.session,
        &format!(
            "Revoked {} key(s). They stopped working immediately.",
            revoked.len()
        ),
    )?;
    Ok(see_other(req.path().trim_end_matches("/revoke-all")))
}

#[derive(Deserialize, Default)]
pub struct TransferFields {
    #[serde(default)]
    key: String,
    #[serde(default)]
    owner: String,
}

pub async fn offboarding_transfer(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    CsrfForm(f): CsrfForm<TransferFields>,
) -> Result<HttpResponse, AppError> {
    let (ws, user) = path.into_inner();
    let Acting {
        uid,
        now,
        ip,
        ws_id,
    } = offboarding_actor(&req, &state, &me, &ws).await?;
    run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            let person = users::find_by_public_id(c, &user)?.ok_or(AppError::NotFound)?;
            let key = api_keys::find_in_workspace(c, ws_id, &f.key)?
                .filter(|k| k.owner_id == Some(person.id))
                .ok_or(AppError::NotFound)?;
            let new_owner = workspaces::members(c, ws_id)?
                .into_iter()
                .find(|p| p.public_id == f.owner && p.user_id != person.id)
                .ok_or_else(|| {
                    AppError::BadRequest(
                        "Choose a member of this workspace as the new owner.".into(),
                    )
                })?;
            api_keys::set_owner(c, key.id, new_owner.user_id)?;
            let details = format!("owner: {} → {}", person.name, new_owner.name);
            audit::record(
                c,
                &event(
                    ws_id,
                    uid,
                    "api_key.transfer",
                    Some(&key.public_id),
                    &details,
                    &ip,
                    now,
                ),
            )?;
            Ok(())
        })
    })
    .await?;
    set_flash(&me.session, "Ownership transferred.")?;
    Ok(see_other(req.path().trim_end_matches("/transfer")))
}

// ---- Disabling a person (instance admins) -------------------------------------------------------

pub async fn set_disabled(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    _f: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (user, verb) = path.into_inner();
    let disable = match verb.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return Err(AppError::NotFound),
    };
    if !me.user.is_admin {
        return Err(AppError::Forbidden(
            "Only Mailrith admins can disable or enable people.",
        ));
    }
    let (uid, now, ip) = (
        me.user.id,
        state.clock.now(),
        client_ip(&req, &state.settings.trusted_proxies),
    );
    let (person, memberships) = run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            let person = users::find_by_public_id(c, &user)?.ok_or(AppError::NotFound)?;
            if person.id == uid {
                return Err(AppError::Conflict("You cannot disable yourself.".into()));
            }
            users::set_disabled(c, person.id, disable)?;
            if disable {
                sessions::delete_for_user(c, person.id, None)?;
            }
            let memberships = workspaces::for_user(c, person.id)?;
            let action = if disable {
                "user.disable"
            } else {
                "user.enable"
            };
            let details = format!(
                "{} {} ({})",
                if disable { "disabled" } else { "enabled" },
                person.name,
                person.email
            );
            for m in &memberships {
                audit::record(
                    c,
                    &event(
                        m.workspace.id,
                        uid,
                        action,
                        Some(&person.public_id),
                        &details,
                        &ip,
                        now,
                    ),
                )?;
            }
            Ok((person, memberships))
        })
    })
    .await?;
    if disable {
        set_flash(
            &me.session,
            &format!(
                "{} is disabled and signed out. Review the keys they own.",
                person.name
            ),
        )?;
        if let Some(m) = memberships.first() {
            return Ok(see_other(&format!(
                "/settings/team-members/{}/{}/offboarding",
                m.workspace.public_id, person.public_id
            )));
        }
    } else {
        set_flash(&me.session, &format!("{} can sign in again.", person.name))?;
    }
    Ok(see_other("/settings/team-members"))
}

// ---- Activity -------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ActivityQuery {
    #[serde(default)]
    workspace: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    action: String,
}

pub async fn activity(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<ActivityQuery>,
) -> Result<HttpResponse, AppError> {
    let (uid, now) = (me.user.id, state.clock.now());
    let q = q.into_inner();
    let ws_filter = q.workspace.clone();
    let (mine, selected) = run_db(&state.pool, move |c| {
        let mine = workspaces::for_user(c, uid)?;
        let managed: Vec<Membership> = mine
            .into_iter()
            .filter(|m| m.access.manages_members())
            .collect();
        let selected = if ws_filter.is_empty() {
            managed.first().cloned()
        } else {
            managed
                .iter()
                .find(|m| m.workspace.public_id == ws_filter)
                .cloned()
        };
        Ok((managed, selected))
    })
    .await?;
    let Some(selected) = selected else {
        return Err(if mine.is_empty() && q.workspace.is_empty() {
            AppError::Forbidden("Only Owners and Admins see a workspace's Activity.")
        } else {
            AppError::NotFound
        });
    };
    let (ws_id, person, action) = (selected.workspace.id, q.person.clone(), q.action.clone());
    let (events, people, actions) = run_db(&state.pool, move |c| {
        let people = workspaces::members(c, ws_id)?;
        let actor = people
            .iter()
            .find(|p| p.public_id == person)
            .map(|p| p.user_id);
        let actor = match (person.is_empty(), actor) {
            (true, _) => None,
            (false, Some(a)) => Some(a),
            (false, None) => users::find_by_public_id(c, &person)?
                .map(|u| u.id)
                .or(Some(-1)),
        };
        let action = (!action.is_empty()).then_some(action.as_str());
        Ok((
            audit::for_workspace(c, ws_id, actor, action, 200)?,
            people,
            audit::actions_in_workspace(c, ws_id)?,
        ))
    })
    .await?;
    let page = ActivityPage {
        ctx: context(&me, "activity")?,
        workspaces: mine
            .iter()
            .map(|m| Choice {
                value: m.workspace.public_id.clone(),
                label: m.workspace.name.clone(),
                selected: m.workspace.id == selected.workspace.id,
            })
            .collect(),
        people: people
            .iter()
            .map(|p| Choice {
                value: p.public_id.clone(),
                label: p.name.clone(),
                selected: p.public_id == q.person,
            })
            .collect(),
        actions: actions
            .iter()
            .map(|a| Choice {
                value: a.clone(),
                label: a.clone(),
                selected: *a == q.action,
            })
            .collect(),
        events: events
            .into_iter()
            .map(|(e, actor)| ActivityRow {
                when: crate::domain::key::relative(now, e.created_at),
                when_exact: format_time(e.created_at),
                actor: actor.unwrap_or_else(|| "Mailrith".into()),
                action: e.action,
                details: e.details,
                ip: e.ip.unwrap_or_default(),
            })
            .collect(),
    };
    crate::render_panel!(&req, page)
}
