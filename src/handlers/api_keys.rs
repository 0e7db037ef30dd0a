//! Settings > API Keys: list and search, generate, the one-time Save dialog, detail, edit, rotate,
//! revoke. Every action is scoped to the viewer's workspaces and checked on the server.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use time::PrimitiveDateTime;

use super::{see_other, set_flash, take_flash};
use crate::auth::client_ip::client_ip;
use crate::auth::csrf::{CsrfForm, NoFields};
use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::domain::ids::{constant_time_eq, public_id, random_base62};
use crate::domain::key::{
    secret_version, AccessLevel, Expiration, KeyName, KeyStatus, PlainKey, Purpose,
};
use crate::domain::search::{KeyQuery, KeyQueryParams, PAGE_SIZE};
use crate::domain::FieldError;
use crate::error::AppError;
use crate::models::api_keys::{self, KeyListing, NewApiKey};
use crate::models::{audit, workspaces};
use crate::startup::AppState;
use crate::telemetry::run_db;
use crate::views::api_keys::*;
use crate::views::{self, format_time, FormErrors, PageContext};

fn context(me: &CurrentUser) -> Result<PageContext, AppError> {
    Ok(PageContext::new(me.csrf()?, Some(&me.user), take_flash(&me.session)).with_tab("api-keys"))
}

/// Dialogs render alone for htmx (into `#drawer`) and as a whole page without JavaScript.
macro_rules! render_dialog {
    ($req:expr, $status:expr, $page:expr) => {{
        let body = if $page.modal {
            $page.as_dialog().render()?
        } else {
            $page.render()?
        };
        Ok::<_, AppError>(views::html($status, body))
    }};
}

fn modal(req: &HttpRequest) -> bool {
    views::wants_partial(req)
}

fn today(now: PrimitiveDateTime) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    (now.date() + time::Duration::days(1))
        .format(&fmt)
        .unwrap_or_default()
}

fn expiration_text(expires_at: Option<PrimitiveDateTime>) -> String {
    expires_at
        .map(format_time)
        .unwrap_or_else(|| "Never expires".into())
}

/// Audit row for a key action.
fn key_event<'a>(
    l: &'a KeyListing,
    actor: i64,
    action: &'a str,
    details: &'a str,
    ip: &'a str,
    now: PrimitiveDateTime,
) -> audit::NewEvent<'a> {
    audit::NewEvent {
        workspace_id: Some(l.key.workspace_id),
        actor_id: Some(actor),
        action,
        subject: Some(&l.key.public_id),
        details,
        ip: Some(ip),
        created_at: now,
    }
}

// ---- List and search -------------------------------------------------------------------------

