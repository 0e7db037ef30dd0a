//! How a page of Search API keys is read: which index arms hold the keys asked for (`plan`), and
//! how a search of the keys' own text is read, by its trigram index or checked on the keys read
//! in sort order, whichever is quicker (`read`).

use crate::db::ids::{UserId, WorkspaceId};
use crate::db::AnyConnection;
use crate::domain::key::{KeyStatus, StatusFilter};
use crate::domain::search::{KeyQuery, SortKey, COUNT_CAP};
use crate::models::api_keys::page::{
    self, Filters, IdPage, OwnerFilter, Scope, Source, TextCondition,
};
use crate::models::users;
use crate::models::workspaces::{self, Membership};
use crate::services::{Error, Result};

/// A search that its index finds at most this many keys for is read whole (by id) and sorted.
const RARE: usize = 1000;
// More than `RARE` matches is at least the count's cap (see `read`).
const _: () = assert!(RARE >= COUNT_CAP);
/// Past `RARE`, the keys read in sort order are checked against the search, for this long: a
/// common search fills a page quickly this way.
const SCAN_BUDGET: std::time::Duration = std::time::Duration::from_millis(15);
/// When that ran out, a search with at most this many matches is read by id after all.
const FEW: usize = 5000;
/// A probe for at most `cap` matches is skipped when PostgreSQL estimates more than `COMMON`
/// times as many (its estimate of a substring's matches is coarse: from 100 sampled values).
const COMMON: usize = 2;
/// A state's keys, when at most this many, are read from the state index and sorted (SQLite,
/// PostgreSQL): about 0.2 and 0.5 µs a key, index only. (Counted without a budget, up to this
/// many index entries: a count cut short by a busy machine sent the read to the per-workspace
/// arms, 50 times slower here, and past the console's budget.)
const STATE_READ: (usize, usize) = (50_000, 25_000);

/// How a page is read: arms that need no search condition (or carry their own), and the search
/// of the keys' own text, which is read by its index or checked on `scan` arms.
pub(super) struct Plan {
    fixed: Vec<Source>,
    text: Option<TextPlan>,
    /// What is known of how many keys `fixed` holds, without counting them.
    known: Known,
}

/// What a plan knows of its keys' number.
enum Known {
    Nothing,
    /// At least this many.
    AtLeast(usize),
    /// Exactly this many (the plan counted them).
    Exact(usize),
    /// Whose keys they are, every one: `key_owners` can tell how many.
    Tally(Tally),
}

/// Keys that `key_owners` (the per-workspace, per-owner tally kept by triggers) counts: the keys
/// of these workspaces (no search), of one person or of anyone, all of them, the revoked ones or
/// those of one access level.
#[derive(Debug, Clone)]
pub(super) struct Tally {
    pub workspaces: Vec<crate::db::ids::WorkspaceId>,
    /// One person's keys (counted exactly), or everyone's (keys without an owner are not in the
    /// tally: then it is a lower bound).
    pub owner: Option<UserId>,
    pub which: page::Tallied,
}

/// How a page's total is found.
pub(super) enum Counted {
    /// By counting these arms (up to the cap, within the count's budget).
    Arms(Vec<Source>),
    /// Counted already, exactly.
    Exact(usize),
    /// From the tally, read only when the page does not tell (the arms are counted when it says
    /// there are at most the cap and may be keys it does not know of).
    Tallied(Tally, Vec<Source>),
    /// Not counted: at least this many (and at least the page).
    AtLeast(usize),
}

struct TextPlan {
    /// The trigram (or name-prefix) index's scope.
    indexed: Scope,
    /// The base arms with the search as a condition, read in sort order.
    scan: Vec<Source>,
}

