//! What the API Keys tab reads: a page of the list with its filters, and one key with its history.

use crate::db::ids::{UserId, WorkspaceId};
use crate::db::{run_db, run_on, AnyConnection, Pool, PooledConn};
use crate::domain::search::{KeyQuery, Page, COUNT_CAP, OWNER_REMOVED, PAGE_SIZE};
use crate::models::api_keys::page::{self, Filters, IdPage, OwnerFilter, Scope, Source, Total};
use crate::models::api_keys::{self, KeyListing};
use crate::models::users;
use crate::models::workspaces::{self, Membership, Person};
use crate::services::Result;

use super::search::{plan, read, Counted};

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
    pub people: Vec<Person>,
    /// For the workspaces where the viewer manages keys: (workspace, public id, how many working
    /// keys expire within 7 days), where any do.
    pub expiring: Vec<(String, String, i64)>,
    /// The most used keys this week in the workspaces shown (on a list that is not searched or
    /// filtered other than by workspace), most first.
    pub top: Vec<KeyListing>,
}

/// How many keys "Top keys this week" names.
pub const TOP_KEYS: usize = 5;

/// The keys of these workspaces with the most successful requests this week (ids, most first):
/// the first page of the "Most used (7 days)" sort, one index range scan per workspace (or one
/// over all keys, for someone who sees every workspace).
fn top_keys(
    c: &mut AnyConnection,
    workspaces: &[WorkspaceId],
    now: time::PrimitiveDateTime,
) -> Result<Vec<i64>> {
    let filters = Filters {
        visible: workspaces.to_vec(),
        status: None,
        access: None,
        owner: None,
        now,
    };
    let sources: Vec<Source> = match page::sees_every_workspace(c, workspaces)? {
        true => vec![Source::new(Scope::All)],
        false => workspaces
            .iter()
            .map(|w| Source::new(Scope::Workspace(*w)))
            .collect(),
    };
    let first = page::page(
        c,
        &sources,
        &filters,
        crate::domain::search::SortKey::MostUsed,
        true,
        &Page::First,
        TOP_KEYS,
    )?;
    Ok(first.ids)
}

/// What of the API Keys page a request shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parts {
    /// The whole page: with the expiring-keys banner, the owner choices and "Top keys this week".
    Whole,
    /// The results alone (htmx's search as you type, sorting and paging): none of those three
    /// are read.
    Results,
}

/// One page of the keys the viewer sees, searched, filtered and sorted as `q` asks. Every read
/// is an index range scan that stops after a page (see `models::api_keys::page`). On the console's
/// pool a statement that runs past its budget fails with `Error::TooSlow`.
pub fn list(
    c: &mut AnyConnection,
    viewer: UserId,
    q: &KeyQuery,
    now: time::PrimitiveDateTime,
    parts: Parts,
) -> Result<KeyList> {
    let whole = parts == Parts::Whole;
    let memberships = workspaces::for_user(c, viewer)?;
    let (expiring, people) = match whole {
        true => notice_and_people(c, &memberships, now)?,
        false => Default::default(),
    };
    let found = find(c, q, now, &memberships, PAGE_SIZE)?;
    let Some(found) = found else {
        let any = any_key(c, &memberships)?;
        return Ok(empty(memberships, people, any, expiring));
    };
    let top_ids = match whole && shows_top(q) {
        true => top_keys(c, &found.filters.visible, now)?,
        false => Vec::new(),
    };
    let mut list = results(c, q, memberships, found, &top_ids)?;
    list.expiring = expiring;
    list.people = people;
    Ok(list)
}

/// The API Keys page for `q`, as `list` reads it, but with its three parts read at once, each on
/// a connection of its own, when no other request is using the pool (`Pool::reading`): the
/// results; the expiring-keys notice and the owner choices; "Top keys this week". A person alone
/// on the console then waits for the slowest part rather than for all of them (the admin of 50
/// workspaces on PostgreSQL: the three take about 5, 3.5 and 3 ms). Otherwise the parts are read
/// one after the other on one connection (`list`): with other requests in flight, reading at
/// once would only add work (each part reads the viewer's workspaces).
pub async fn page(
    pool: &Pool,
    viewer: UserId,
    q: KeyQuery,
    now: time::PrimitiveDateTime,
    parts: Parts,
) -> Result<KeyList> {
    let reading = pool.reading();
    let spare = match parts {
        Parts::Whole => reading.spare(3),
        Parts::Results => None,
    };
    let Some([a, b, d]) = spare.and_then(|s| <[PooledConn; 3]>::try_from(s).ok()) else {
        return run_db(pool, move |c| list(c, viewer, &q, now, parts)).await;
    };
    let top_q = q.clone();
    let (mut list, (expiring, people), top) = tokio::try_join!(
        run_on(pool, Some(a), move |c| list(
            c,
            viewer,
            &q,
            now,
            Parts::Results
        )),
        run_on(pool, Some(b), move |c| {
            let memberships = workspaces::for_user(c, viewer)?;
            notice_and_people(c, &memberships, now)
        }),
        run_on(pool, Some(d), move |c| {
            let memberships = workspaces::for_user(c, viewer)?;
            let visible = visible(&memberships, &top_q);
            if !shows_top(&top_q) || visible.is_empty() {
                return Ok(Vec::new());
            }
            let ids = top_keys(c, &visible, now)?;
            let listings = api_keys::by_ids(c, &memberships, &ids)?;
            Ok(top_of(&ids, &listings))
        }),
    )?;
    list.expiring = expiring;
    list.people = people;
    list.top = top;
    Ok(list)
}