pub async fn list(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    params: web::Query<KeyQueryParams>,
) -> Result<HttpResponse, AppError> {
    let params = params.into_inner();
    let q = KeyQuery::parse(&params);
    let (uid, now) = (me.user.id, state.clock.now());
    let query = q.clone();
    let (listings, total, any, memberships, people) = run_db(&state.pool, move |c| {
        let (listings, total) = api_keys::search(c, uid, &query, now)?;
        let any = total > 0 || api_keys::count_visible(c, uid)? > 0;
        Ok((
            listings,
            total,
            any,
            workspaces::for_user(c, uid)?,
            workspaces::people_visible_to(c, uid)?,
        ))
    })
    .await?;

    let rows: Vec<KeyRow> = listings
        .iter()
        .map(|l| KeyRow::new(l, now, &params.highlight))
        .collect();
    let first = q.offset() + 1;
    let last = q.offset() + rows.len() as i64;
    let page = KeysPage {
        ctx: context(&me)?,
        showing: if total == 1 {
            "1 key".into()
        } else {
            format!("{first}–{last} of {total} keys")
        },
        rows,
        total,
        any_keys: any,
        can_generate: memberships.iter().any(|m| m.access.can_manage_keys()),
        q: q.q.clone(),
        q_error: q.q_error,
        workspaces: memberships
            .iter()
            .map(|m| Choice {
                selected: q.workspace.as_deref() == Some(m.workspace.public_id.as_str()),
                value: m.workspace.public_id.clone(),
                label: m.workspace.name.clone(),
            })
            .collect(),
        owners: people
            .iter()
            .map(|p| Choice {
                selected: q.owner.as_deref() == Some(p.public_id.as_str()),
                value: p.public_id.clone(),
                label: format!("{} ({})", p.name, p.email),
            })
            .collect(),
        statuses: [KeyStatus::Active, KeyStatus::Expired, KeyStatus::Revoked]
            .into_iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: s.label().into(),
                selected: q.status == Some(s),
            })
            .collect(),
        accesses: [AccessLevel::ReadOnly, AccessLevel::ReadWrite]
            .into_iter()
            .map(|a| Choice {
                value: a.as_str().into(),
                label: a.label().into(),
                selected: q.access == Some(a),
            })
            .collect(),
        sort_links: KeysPage::sort_links(&q),
        sort: q.sort.as_str().into(),
        dir: if q.descending {
            "desc".into()
        } else {
            "asc".into()
        },
        prev: (q.page > 1).then(|| PageLink {
            href: q.href(q.page - 1, q.sort, q.descending),
            label: "Previous".into(),
        }),
        next: (q.offset() + PAGE_SIZE < total).then(|| PageLink {
            href: q.href(q.page + 1, q.sort, q.descending),
            label: "Next".into(),
        }),
        owner_removed_filter: q.owner.as_deref() == Some(crate::domain::search::OWNER_REMOVED),
        filtered: q.like_pattern().is_some()
            || q.workspace.is_some()
            || q.owner.is_some()
            || q.status.is_some()
            || q.access.is_some(),
    };
    let target = req
        .headers()
        .get("hx-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let body = if views::wants_partial(&req) && target == "keys-results" {
        page.as_results().render()?
    } else if views::wants_partial(&req) {
        page.as_panel().render()?
    } else {
        page.render()?
    };
    Ok(views::html(StatusCode::OK, body))
}

// ---- Generate ------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct GenerateFields {
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    workspace: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    access_level: String,
    #[serde(default)]
    expiration: String,
    #[serde(default)]
    expires_on: String,
}

async fn manageable_workspaces(
    state: &AppState,
    uid: i64,
) -> Result<Vec<workspaces::Membership>, AppError> {
    let all = run_db(&state.pool, move |c| Ok(workspaces::for_user(c, uid)?)).await?;
    Ok(all
        .into_iter()
        .filter(|m| m.access.can_manage_keys())
        .collect())
}

fn generate_form(
    ms: &[workspaces::Membership],
    f: &GenerateFields,
    errors: FormErrors,
    now: PrimitiveDateTime,
) -> GenerateForm {
    GenerateForm {
        request_id: if f.request_id.is_empty() {
            random_base62(24)
        } else {
            f.request_id.clone()
        },
        workspaces: ms
            .iter()
            .map(|m| Choice {
                selected: m.workspace.public_id == f.workspace,
                value: m.workspace.public_id.clone(),
                label: m.workspace.name.clone(),
            })
            .collect(),
        name: f.name.clone(),
        purpose: f.purpose.clone(),
        access_level: if f.access_level.is_empty() {
            "read_only".into()
        } else {
            f.access_level.clone()
        },
        expiration: expiration_choices(
            if f.expiration.is_empty() {
                "90"
            } else {
                &f.expiration
            },
            None,
        ),
        expires_on: f.expires_on.clone(),
        min_date: today(now),
        errors,
    }
}

pub async fn new_form(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let ms = manageable_workspaces(&state, me.user.id).await?;
    if ms.is_empty() {
        return Err(AppError::Forbidden(
            "You cannot generate API keys in any workspace.",
        ));
    }
    let page = NewKeyPage {
        ctx: context(&me)?,
        modal: modal(&req),
        form: generate_form(
            &ms,
            &GenerateFields::default(),
            FormErrors::default(),
            state.clock.now(),
        ),
    };
    render_dialog!(req, StatusCode::OK, page)
}

enum Created {
    Key(Box<KeyListing>, PlainKey),
    Duplicate(String),
    NameTaken,
}

