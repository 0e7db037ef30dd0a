//! What the API Keys tab reads: a page of the list with its filters, and one key with its history.

use crate::db::ids::{UserId, WorkspaceId};
use crate::db::AnyConnection;
use crate::domain::key::StatusFilter;
use crate::domain::search::{KeyQuery, Page, COUNT_CAP, OWNER_REMOVED, PAGE_SIZE};
use crate::models::api_keys::page::{
    self, Filters, IdPage, OwnerFilter, Scope, Source, TextCondition, Total,
};
use crate::models::api_keys::{self, KeyListing};
use crate::models::users;
use crate::models::workspaces::{self, Member, Membership};
use crate::services::{Error, Result};

/// One page of the API Keys list, and what its filters offer.
pub struct KeyList {
    pub keys: Vec<KeyListing>,
    /// How many keys match: exact while that is cheap, else a lower bound ("1,000+ keys").
    pub total: Total,
    /// Whether the viewer can see any key at all (for the empty state).
    pub any: bool,
    /// Where the page starts and ends, and whether there is more before and after it.
    pub page: IdPage,
    pub memberships: Vec<Membership>,
    pub people: Vec<Member>,
    /// For the workspaces where the viewer manages keys: (workspace, public id, how many working
    /// keys expire within 7 days), where any do.
    pub expiring: Vec<(String, String, i64)>,
    /// The most used keys this week in the workspaces shown (on a list that is not searched or
    /// filtered other than by workspace), most first.
    pub top: Vec<KeyListing>,
}

/// How many keys "Top keys this week" names.
pub const TOP_KEYS: usize = 5;

/// The keys of these workspaces with the most successful requests this week: the first page of
/// the "Most used (7 days)" sort, one index range scan per workspace.
fn top_keys(
    c: &mut AnyConnection,
    viewer: UserId,
    workspaces: &[WorkspaceId],
    now: time::PrimitiveDateTime,
) -> Result<Vec<KeyListing>> {
    let filters = Filters {
        visible: workspaces.to_vec(),
        status: None,
        access: None,
        owner: None,
        now,
    };
    let sources: Vec<Source> = workspaces
        .iter()
        .map(|w| Source::new(Scope::Workspace(*w)))
        .collect();
    let first = page::page(
        c,
        &sources,
        &filters,
        crate::domain::search::SortKey::MostUsed,
        true,
        &Page::First,
        TOP_KEYS,
    )?;
    Ok(api_keys::by_ids(c, viewer, &first.ids)?
        .into_iter()
        .filter(|l| l.key.requests_7d > 0)
        .collect())
}

/// A search that its index finds at most this many keys for is read whole (by id) and sorted.
const RARE: usize = 1000;
/// Past `RARE`, the keys read in sort order are checked against the search, for this long: a
/// common search fills a page quickly this way.
const SCAN_BUDGET: std::time::Duration = std::time::Duration::from_millis(15);
/// When that ran out, a search with at most this many matches is read by id after all.
const FEW: usize = 5000;

/// How a page is read: arms that need no search condition (or carry their own), and the search
/// of the keys' own text, which is read by its index or checked on `scan` arms.
struct Plan {
    fixed: Vec<Source>,
    text: Option<TextPlan>,
}

struct TextPlan {
    /// The trigram (or name-prefix) index's scope.
    indexed: Scope,
    /// The base arms with the search as a condition, read in sort order.
    scan: Vec<Source>,
}

/// Reads the page by the plan; returns it and the arms to count it by.
fn read(
    c: &mut AnyConnection,
    q: &KeyQuery,
    f: &Filters,
    plan: Plan,
    size: usize,
) -> Result<(IdPage, Vec<Source>)> {
    let Plan { mut fixed, text } = plan;
    let read_page = |c: &mut AnyConnection, sources: &[Source]| {
        if sources.is_empty() {
            return Ok(IdPage::default());
        }
        page::page(c, sources, f, q.sort, q.descending, &q.page, size)
    };
    let Some(TextPlan { indexed, scan }) = text else {
        let page = read_page(c, &fixed)?;
        return Ok((page, fixed));
    };
    let by_ids = |c: &mut AnyConnection, mut fixed: Vec<Source>, ids: Vec<i64>| {
        if !ids.is_empty() {
            fixed.push(Source::new(Scope::Ids(ids)));
        }
        let page = read_page(c, &fixed)?;
        Ok::<_, Error>((page, fixed))
    };
    // 1. A rare search: read its few keys by id.
    if let Some(ids) = page::matching_ids(c, &indexed, &f.visible, RARE)? {
        return by_ids(c, fixed, ids);
    }
    // 2. A common one: check it on the keys read in sort order, if that is quick.
    let mut arms = fixed.clone();
    arms.extend(scan.iter().cloned());
    if let Some(page) = crate::db::within(c, SCAN_BUDGET, |c| read_page(c, &arms))? {
        fixed.push(Source::new(indexed));
        return Ok((page, fixed));
    }
    // 3. In between: by id after all, or (very common, and slow to scan: rare in the visible
    //    workspaces) scanned with the console's whole budget.
    if let Some(ids) = page::matching_ids(c, &indexed, &f.visible, FEW)? {
        return by_ids(c, fixed, ids);
    }
    let page = read_page(c, &arms)?;
    fixed.push(Source::new(indexed));
    Ok((page, fixed))
}

