//! `GET /settings/team-members`: a workspace's members, searchable, and the Invite form.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{access_choices, context, role_choices};
use crate::app::AppState;
use crate::db::run_db;
use crate::domain::search::INVALID_SEARCH;
use crate::domain::workspace::{Access, Role};
use crate::services::team::{self, Overview};
use crate::views::forms::{workspace_choices, FormErrors};
use crate::views::relative;
use crate::views::team::{InvitationRow, InviteLink, MemberRow, TeamPage};
use crate::web::actor::Actor;
use crate::web::error::AppError;
use crate::web::htmx::{self, HxRequest};

#[derive(Deserialize, Default)]
pub struct TeamQuery {
    #[serde(default)]
    workspace: String,
    #[serde(default)]
    q: String,
}

/// What the Invite form holds (empty, or as submitted with errors).
#[derive(Deserialize, Default, Clone)]
pub struct InviteFields {
    #[serde(default)]
    pub workspace: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub api_keys: String,
    #[serde(default)]
    pub apps: String,
}

pub(super) async fn overview(
    state: &AppState,
    me: &Actor,
    workspace: &str,
) -> Result<Overview, AppError> {
    let (acting, ws) = (me.acting(), workspace.to_owned());
    Ok(run_db(&state.pool, move |c| team::overview(c, &acting, &ws)).await?)
}

pub(super) fn team_page(
    me: &Actor,
    data: Overview,
    q: &str,
    invite: InviteFields,
    errors: FormErrors,
    link: Option<InviteLink>,
) -> Result<TeamPage, AppError> {
    let (viewer, now) = (data.selected.access, me.now);
    let q_error = crate::domain::has_invalid_utf8(q).then_some(INVALID_SEARCH);
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
                .map(|t| relative(now, t))
                .unwrap_or_else(|| "never".into()),
        })
        .collect();
    let role = Role::parse(&invite.role).unwrap_or(Role::Member);
    Ok(TeamPage {
        ctx: context(me, "team-members")?,
        workspaces: workspace_choices(&data.mine, Some(&ws_id)),
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
                expires: relative(now, i.expires_at),
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
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    query: web::Query<TeamQuery>,
) -> Result<HttpResponse, AppError> {
    let data = overview(&state, &me, &query.workspace).await?;
    let page = team_page(
        &me,
        data,
        &query.q,
        InviteFields::default(),
        FormErrors::default(),
        None,
    )?;
    htmx::ok(&hx, &page)
}