pub async fn create(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    CsrfForm(f): CsrfForm<GenerateFields>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let ms = manageable_workspaces(&state, me.user.id).await?;
    let mut errors = FormErrors::default();
    let membership = ms
        .iter()
        .find(|m| m.workspace.public_id == f.workspace)
        .cloned();
    if membership.is_none() {
        if !f.workspace.is_empty() {
            // A forged workspace: 404 if the viewer is not in it, 403 if they may not manage keys.
            let (uid, ws) = (me.user.id, f.workspace.clone());
            let theirs = run_db(&state.pool, move |c| {
                Ok(workspaces::membership(c, uid, &ws)?)
            })
            .await?;
            return Err(match theirs {
                Some(_) => AppError::Forbidden("You may not generate API keys in this workspace."),
                None => AppError::NotFound,
            });
        }
        errors.push(FieldError::new("workspace", "Choose a workspace."));
    }
    let name = KeyName::parse(&f.name).map_err(|e| errors.push(e)).ok();
    let purpose = Purpose::parse(&f.purpose).map_err(|e| errors.push(e)).ok();
    let access = AccessLevel::parse(&f.access_level)
        .map_err(|e| errors.push(e))
        .ok();
    let expiration = Expiration::parse(&f.expiration, &f.expires_on, now.date())
        .map_err(|e| errors.push(e))
        .ok();
    let request_id: String = f
        .request_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(64)
        .collect();

    let (Some(m), Some(name), Some(purpose), Some(access), Some(expiration)) =
        (membership, name, purpose, access, expiration)
    else {
        return generate_invalid(&req, &me, &ms, &f, errors, now);
    };

    let (uid, ip) = (me.user.id, client_ip(&req, &state.settings.trusted_proxies));
    let outcome = run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            if !request_id.is_empty() {
                if let Some(existing) =
                    api_keys::find_by_request_id(c, m.workspace.id, &request_id)?
                {
                    return Ok(Created::Duplicate(existing.public_id));
                }
            }
            if api_keys::active_name_taken(c, m.workspace.id, name.as_str(), now, None)? {
                // A double submit whose twin committed meanwhile is a duplicate, not a clash.
                if !request_id.is_empty() {
                    if let Some(existing) =
                        api_keys::find_by_request_id(c, m.workspace.id, &request_id)?
                    {
                        return Ok(Created::Duplicate(existing.public_id));
                    }
                }
                return Ok(Created::NameTaken);
            }
            let plain = PlainKey::generate();
            let pid = public_id("key");
            let expires_at = expiration.expires_at(now);
            api_keys::insert(
                c,
                &NewApiKey {
                    public_id: &pid,
                    workspace_id: m.workspace.id,
                    name: name.as_str(),
                    purpose: purpose.as_str(),
                    access_level: access.as_str(),
                    owner_id: Some(uid),
                    created_by: Some(uid),
                    created_at: now,
                    expires_at,
                    key_hash: plain.hash().as_str(),
                    hint: &plain.hint(),
                    request_id: (!request_id.is_empty()).then_some(request_id.as_str()),
                },
            )?;
            let listing = api_keys::find_for_viewer(c, uid, &pid)?.ok_or(AppError::NotFound)?;
            let details = format!("{}; {}", access.label(), expiration_text(expires_at));
            audit::record(
                c,
                &key_event(&listing, uid, "api_key.generate", &details, &ip, now),
            )?;
            Ok(Created::Key(Box::new(listing), plain))
        })
    })
    .await;

    match outcome {
        Ok(Created::Key(listing, plain)) => save_dialog(&req, &me, &listing, &plain, false),
        Ok(Created::NameTaken) => {
            let e = FieldError::new(
                "name",
                "An active key in this workspace already has this name. Choose another name.",
            );
            generate_invalid(&req, &me, &ms, &f, FormErrors(vec![e]), now)
        }
        Ok(Created::Duplicate(pid)) => duplicate_submit(&pid),
        // A concurrent double submit that lost the race on the unique request id.
        Err(AppError::Internal(e)) if e.to_string().to_lowercase().contains("unique") => {
            let rid: String = f
                .request_id
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(64)
                .collect();
            let ws = f.workspace.clone();
            let uid = me.user.id;
            let pid = run_db(&state.pool, move |c| {
                let m = workspaces::membership(c, uid, &ws)?.ok_or(AppError::NotFound)?;
                Ok(api_keys::find_by_request_id(c, m.workspace.id, &rid)?.map(|k| k.public_id))
            })
            .await?
            .ok_or(AppError::Internal(e))?;
            duplicate_submit(&pid)
        }
        Err(e) => Err(e),
    }
}