/// One page of the keys the viewer sees, searched, filtered and sorted as `q` asks. Every read
/// is an index range scan that stops after a page (see `models::api_keys::page`). On the console's
/// pool a statement that runs past its budget fails with `Error::TooSlow`.
pub fn list(
    c: &mut AnyConnection,
    viewer: UserId,
    q: &KeyQuery,
    now: time::PrimitiveDateTime,
) -> Result<KeyList> {
    let memberships = workspaces::for_user(c, viewer)?;
    let managed: Vec<WorkspaceId> = memberships
        .iter()
        .filter(|m| m.access.can_manage_keys())
        .map(|m| m.workspace.id)
        .collect();
    let counts = api_keys::expiring_counts(c, &managed, now)?;
    let expiring = memberships
        .iter()
        .filter_map(|m| {
            counts
                .get(&m.workspace.id)
                .map(|n| (m.workspace.name.clone(), m.workspace.public_id.clone(), *n))
        })
        .collect();
    let people = workspaces::people_visible_to(c, viewer)?
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    let all: Vec<WorkspaceId> = memberships
        .iter()
        .filter(|m| m.access.can_view_keys())
        .map(|m| m.workspace.id)
        .collect();
    let any = !all.is_empty() && api_keys::any_in(c, &all)?;
    let Some(Found {
        page,
        counted,
        filters,
    }) = find(c, q, now, &memberships, PAGE_SIZE)?
    else {
        return Ok(empty(memberships, people, any, expiring));
    };
    let total = if q.page == Page::First && !page.has_after {
        Total::Exact(page.ids.len())
    } else {
        page::count(c, &counted, &filters, COUNT_CAP, page.ids.len())?
    };
    let unfiltered =
        q.q.is_empty() && q.owner.is_none() && q.status.is_none() && q.access.is_none();
    let top = if unfiltered && q.page == Page::First {
        top_keys(c, viewer, &filters.visible, now)?
    } else {
        Vec::new()
    };
    Ok(KeyList {
        keys: api_keys::by_ids(c, viewer, &page.ids)?,
        total,
        any,
        page,
        memberships,
        people,
        expiring,
        top,
    })
}

/// A page read for `q`: its ids, the arms to count it by, and the filters it applied.
struct Found {
    page: IdPage,
    counted: Vec<Source>,
    filters: Filters,
}

/// Reads a page of `size` keys for `q` among the workspaces of `memberships` whose keys the viewer
/// may see; `None` when nothing can match (no such workspace, no such owner).
fn find(
    c: &mut AnyConnection,
    q: &KeyQuery,
    now: time::PrimitiveDateTime,
    memberships: &[Membership],
    size: usize,
) -> Result<Option<Found>> {
    let visible: Vec<&Membership> = memberships
        .iter()
        .filter(|m| m.access.can_view_keys())
        .filter(|m| {
            q.workspace
                .as_deref()
                .is_none_or(|w| w == m.workspace.public_id)
        })
        .collect();
    let visible_ids: Vec<WorkspaceId> = visible.iter().map(|m| m.workspace.id).collect();
    if visible_ids.is_empty() {
        return Ok(None);
    }
    let owner = match q.owner.as_deref() {
        None => None,
        Some(OWNER_REMOVED) => Some(OwnerFilter::Removed(workspaces::active_members(
            c,
            &visible_ids,
        )?)),
        Some(public_id) => match users::find_by_public_id(c, public_id)? {
            Some(u) => Some(OwnerFilter::Person(u.id)),
            // Nobody: nothing matches.
            None => return Ok(None),
        },
    };
    let filters = Filters {
        visible: visible_ids,
        status: q.status,
        access: q.access,
        owner,
        now,
    };
    let plan = plan(c, q, &visible, &filters)?;
    let (page, counted) = read(c, q, &filters, plan, size)?;
    Ok(Some(Found {
        page,
        counted,
        filters,
    }))
}