/// Whether the page shows "Top keys this week": on its first page, neither searched nor filtered
/// other than by workspace.
fn shows_top(q: &KeyQuery) -> bool {
    q.q.is_empty()
        && q.owner.is_none()
        && q.status.is_none()
        && q.access.is_none()
        && q.page == Page::First
}

/// For the workspaces where the viewer manages keys, how many working keys expire within 7 days
/// (where any do), and the people who may own keys in the viewer's workspaces.
type NoticeAndPeople = (Vec<(String, String, i64)>, Vec<Person>);

fn notice_and_people(
    c: &mut AnyConnection,
    memberships: &[Membership],
    now: time::PrimitiveDateTime,
) -> Result<NoticeAndPeople> {
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
    let ids: Vec<WorkspaceId> = memberships.iter().map(|m| m.workspace.id).collect();
    let people = workspaces::people_in(c, &ids)?;
    Ok((expiring, people))
}

/// Whether the viewer can see any key at all (for the empty state).
fn any_key(c: &mut AnyConnection, memberships: &[Membership]) -> Result<bool> {
    let all: Vec<WorkspaceId> = memberships
        .iter()
        .filter(|m| m.access.can_view_keys())
        .map(|m| m.workspace.id)
        .collect();
    Ok(!all.is_empty() && api_keys::any_in(c, &all)?)
}

/// The listings of `wanted`, in its order, from `listings`.
fn pick(wanted: &[i64], listings: &[KeyListing]) -> Vec<KeyListing> {
    wanted
        .iter()
        .filter_map(|id| listings.iter().find(|l| l.key.id.0 == *id))
        .cloned()
        .collect()
}

/// "Top keys this week": the listings of `ids` that were used this week.
fn top_of(ids: &[i64], listings: &[KeyListing]) -> Vec<KeyListing> {
    let mut top = pick(ids, listings);
    top.retain(|l| l.key.requests_7d > 0);
    top
}

/// The results of a page found for `q`: its keys and their total, with `top_ids` read in the
/// same read of keys (one read rather than two).
fn results(
    c: &mut AnyConnection,
    q: &KeyQuery,
    memberships: Vec<Membership>,
    found: Found,
    top_ids: &[i64],
) -> Result<KeyList> {
    let Found {
        page,
        counted,
        filters,
    } = found;
    // Whether there is any key at all (the empty state) is only asked of an empty page.
    let any = match page.ids.is_empty() {
        false => true,
        true => any_key(c, &memberships)?,
    };
    let total = match &counted {
        _ if q.page == Page::First && !page.has_after => Total::Exact(page.ids.len()),
        Counted::Arms(arms) => page::count(c, arms, &filters, COUNT_CAP, page.ids.len())?,
        Counted::AtLeast(n) => Total::AtLeast(page.ids.len().max(*n)),
        Counted::Exact(n) => Total::Exact(*n),
        Counted::Tallied(t, arms) => {
            let tallied = page::tallied(c, &t.workspaces, t.owner, t.which)?;
            match t.owner {
                // One person's keys, every one in the tally: exact, however many.
                Some(_) => Total::Exact(tallied),
                None if tallied > COUNT_CAP => Total::AtLeast(COUNT_CAP),
                None => page::count(c, arms, &filters, COUNT_CAP, page.ids.len())?,
            }
        }
    };
    let mut ids = page.ids.clone();
    ids.extend(top_ids.iter().filter(|id| !page.ids.contains(id)));
    let listings = api_keys::by_ids(c, &memberships, &ids)?;
    Ok(KeyList {
        keys: pick(&page.ids, &listings),
        total,
        any,
        page,
        memberships,
        people: Vec::new(),
        expiring: Vec::new(),
        top: top_of(top_ids, &listings),
    })
}

/// A page read for `q`: its ids, the arms to count it by, and the filters it applied.
pub(super) struct Found {
    pub(super) page: IdPage,
    /// How its total is found (see `search::read`).
    counted: Counted,
    filters: Filters,
}

/// The memberships whose workspace's keys the viewer sees on a page for `q` (after its workspace
/// filter).
fn visible_memberships<'a>(
    memberships: &'a [Membership],
    q: &'a KeyQuery,
) -> impl Iterator<Item = &'a Membership> {
    memberships
        .iter()
        .filter(|m| m.access.can_view_keys())
        .filter(|m| {
            q.workspace
                .as_deref()
                .is_none_or(|w| w == m.workspace.public_id)
        })
}

fn visible(memberships: &[Membership], q: &KeyQuery) -> Vec<WorkspaceId> {
    visible_memberships(memberships, q)
        .map(|m| m.workspace.id)
        .collect()
}

/// Reads a page of `size` keys for `q` among the workspaces of `memberships` whose keys the viewer
/// may see; `None` when nothing can match (no such workspace, no such owner).
pub(super) fn find(
    c: &mut AnyConnection,
    q: &KeyQuery,
    now: time::PrimitiveDateTime,
    memberships: &[Membership],
    size: usize,
) -> Result<Option<Found>> {
    let visible: Vec<&Membership> = visible_memberships(memberships, q).collect();
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

fn empty(
    memberships: Vec<Membership>,
    people: Vec<Person>,
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