fn generate_invalid(
    req: &HttpRequest,
    me: &CurrentUser,
    ms: &[workspaces::Membership],
    f: &GenerateFields,
    errors: FormErrors,
    now: PrimitiveDateTime,
) -> Result<HttpResponse, AppError> {
    let page = NewKeyPage {
        ctx: context(me)?,
        modal: modal(req),
        form: generate_form(ms, f, errors, now),
    };
    render_dialog!(req, StatusCode::UNPROCESSABLE_ENTITY, page)
}

/// The second submit of one Generate form: the key exists and its secret was shown once already.
fn duplicate_submit(pid: &str) -> Result<HttpResponse, AppError> {
    tracing::info!(key = pid, "duplicate generate submit ignored");
    Err(AppError::Conflict(
        "This form was already submitted and the key was generated; its secret was shown in the first response. If you did not copy it, rotate the key.".into(),
    ))
}

/// The Save Your API Key dialog. The secret is in this response only: `no-store`, never in a URL,
/// the session, a flash message or a log line.
fn save_dialog(
    req: &HttpRequest,
    me: &CurrentUser,
    l: &KeyListing,
    plain: &PlainKey,
    rotated: bool,
) -> Result<HttpResponse, AppError> {
    let page = SaveKeyPage {
        ctx: context(me)?,
        modal: modal(req),
        secret: plain.expose().to_owned(),
        name: l.key.name.clone(),
        workspace: l.workspace_name.clone(),
        access: AccessLevel::from_db(&l.key.access_level).label(),
        expiration: expiration_text(l.key.expires_at),
        rotated,
        done_href: format!(
            "/settings/api-keys?highlight={}#key-{}",
            l.key.public_id, l.key.public_id
        ),
    };
    Ok(views::no_store(render_dialog!(req, StatusCode::OK, page)?))
}

// ---- Detail --------------------------------------------------------------------------------------

async fn load_key(
    state: &AppState,
    me: &CurrentUser,
    key_id: String,
) -> Result<KeyListing, AppError> {
    let uid = me.user.id;
    run_db(&state.pool, move |c| {
        api_keys::find_for_viewer(c, uid, &key_id)?.ok_or(AppError::NotFound)
    })
    .await
}

/// Loads a key the viewer may change: 404 outside their workspaces, 403 without permission,
/// 409 when it is revoked.
async fn load_manageable(
    state: &AppState,
    me: &CurrentUser,
    key_id: String,
) -> Result<KeyListing, AppError> {
    let l = load_key(state, me, key_id).await?;
    if !l.viewer_access.can_manage_keys() {
        return Err(AppError::Forbidden(
            "You can view this workspace's API keys but not change them.",
        ));
    }
    if l.key.revoked_at.is_some() {
        return Err(AppError::Conflict(
            "This key is revoked and cannot be changed or rotated. Create a new key instead."
                .into(),
        ));
    }
    Ok(l)
}

pub async fn detail(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let l = load_key(&state, &me, path.into_inner()).await?;
    let now = state.clock.now();
    let (ws, pid, created_by) = (
        l.key.workspace_id,
        l.key.public_id.clone(),
        l.key.created_by,
    );
    let (history, creator) = run_db(&state.pool, move |c| {
        Ok((
            api_keys::history(c, ws, &pid)?,
            api_keys::user_name(c, created_by)?,
        ))
    })
    .await?;
    let page = KeyDetailPage {
        ctx: context(&me)?,
        key: KeyRow::new(&l, now, ""),
        expires_exact: expiration_text(l.key.expires_at),
        created_by: creator.unwrap_or_else(|| "a removed user".into()),
        rotated: l
            .key
            .rotated_at
            .map(format_time)
            .unwrap_or_else(|| "never".into()),
        last_used_ip: l.key.last_used_ip.clone().unwrap_or_default(),
        last_used_agent: l.key.last_used_user_agent.clone().unwrap_or_default(),
        history: history
            .into_iter()
            .map(|(e, actor)| HistoryRow {
                when: crate::domain::key::relative(now, e.created_at),
                when_exact: format_time(e.created_at),
                actor: actor.unwrap_or_else(|| "Mailrith".into()),
                action: action_label(&e.action),
                details: e.details,
                ip: e.ip.unwrap_or_default(),
            })
            .collect(),
    };
    crate::render_panel!(&req, page)
}