/// A batch of an export: up to `size` keys for `q` (its search, filters and sort; `q.page` says
/// where the batch starts), and where the next one starts, if there are more. No counts, no
/// choices: just the keys, so an export of a million keys reads them a batch at a time.
pub struct ExportBatch {
    pub keys: Vec<KeyListing>,
    pub next: Option<crate::domain::search::Position>,
    /// The name of the workspace the export is filtered to, if it is.
    pub workspace: Option<String>,
}

pub fn export_batch(
    c: &mut AnyConnection,
    viewer: UserId,
    q: &KeyQuery,
    now: time::PrimitiveDateTime,
    size: usize,
) -> Result<ExportBatch> {
    let memberships = workspaces::for_user(c, viewer)?;
    let workspace = q.workspace.as_deref().and_then(|w| {
        memberships
            .iter()
            .find(|m| m.workspace.public_id == w && m.access.can_view_keys())
            .map(|m| m.workspace.name.clone())
    });
    let Some(found) = find(c, q, now, &memberships, size)? else {
        return Ok(ExportBatch {
            keys: Vec::new(),
            next: None,
            workspace,
        });
    };
    let next = found.page.last.clone().filter(|_| found.page.has_after);
    Ok(ExportBatch {
        keys: api_keys::by_ids(c, viewer, &found.page.ids)?,
        next,
        workspace,
    })
}

fn empty(
    memberships: Vec<Membership>,
    people: Vec<Member>,
    any: bool,
    expiring: Vec<(String, String, i64)>,
) -> KeyList {
    KeyList {
        expiring,
        keys: Vec::new(),
        total: Total::Exact(0),
        any,
        page: IdPage::default(),
        memberships,
        people,
        top: Vec::new(),
    }
}

/// The arms that together hold exactly the keys the filters and the search ask for.
///
/// Without a search: every visible workspace; one person's keys (the owner filter); or, for
/// "owner removed", the keys of each owner who is not an active member where they own keys.
/// A search adds the keys whose name or purpose matches (see `read`), the keys of people whose
/// name or email matches, and the keys of workspaces whose name matches. Shorter than three
/// characters, a search matches names (and people, and workspaces) by prefix.
fn plan(c: &mut AnyConnection, q: &KeyQuery, visible: &[&Membership], f: &Filters) -> Result<Plan> {
    // "Expiring soon" is a narrow range of each workspace's expiration index: its keys are read
    // by id (the other filters apply to them as conditions).
    if f.status == Some(StatusFilter::ExpiringSoon) && q.needle().is_none() {
        if let Some(ids) = api_keys::expiring_ids(c, &f.visible, f.now, FEW)? {
            let fixed = if ids.is_empty() {
                Vec::new()
            } else {
                vec![Source::new(Scope::Ids(ids))]
            };
            return Ok(Plan { fixed, text: None });
        }
    }
    let base: Vec<Scope> = match &f.owner {
        None => f.visible.iter().map(|w| Scope::Workspace(*w)).collect(),
        Some(OwnerFilter::Person(u)) => vec![Scope::Owner(*u, f.visible.clone())],
        Some(OwnerFilter::Removed(active)) => removed_owners(c, active)?,
    };
    let (Some(needle), Some(pattern)) = (q.needle(), q.like_pattern()) else {
        return Ok(Plan {
            fixed: base.into_iter().map(Source::new).collect(),
            text: None,
        });
    };
    let mut fixed = Vec::new();

    // The keys' own text.
    let (indexed, condition) = match q.fts_phrase() {
        Some(phrase) => (
            Scope::Text {
                pattern: pattern.clone(),
                phrase,
            },
            TextCondition::Substring(pattern.clone()),
        ),
        None => (
            Scope::NamePrefix(needle.clone()),
            TextCondition::Prefix(needle.clone()),
        ),
    };
    let scan = base
        .iter()
        .map(|scope| Source {
            scope: scope.clone(),
            text: Some(condition.clone()),
        })
        .collect();

    // Their owners: every key of a person whose name or email matches.
    for u in users::matching(c, &pattern)? {
        match &f.owner {
            None => fixed.push(Source::new(Scope::Owner(u, f.visible.clone()))),
            Some(OwnerFilter::Person(p)) if *p == u => {
                fixed.push(Source::new(Scope::Owner(u, f.visible.clone())))
            }
            Some(OwnerFilter::Person(_)) => {}
            Some(OwnerFilter::Removed(_)) => fixed.extend(
                base.iter()
                    .filter(
                        |s| matches!(s, Scope::Pair(_, Some(o)) | Scope::Owner(o, _) if *o == u),
                    )
                    .cloned()
                    .map(Source::new),
            ),
        }
    }

    // Their workspaces: every key of a workspace whose name matches.
    let matches = |name: &str| {
        let name = name.to_lowercase();
        if q.substring() {
            name.contains(&needle)
        } else {
            name.starts_with(&needle)
        }
    };
    for m in visible.iter().filter(|m| matches(&m.workspace.name)) {
        let ws = m.workspace.id;
        match &f.owner {
            None => fixed.push(Source::new(Scope::Workspace(ws))),
            Some(OwnerFilter::Person(p)) => fixed.push(Source::new(Scope::Owner(*p, vec![ws]))),
            Some(OwnerFilter::Removed(_)) => fixed.extend(
                base.iter()
                    .filter_map(|s| match s {
                        Scope::Pair(w, _) if *w == ws => Some(s.clone()),
                        Scope::Owner(u, wss) if wss.contains(&ws) => {
                            Some(Scope::Pair(ws, Some(*u)))
                        }
                        Scope::NoOwner(wss) if wss.contains(&ws) => Some(Scope::NoOwner(vec![ws])),
                        _ => None,
                    })
                    .map(Source::new),
            ),
        }
    }
    Ok(Plan {
        fixed,
        text: Some(TextPlan { indexed, scan }),
    })
}

