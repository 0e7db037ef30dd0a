//! `GET /settings/api-keys`: the list, searched, filtered, sorted and paged.

use actix_web::{web, HttpResponse};

use super::context;
use crate::app::AppState;
use crate::domain::key::{AccessLevel, StatusFilter};
use crate::domain::search::{KeyQuery, KeyQueryParams, Page, SortKey, OWNER_REMOVED};
use crate::services::api_keys;
use crate::views::api_keys::{KeyRow, KeysPage, PageLink, TopKey};
use crate::views::forms::{person_choices, workspace_choices, Choice};
use crate::web::actor::Actor;
use crate::web::error::AppError;
use crate::web::htmx::{self, HxRequest};

pub async fn list(
    hx: HxRequest,
    me: Actor,
    state: web::Data<AppState>,
    params: web::Query<KeyQueryParams>,
) -> Result<HttpResponse, AppError> {
    let params = params.into_inner();
    let q = KeyQuery::parse(&params);
    let (viewer, now, query) = (me.user.id, me.now, q.clone());
    let parts = match hx.targets(KeysPage::RESULTS) {
        true => api_keys::Parts::Results,
        false => api_keys::Parts::Whole,
    };
    let found = api_keys::page(&state.pool, viewer, query, now, parts).await?;
    let rows: Vec<KeyRow> = found
        .keys
        .iter()
        .map(|l| KeyRow::new(l, now, &params.highlight))
        .collect();
    let at = &found.page;
    let expiring = found
        .expiring
        .iter()
        .map(|(name, public_id, n)| PageLink {
            href: format!(
                "/settings/api-keys?workspace={public_id}&status=expiring&sort=expires&dir=asc"
            ),
            label: if *n == 1 {
                format!("1 key in {name} expires this week")
            } else {
                format!("{n} keys in {name} expire this week")
            },
        })
        .collect();
    let top_query = KeyQuery {
        workspace: q.workspace.clone(),
        ..KeyQuery::parse(&KeyQueryParams::default())
    };
    let export_href = q.href(&Page::First, q.sort, q.descending).replacen(
        "/settings/api-keys",
        "/settings/api-keys.csv",
        1,
    );
    let page = KeysPage {
        export_href,
        top: found.top.iter().map(TopKey::new).collect(),
        top_href: top_query.href(&Page::First, SortKey::MostUsed, true),
        expiring,
        ctx: context(&me)?,
        showing: KeysPage::showing(found.total),
        rows,
        any_keys: found.any,
        can_generate: found.memberships.iter().any(|m| m.access.can_manage_keys()),
        q: q.q.clone(),
        q_error: q.q_error,
        workspaces: workspace_choices(&found.memberships, q.workspace.as_deref()),
        owners: person_choices(
            found
                .people
                .iter()
                .map(|p| (p.public_id.as_str(), p.name.as_str(), p.email.as_str())),
            q.owner.as_deref(),
        ),
        statuses: StatusFilter::ALL
            .into_iter()
            .map(|s| Choice::new(s.as_str(), s.label(), q.status == Some(s)))
            .collect(),
        accesses: [AccessLevel::ReadOnly, AccessLevel::ReadWrite]
            .into_iter()
            .map(|a| Choice::new(a.as_str(), a.label(), q.access == Some(a)))
            .collect(),
        sort_links: KeysPage::sort_links(&q),
        sort: q.sort.as_str().into(),
        dir: if q.descending { "desc" } else { "asc" }.into(),
        prev: at
            .first
            .as_ref()
            .filter(|_| at.has_before)
            .map(|p| PageLink {
                href: q.href(&Page::Before(p.clone()), q.sort, q.descending),
                label: "Previous".into(),
            }),
        next: at.last.as_ref().filter(|_| at.has_after).map(|p| PageLink {
            href: q.href(&Page::After(p.clone()), q.sort, q.descending),
            label: "Next".into(),
        }),
        owner_removed_filter: q.owner.as_deref() == Some(OWNER_REMOVED),
        filtered: q.filtered(),
    };
    htmx::ok(&hx, &page)
}