// ---- Edit ----------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct EditFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    owner: String,
}

async fn owner_choices(
    state: &AppState,
    workspace_id: i64,
    selected: Option<String>,
) -> Result<(Vec<Choice>, Vec<workspaces::Member>), AppError> {
    let members = run_db(&state.pool, move |c| {
        Ok(workspaces::members(c, workspace_id)?)
    })
    .await?;
    let choices = members
        .iter()
        .map(|m| Choice {
            selected: selected.as_deref() == Some(m.public_id.as_str()),
            value: m.public_id.clone(),
            label: format!("{} ({})", m.name, m.email),
        })
        .collect();
    Ok((choices, members))
}

pub async fn edit_form(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let l = load_manageable(&state, &me, path.into_inner()).await?;
    let (owners, _) = owner_choices(&state, l.key.workspace_id, l.owner_public_id.clone()).await?;
    let page = EditKeyPage {
        ctx: context(&me)?,
        modal: modal(&req),
        key_id: l.key.public_id.clone(),
        key_name: l.key.name.clone(),
        name: l.key.name.clone(),
        purpose: l.key.purpose.clone(),
        owners,
        errors: FormErrors::default(),
    };
    render_dialog!(req, StatusCode::OK, page)
}

pub async fn update(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(f): CsrfForm<EditFields>,
) -> Result<HttpResponse, AppError> {
    let l = load_manageable(&state, &me, path.into_inner()).await?;
    let now = state.clock.now();
    let (owners, members) =
        owner_choices(&state, l.key.workspace_id, Some(f.owner.clone())).await?;
    let mut errors = FormErrors::default();
    let name = KeyName::parse(&f.name).map_err(|e| errors.push(e)).ok();
    let purpose = Purpose::parse(&f.purpose).map_err(|e| errors.push(e)).ok();
    let owner = members.iter().find(|m| m.public_id == f.owner).cloned();
    if owner.is_none() {
        errors.push(FieldError::new(
            "owner",
            "Choose a member of this workspace.",
        ));
    }
    let (uid, ip) = (me.user.id, client_ip(&req, &state.settings.trusted_proxies));
    let taken = match &name {
        Some(n) => {
            let (ws, n, id) = (l.key.workspace_id, n.as_str().to_owned(), l.key.id);
            run_db(&state.pool, move |c| {
                Ok(api_keys::active_name_taken(c, ws, &n, now, Some(id))?)
            })
            .await?
        }
        None => false,
    };
    if taken {
        errors.push(FieldError::new(
            "name",
            "An active key in this workspace already has this name. Choose another name.",
        ));
    }
    let (Some(name), Some(purpose), Some(owner), false) = (name, purpose, owner, taken) else {
        let page = EditKeyPage {
            ctx: context(&me)?,
            modal: modal(&req),
            key_id: l.key.public_id.clone(),
            key_name: l.key.name.clone(),
            name: f.name,
            purpose: f.purpose,
            owners,
            errors,
        };
        return render_dialog!(req, StatusCode::UNPROCESSABLE_ENTITY, page);
    };
    let mut changes = Vec::new();
    if name.as_str() != l.key.name {
        changes.push(format!("name: \"{}\" → \"{}\"", l.key.name, name.as_str()));
    }
    if purpose.as_str() != l.key.purpose {
        changes.push("purpose changed".to_owned());
    }
    if Some(owner.public_id.as_str()) != l.owner_public_id.as_deref() {
        changes.push(format!(
            "owner: {} → {}",
            l.owner_name.clone().unwrap_or_else(|| "none".into()),
            owner.name
        ));
    }
    let key_id = l.key.public_id.clone();
    let row_id = l.key.id;
    if !changes.is_empty() {
        let details = changes.join("; ");
        run_db(&state.pool, move |c| {
            c.write_transaction(|c| {
                api_keys::update_details(
                    c,
                    l.key.id,
                    name.as_str(),
                    purpose.as_str(),
                    Some(owner.user_id),
                )?;
                api_keys::record_change(c, l.key.id, now)?;
                audit::record(c, &key_event(&l, uid, "api_key.edit", &details, &ip, now))
            })?;
            Ok(())
        })
        .await?;
        state.api.keys.invalidate(row_id);
        set_flash(&me.session, "Changes saved.")?;
    }
    Ok(see_other(&format!("/settings/api-keys/{key_id}")))
}