/// The arms of "owner removed": for each workspace, the people who own keys there (read from the
/// index) but are not active members. A person removed everywhere they own keys is one arm over
/// those workspaces (by the owner's index, every key read is one to show); a person still active
/// somewhere gets one small arm per workspace they left. Keys without an owner are one arm.
fn removed_owners(
    c: &mut AnyConnection,
    active: &[(WorkspaceId, Vec<UserId>)],
) -> Result<Vec<Scope>> {
    use std::collections::BTreeMap;
    let mut owned: BTreeMap<UserId, (Vec<WorkspaceId>, Vec<WorkspaceId>)> = BTreeMap::new();
    let mut without_owner = Vec::new();
    let workspaces: Vec<WorkspaceId> = active.iter().map(|(w, _)| *w).collect();
    for (ws, owner) in page::owners_in(c, &workspaces)? {
        let members = active
            .iter()
            .find(|(w, _)| *w == ws)
            .map(|(_, m)| m.as_slice())
            .unwrap_or_default();
        match owner {
            None => without_owner.push(ws),
            Some(u) => {
                let (everywhere, removed) = owned.entry(u).or_default();
                everywhere.push(ws);
                if !members.contains(&u) {
                    removed.push(ws);
                }
            }
        }
    }
    let mut scopes = Vec::new();
    for (u, (everywhere, removed)) in owned {
        if removed.is_empty() {
            continue;
        }
        if removed.len() == everywhere.len() {
            scopes.push(Scope::Owner(u, removed));
        } else {
            scopes.extend(removed.into_iter().map(|ws| Scope::Pair(ws, Some(u))));
        }
    }
    if !without_owner.is_empty() {
        scopes.push(Scope::NoOwner(without_owner));
    }
    Ok(scopes)
}

/// A key the viewer can see, with its history and who created it.
pub struct KeyDetail {
    pub listing: KeyListing,
    pub history: Vec<(crate::models::audit::Event, Option<String>)>,
    pub created_by: Option<String>,
    /// Requests per day over the last 30 days (days without requests left out).
    pub usage: Vec<(time::Date, i64, i64)>,
}

pub fn detail(
    c: &mut AnyConnection,
    viewer: UserId,
    key: &str,
    today: time::Date,
) -> Result<KeyDetail> {
    let listing = api_keys::find_for_viewer(c, viewer, key)?.ok_or(Error::NotFound)?;
    let history = crate::models::audit::for_subject(
        c,
        listing.key.workspace_id,
        &listing.key.public_id,
        200,
    )?;
    let created_by = crate::models::users::name_of(c, listing.key.created_by)?;
    let usage =
        crate::models::usage::daily(c, listing.key.id, crate::domain::usage::chart_start(today))?;
    Ok(KeyDetail {
        listing,
        history,
        created_by,
        usage,
    })
}
