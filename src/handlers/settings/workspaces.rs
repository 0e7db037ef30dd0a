//! Settings > Workspaces: the viewer's workspaces; admins create them, Owners and Admins rename.

use actix_web::{web, HttpResponse};

use super::profile::NameForm;
use crate::app::AppState;
use crate::db::run_db;
use crate::domain::workspace::WorkspaceName;
use crate::domain::FieldError;
use crate::services::{workspaces, Error};
use crate::views::format_date;
use crate::views::forms::FormErrors;
use crate::views::settings::{WorkspaceRow, WorkspacesPage};
use crate::web::actor::Actor;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::htmx::{self, see_other, HxRequest};

async fn page(
    state: &AppState,
    me: &Actor,
    errors: FormErrors,
    new_name: String,
) -> Result<WorkspacesPage, AppError> {
    let uid = me.user.id;
    let rows = run_db(&state.pool, move |c| workspaces::summaries(c, uid)).await?;
    Ok(WorkspacesPage {
        ctx: crate::handlers::context(&me.session, &me.user, "workspaces")?,
        rows: rows
            .into_iter()
            .map(|s| WorkspaceRow {
                public_id: s.membership.workspace.public_id,
                name: s.membership.workspace.name,
                role: s.membership.role.label(),
                members: s.members,
                contacts: s.contacts,
                created: format_date(s.membership.workspace.created_at),
                can_rename: s.membership.role.manages_workspace(),
            })
            .collect(),
        new_name,
        errors,
    })
}

pub async fn list(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let p = page(&state, &me, FormErrors::default(), String::new()).await?;
    htmx::ok(&hx, &p)
}

pub async fn create(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<HttpResponse, AppError> {
    let acting = me.acting();
    let outcome = match WorkspaceName::parse(&form.name) {
        Ok(name) => run_db(&state.pool, move |c| workspaces::create(c, &acting, &name))
            .await
            .map(|_| ()),
        Err(e) => {
            // Only admins see the form; anyone else is refused before being told what they typed.
            let acting = me.acting();
            run_db(&state.pool, move |c| workspaces::may_create(c, &acting)).await?;
            Err(Error::Invalid(vec![e]))
        }
    };
    match outcome {
        Ok(()) => {
            me.session.flash("Workspace created.")?;
            Ok(see_other("/settings/workspaces"))
        }
        Err(Error::Invalid(errors)) => {
            htmx::invalid(&hx, &page(&state, &me, errors.into(), form.name).await?)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn rename(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<HttpResponse, AppError> {
    let (acting, ws) = (me.acting(), path.into_inner());
    // The rename form's error shows above the list.
    let name =
        WorkspaceName::parse(&form.name).map_err(|e| vec![FieldError::new("rename", e.message)]);
    match run_db(&state.pool, move |c| {
        workspaces::rename(c, &acting, &ws, name)
    })
    .await
    {
        Ok(()) => {
            me.session.flash("Workspace renamed.")?;
            Ok(see_other("/settings/workspaces"))
        }
        Err(Error::Invalid(errors)) => {
            htmx::invalid(&hx, &page(&state, &me, errors.into(), String::new()).await?)
        }
        Err(e) => Err(e.into()),
    }
}