/// Reads the page by the plan; returns it and how to find its total: the arms to count, or a
/// lower bound when counting would only spend its budget (PostgreSQL estimates the search's
/// matches at more than 10,000, or the plan already knows there are more than the count's cap).
pub(super) fn read(
    c: &mut AnyConnection,
    q: &KeyQuery,
    f: &Filters,
    plan: Plan,
    size: usize,
) -> Result<(IdPage, Counted)> {
    let Plan { fixed, text, known } = plan;
    let read_page = |c: &mut AnyConnection, sources: &[Source]| {
        if sources.is_empty() {
            return Ok(IdPage::default());
        }
        page::page(c, sources, f, q.sort, q.descending, &q.page, size)
    };
    let Some(TextPlan { indexed, scan }) = text else {
        let page = read_page(c, &fixed)?;
        let counted = match known {
            Known::Exact(n) => Counted::Exact(n),
            Known::AtLeast(n) if n > COUNT_CAP => Counted::AtLeast(COUNT_CAP),
            Known::Tally(t) => Counted::Tallied(t, fixed),
            Known::AtLeast(_) | Known::Nothing => Counted::Arms(fixed),
        };
        return Ok((page, counted));
    };
    let by_ids = |c: &mut AnyConnection, mut fixed: Vec<Source>, ids: Vec<i64>| {
        if !ids.is_empty() {
            fixed.push(Source::new(Scope::Ids(ids)));
        }
        let page = read_page(c, &fixed)?;
        Ok::<_, Error>((page, Counted::Arms(fixed)))
    };
    // PostgreSQL's estimate of the matches skips a probe that would only learn they are many.
    let estimate = page::estimate_text(c, &indexed)?;
    let beyond = |cap: usize| {
        estimate
            .as_ref()
            .is_some_and(|e| e.matches > (COMMON * cap) as f64)
    };
    let rarest = estimate.as_ref().and_then(|e| e.rarest.as_deref());
    // 1. A rare search: read its few keys by id. When the probe finds more than `RARE` keys of
    //    all workspaces, so many are listed too if the viewer sees all of them and no filter
    //    narrows the list (a text probe is not restricted to the visible workspaces, see
    //    `matching_ids`): then the list holds at least the count's cap.
    let mut many = false;
    if !beyond(RARE) {
        match page::matching_ids(c, &indexed, rarest, &f.visible, RARE)? {
            Some(ids) => return by_ids(c, fixed, ids),
            None => many = f.unfiltered() && f.visible.len() == workspaces::count(c)?,
        }
    }
    // 2. A common one: check it on the keys read in sort order, if that is quick.
    let mut arms = fixed.clone();
    arms.extend(scan.iter().cloned());
    let counted = |mut fixed: Vec<Source>| {
        fixed.push(Source::new(indexed.clone()));
        match beyond(FEW) {
            true => Counted::AtLeast(0),
            // Counting would only find the cap (SQLite: 5-8 ms for "zapier" over 50 workspaces).
            false if many => Counted::AtLeast(COUNT_CAP),
            false => Counted::Arms(fixed),
        }
    };
    if let Some(page) = crate::db::within(c, SCAN_BUDGET, |c| read_page(c, &arms))? {
        return Ok((page, counted(fixed)));
    }
    // 3. In between: by id after all, or (very common, and slow to scan: rare in the visible
    //    workspaces) scanned with the console's whole budget.
    if !beyond(FEW) {
        if let Some(ids) = page::matching_ids(c, &indexed, rarest, &f.visible, FEW)? {
            return by_ids(c, fixed, ids);
        }
    }
    let page = read_page(c, &arms)?;
    Ok((page, counted(fixed)))
}