// ---- Rotate --------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct RotateFields {
    #[serde(default)]
    expiration: String,
    #[serde(default)]
    expires_on: String,
    /// Which secret this confirmation was issued for (`key::secret_version`).
    #[serde(default)]
    secret_version: String,
}

/// The version of the key's current secret, for a fresh Rotate confirmation.
async fn current_secret_version(state: &AppState, key_id: i64) -> Result<String, AppError> {
    let hash = run_db(&state.pool, move |c| Ok(api_keys::current_hash(c, key_id)?)).await?;
    Ok(secret_version(&hash))
}

fn rotate_page(
    req: &HttpRequest,
    me: &CurrentUser,
    l: &KeyListing,
    f: &RotateFields,
    errors: FormErrors,
    now: PrimitiveDateTime,
) -> Result<RotateKeyPage, AppError> {
    let expired = l.key.status(now) == KeyStatus::Expired;
    let keep = (!expired).then(|| {
        format!(
            "Keep the current expiration ({})",
            expiration_text(l.key.expires_at)
        )
    });
    let default = if expired { "90" } else { "keep" };
    Ok(RotateKeyPage {
        ctx: context(me)?,
        modal: modal(req),
        key_id: l.key.public_id.clone(),
        key_name: l.key.name.clone(),
        expired,
        expiration: expiration_choices(
            if f.expiration.is_empty() {
                default
            } else {
                &f.expiration
            },
            keep,
        ),
        expires_on: f.expires_on.clone(),
        min_date: today(now),
        secret_version: f.secret_version.clone(),
        errors,
    })
}

pub async fn rotate_form(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let l = load_manageable(&state, &me, path.into_inner()).await?;
    let fields = RotateFields {
        secret_version: current_secret_version(&state, l.key.id).await?,
        ..RotateFields::default()
    };
    let page = rotate_page(
        &req,
        &me,
        &l,
        &fields,
        FormErrors::default(),
        state.clock.now(),
    )?;
    render_dialog!(req, StatusCode::OK, page)
}

pub async fn rotate(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(f): CsrfForm<RotateFields>,
) -> Result<HttpResponse, AppError> {
    let l = load_manageable(&state, &me, path.into_inner()).await?;
    let now = state.clock.now();
    let expired = l.key.status(now) == KeyStatus::Expired;
    let expires_at = match f.expiration.as_str() {
        "keep" if expired => Err(FieldError::new(
            "expiration",
            "This key has expired: choose a new expiration.",
        )),
        "keep" => Ok(l.key.expires_at),
        other => Expiration::parse(other, &f.expires_on, now.date()).map(|e| e.expires_at(now)),
    };
    let expires_at = match expires_at {
        Ok(e) => e,
        Err(e) => {
            let page = rotate_page(&req, &me, &l, &f, FormErrors(vec![e]), now)?;
            return render_dialog!(req, StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    let (uid, ip) = (me.user.id, client_ip(&req, &state.settings.trusted_proxies));
    let plain = PlainKey::generate();
    let (new_hash, new_hint) = (plain.hash(), plain.hint());
    let old_expiry = expiration_text(l.key.expires_at);
    let key_id = l.key.id;
    let confirmed = f.secret_version.clone();
    let rotated = run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            rotate_in_db(
                c,
                &l,
                &confirmed,
                uid,
                &ip,
                now,
                new_hash.as_str(),
                &new_hint,
                expires_at,
                &old_expiry,
            )
        })
    })
    .await?;
    // This process drops the old secret at once; others within a second (the change feed).
    state.api.keys.invalidate(key_id);
    save_dialog(&req, &me, &rotated, &plain, true)
}

#[allow(clippy::too_many_arguments)]
fn rotate_in_db(
    c: &mut AnyConnection,
    l: &KeyListing,
    confirmed_version: &str,
    uid: i64,
    ip: &str,
    now: PrimitiveDateTime,
    new_hash: &str,
    new_hint: &str,
    expires_at: Option<PrimitiveDateTime>,
    old_expiry: &str,
) -> Result<KeyListing, AppError> {
    let old_hash = api_keys::current_hash(c, l.key.id)?;
    // The confirmation must be for the secret the key still has, and the update is a
    // compare-and-swap on that secret's hash: of two concurrent rotations exactly one wins.
    if confirmed_version.is_empty()
        || !constant_time_eq(&secret_version(&old_hash), confirmed_version)
        || api_keys::rotate(c, l.key.id, &old_hash, new_hash, new_hint, expires_at, now)? != 1
    {
        return Err(rotation_conflict(c, l)?);
    }
    api_keys::retire_hash(c, l.key.id, &old_hash, now)?;
    api_keys::record_change(c, l.key.id, now)?;
    let new_expiry = expiration_text(expires_at);
    let details = if new_expiry == old_expiry {
        "new secret".to_owned()
    } else {
        format!("new secret; expiration: {old_expiry} → {new_expiry}")
    };
    audit::record(c, &key_event(l, uid, "api_key.rotate", &details, ip, now))?;
    let mut updated = l.clone();
    updated.key.expires_at = expires_at;
    updated.key.rotated_at = Some(now);
    updated.key.hint = new_hint.to_owned();
    Ok(updated)
}

/// Why a rotation lost: someone else rotated (or revoked) the key after this confirmation was
/// shown. No secret is shown to the loser.
fn rotation_conflict(c: &mut AnyConnection, l: &KeyListing) -> Result<AppError, AppError> {
    let last = api_keys::last_action_by(c, l.key.workspace_id, &l.key.public_id)?;
    Ok(AppError::Conflict(match last {
        Some((action, who)) if action == "api_key.rotate" => format!(
            "This key was just rotated by {}; its new secret was shown to them. Ask them for it, or reload the key to rotate it again.",
            who.unwrap_or_else(|| "someone else".into())
        ),
        Some((action, who)) if action == "api_key.revoke" => format!(
            "This key was just revoked by {}. Reload to see its state.",
            who.unwrap_or_else(|| "someone else".into())
        ),
        _ => "This confirmation is out of date. Reload the key and rotate it again.".into(),
    }))
}

// ---- Revoke --------------------------------------------------------------------------------------

pub async fn revoke_form(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let l = load_manageable(&state, &me, path.into_inner()).await?;
    let page = RevokeKeyPage {
        ctx: context(&me)?,
        modal: modal(&req),
        key_id: l.key.public_id.clone(),
        key_name: l.key.name.clone(),
        workspace: l.workspace_name.clone(),
    };
    render_dialog!(req, StatusCode::OK, page)
}

pub async fn revoke(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let l = load_manageable(&state, &me, path.into_inner()).await?;
    let (uid, now, ip) = (
        me.user.id,
        state.clock.now(),
        client_ip(&req, &state.settings.trusted_proxies),
    );
    let name = l.key.name.clone();
    let key_id = l.key.public_id.clone();
    let row_id = l.key.id;
    run_db(&state.pool, move |c| {
        c.write_transaction::<_, AppError, _>(|c| {
            if api_keys::revoke(c, l.key.id, uid, now)? != 1 {
                return Err(AppError::Conflict("This key is already revoked.".into()));
            }
            api_keys::record_change(c, l.key.id, now)?;
            audit::record(
                c,
                &key_event(&l, uid, "api_key.revoke", "access stopped", &ip, now),
            )?;
            Ok(())
        })
    })
    .await?;
    // The key stops working in this process at once, in others within a second.
    state.api.keys.invalidate(row_id);
    set_flash(
        &me.session,
        &format!("Revoked \"{name}\". It stopped working immediately."),
    )?;
    Ok(see_other(&format!("/settings/api-keys/{key_id}")))
}