/// The arms that together hold exactly the keys the filters and the search ask for.
///
/// Without a search: every visible workspace; one person's keys (the owner filter); or, for
/// "owner removed", the keys of each owner who is not an active member where they own keys.
/// A search adds the keys whose name or purpose matches (see `read`), the keys of people whose
/// name or email matches, and the keys of workspaces whose name matches. Shorter than three
/// characters, a search matches names (and people, and workspaces) by prefix.
pub(super) fn plan(
    c: &mut AnyConnection,
    q: &KeyQuery,
    visible: &[&Membership],
    f: &Filters,
) -> Result<Plan> {
    if let Some(plan) = state_plan(c, q, f)? {
        return Ok(plan);
    }
    let (base, owned): (Vec<Scope>, usize) = match &f.owner {
        // Without a search, someone who sees every workspace reads them all as one arm. (A
        // search's scan arms keep one per workspace: each checks the text on the keys it reads,
        // from the default order's index, which carries it on PostgreSQL.)
        None if q.needle().is_none() && page::sees_every_workspace(c, &f.visible)? => {
            (vec![Scope::All], 0)
        }
        None => (f.visible.iter().map(|w| Scope::Workspace(*w)).collect(), 0),
        Some(OwnerFilter::Person(u)) => (vec![Scope::Owner(*u, f.visible.clone())], 0),
        Some(OwnerFilter::Removed(active)) => removed_owners(c, active)?,
    };
    let (Some(needle), Some(pattern)) = (q.needle(), q.like_pattern()) else {
        let which = match (f.status, f.access) {
            (None, None) => Some(page::Tallied::All),
            (Some(StatusFilter::Is(KeyStatus::Revoked)), None) => Some(page::Tallied::Revoked),
            (None, Some(access)) => Some(page::Tallied::Access(access)),
            // The other states change with the time: no tally holds them.
            _ => None,
        };
        let tally = |owner, which| {
            Known::Tally(Tally {
                workspaces: f.visible.clone(),
                owner,
                which,
            })
        };
        let known = match (&f.owner, which) {
            (None, Some(which)) => tally(None, which),
            (Some(OwnerFilter::Person(u)), Some(which)) => tally(Some(*u), which),
            // Every key of the arms is listed when no status or access filter narrows them.
            (Some(OwnerFilter::Removed(_)), Some(page::Tallied::All)) => Known::AtLeast(owned),
            _ => Known::Nothing,
        };
        return Ok(Plan {
            fixed: base.into_iter().map(Source::new).collect(),
            text: None,
            known,
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
        known: Known::Nothing,
    })
}

/// The arms of "owner removed": for each workspace, the people who own keys there (read from the
/// index) but are not active members. A person removed everywhere they own keys is one arm over
/// those workspaces (by the owner's index, every key read is one to show); a person still active
/// somewhere gets one small arm per workspace they left. Keys without an owner are one arm.
/// Also returns how many keys the removed owners own there (from `key_owners`, exact; keys
/// without an owner not counted): a lower bound of the arms' keys.
fn removed_owners(
    c: &mut AnyConnection,
    active: &[(WorkspaceId, Vec<UserId>)],
) -> Result<(Vec<Scope>, usize)> {
    use std::collections::BTreeMap;
    let mut owned: BTreeMap<UserId, (Vec<WorkspaceId>, Vec<WorkspaceId>)> = BTreeMap::new();
    let mut without_owner = Vec::new();
    let workspaces: Vec<WorkspaceId> = active.iter().map(|(w, _)| *w).collect();
    let mut owned_keys = 0;
    for (ws, owner, keys) in page::owners_in(c, &workspaces)? {
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
                    owned_keys += usize::try_from(keys).unwrap_or(0);
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
    Ok((scopes, owned_keys))
}

/// The keys of a state read from the state index and sorted (`Scope::State`), the other filters
/// checked on them, while there are at most `STATE_READ` of them: "Expiring soon" in any order
/// (a narrow range of that index), "Expired" by last use or most used. Those keys are no longer
/// used, so these orders hold them last: their indexes walked a workspace's recently used keys
/// first. In the other orders they are spread, and the arms find a page quickly. ("Revoked" in
/// those orders has indexes of its own: `index_for`.)
fn state_plan(c: &mut AnyConnection, q: &KeyQuery, f: &Filters) -> Result<Option<Plan>> {
    let retired = f.status == Some(StatusFilter::Is(KeyStatus::Expired))
        && matches!(q.sort, SortKey::LastUsed | SortKey::MostUsed)
        && f.owner.is_none();
    if q.needle().is_some() || !(f.status == Some(StatusFilter::ExpiringSoon) || retired) {
        return Ok(None);
    }
    let cap = match c {
        AnyConnection::Sqlite(_) => STATE_READ.0,
        AnyConnection::Postgresql(_) => STATE_READ.1,
    };
    let state = [Source::new(Scope::State)];
    // Counted with the filters: the list's total too (not counted again).
    Ok(match page::count_now(c, &state, f, cap)? {
        page::Total::Exact(n) => Some(Plan {
            fixed: state.to_vec(),
            text: None,
            known: Known::Exact(n),
        }),
        _ => None,
    })
}
