//! Reading one page: the arms' keys merged in the sort order, a few from each arm first, then
//! more from the arms still in the running.

use super::*;

/// A page-full from every arm is read in one round when it is at most this many keys.
const ONE_ROUND: usize = 400;

/// A key as an arm returns it: which arm, its id and its place in the sort.
#[derive(QueryableByName, Debug)]
struct Candidate {
    #[diesel(sql_type = BigInt)]
    arm: i64,
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    sort_text: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    sort_time: Option<PrimitiveDateTime>,
    #[diesel(sql_type = Nullable<BigInt>)]
    sort_count: Option<i64>,
}

impl Candidate {
    fn position(&self) -> Position {
        let value = match (&self.sort_text, self.sort_time, self.sort_count) {
            (Some(t), _, _) => Some(SortValue::Text(t.clone())),
            (None, Some(t), _) => Some(SortValue::Time(t)),
            (None, None, Some(n)) => Some(SortValue::Count(n)),
            (None, None, None) => None,
        };
        Position { value, id: self.id }
    }
}

/// The phases to read after `from`, in reading order: `false` = keys with a value. Keys without
/// one are not read when the filters leave none (`nullable == false`): SQLite's planner would
/// read that empty phase by `expires_at IS NULL`, every key that never expires in a workspace.
fn phases(r: Reading, nullable: bool, from: Option<&Position>) -> Vec<(bool, Option<Position>)> {
    let order: &[bool] = match (nullable, r.nulls_first) {
        (false, _) => &[false],
        (true, false) => &[false, true],
        (true, true) => &[true, false],
    };
    let Some(from) = from else {
        return order.iter().map(|n| (*n, None)).collect();
    };
    let from_nulls = from.value.is_none();
    let mut out = Vec::new();
    let mut reached = false;
    for &nulls in order {
        if nulls == from_nulls {
            reached = true;
            out.push((nulls, Some(from.clone())));
        } else if reached {
            out.push((nulls, None));
        }
    }
    out
}

/// One arm in one phase, and how far it has been read.
struct Term<'a> {
    source: &'a Source,
    /// Keys without a value in the sort (`true`) or with one.
    nulls: bool,
    /// Read after this position.
    start: Option<Position>,
    /// Nothing more can belong on the page.
    done: bool,
}

/// Reads one page from the given sources: the first `size` keys of their union in the sort order,
/// after (or before) `at`.
///
/// The arms are merged with a threshold: a first round reads a few keys from every arm (one
/// statement), then only arms whose last key still comes before the page's last candidate are
/// read further. With fifty workspaces each arm gives a handful of rows instead of a page each.
///
/// On PostgreSQL, arms that check the search text as they read (scan arms) are read with bitmap
/// scans turned off: with a selective-looking text condition its planner would otherwise gather
/// every match of the trigram index in the workspace and sort them (52 ms for a common word in
/// 186,000 keys) instead of walking the sort's index and stopping after a page (5 ms).
pub fn page(
    c: &mut AnyConnection,
    sources: &[Source],
    f: &Filters,
    sort: SortKey,
    descending: bool,
    at: &Page,
    size: usize,
) -> QueryResult<IdPage> {
    let ordered_only =
        matches!(c, AnyConnection::Postgresql(_)) && sources.iter().any(|s| s.text.is_some());
    if ordered_only {
        diesel::sql_query("SET enable_bitmapscan = off").execute(c)?;
    }
    let read = page_read(c, sources, f, sort, descending, at, size);
    if ordered_only {
        let reset = diesel::sql_query("RESET enable_bitmapscan").execute(c);
        if read.is_ok() {
            reset?;
        }
    }
    read
}

fn page_read(
    c: &mut AnyConnection,
    sources: &[Source],
    f: &Filters,
    sort: SortKey,
    descending: bool,
    at: &Page,
    size: usize,
) -> QueryResult<IdPage> {
    let postgres = matches!(c, AnyConnection::Postgresql(_));
    let (reading, from, backward) = match at {
        Page::First => (forward(sort, descending), None, false),
        Page::After(p) => (forward(sort, descending), Some(p), false),
        Page::Before(p) => (
            Reading {
                sort,
                descending: !descending,
                nulls_first: true,
            },
            Some(p),
            true,
        ),
    };
    // The reading order: a backward reading is the forward order reversed.
    let order = |a: &Position, b: &Position| {
        let o = a.cmp_in(b, descending);
        if backward {
            o.reverse()
        } else {
            o
        }
    };
    let need = size + 1;
    let mut terms: Vec<Term> = sources
        .iter()
        .flat_map(|s| {
            phases(reading, f.may_lack(sort), from)
                .into_iter()
                .map(move |(nulls, start)| Term {
                    source: s,
                    nulls,
                    start,
                    done: false,
                })
        })
        .collect();
    // A few keys from every arm first; arms still in the running then read three times more.
    // On PostgreSQL, when a page-full from every arm is only a few hundred keys (a short page
    // such as "Top keys this week", or few arms), they are read at once: a second statement
    // (parsed, planned, run) costs more than reading them. Not on SQLite, whose statements cost
    // little to prepare, and where some arms read every key they hold to sort them ("Owner
    // removed": 5 ms at p50 for the owner of 186,000 keys became 11 ms).
    let mut limit = match postgres && need * terms.len() <= ONE_ROUND {
        true => need,
        false => need.min((3 * need).div_ceil(2 * terms.len().max(1)).max(2)),
    };
    let mut found: Vec<Position> = Vec::new();
    loop {
        let active: Vec<usize> = (0..terms.len()).filter(|i| !terms[*i].done).collect();
        if active.is_empty() {
            break;
        }
        let mut rows: Vec<Candidate> = Vec::new();
        let read = |i: usize| ArmRead {
            index: i,
            nulls: terms[i].nulls,
            from: terms[i].start.as_ref(),
            limit,
        };
        if postgres {
            // Arms of one shape share a statement over arrays; the rest are `UNION ALL`ed.
            let mut groups: Vec<Vec<usize>> = Vec::new();
            let mut single: Vec<usize> = Vec::new();
            for &i in &active {
                let t = &terms[i];
                if !groupable(&t.source.scope) {
                    single.push(i);
                    continue;
                }
                let same = |j: &usize| {
                    let u = &terms[*j];
                    u.nulls == t.nulls
                        && u.source.text == t.source.text
                        && std::mem::discriminant(&u.source.scope)
                            == std::mem::discriminant(&t.source.scope)
                };
                match groups.iter_mut().find(|g| same(&g[0])) {
                    Some(g) => g.push(i),
                    None => groups.push(vec![i]),
                }
            }
            // A lone arm keeps its own statement, planned with its values: PostgreSQL may then
            // read the few keys of one workspace by `(workspace_id, owner_id)` instead of walking
            // the person's keys in every workspace (the owner filter), and a first page needs no
            // start (an array's start is a sentinel, `(expires_at, id) < ('infinity', max)`, from
            // which a backward scan of the expiry index walks every key that has not expired yet
            // to reach the expired ones: 136 ms in a workspace of 186,000 keys).
            groups.retain(|g| {
                let lone = g.len() == 1;
                if lone {
                    single.push(g[0]);
                }
                !lone
            });
            single.sort_unstable();
            for chunk in single.chunks(ARMS_PER_STATEMENT) {
                let mut sql = Sql::new(true);
                let mut first = true;
                for g in &groups {
                    if !first {
                        sql.push(" UNION ALL ");
                    }
                    first = false;
                    let reads: Vec<(&Source, ArmRead)> =
                        g.iter().map(|i| (terms[*i].source, read(*i))).collect();
                    lateral(&mut sql, &reads, f, reading);
                }
                groups.clear();
                for i in chunk {
                    if !first {
                        sql.push(" UNION ALL ");
                    }
                    first = false;
                    arm(&mut sql, terms[*i].source, f, reading, read(*i));
                }
                rows.extend(sql.load::<Candidate>(c)?);
            }
            if !groups.is_empty() {
                let mut sql = Sql::new(true);
                for (k, g) in groups.iter().enumerate() {
                    if k > 0 {
                        sql.push(" UNION ALL ");
                    }
                    let reads: Vec<(&Source, ArmRead)> =
                        g.iter().map(|i| (terms[*i].source, read(*i))).collect();
                    lateral(&mut sql, &reads, f, reading);
                }
                rows.extend(sql.load::<Candidate>(c)?);
            }
        } else {
            for chunk in active.chunks(ARMS_PER_STATEMENT) {
                let mut sql = Sql::new(false);
                for (k, i) in chunk.iter().enumerate() {
                    if k > 0 {
                        sql.push(" UNION ALL ");
                    }
                    arm(&mut sql, terms[*i].source, f, reading, read(*i));
                }
                rows.extend(sql.load::<Candidate>(c)?);
            }
        }
        found.extend(rows.iter().map(Candidate::position));
        found.sort_by(|a, b| order(a, b));
        found.dedup_by(|a, b| a.id == b.id);
        // The page's last candidate so far: an arm whose last key comes after it is finished.
        let threshold = found.get(need - 1).cloned();
        for i in active {
            let mine: Vec<Position> = rows
                .iter()
                .filter(|r| r.arm == i as i64)
                .map(Candidate::position)
                .collect();
            let t = &mut terms[i];
            let last = mine.iter().max_by(|a, b| order(a, b)).cloned();
            match last {
                Some(last) if mine.len() >= limit => {
                    let beyond = threshold
                        .as_ref()
                        .is_some_and(|th| order(&last, th) != std::cmp::Ordering::Less);
                    t.done = beyond;
                    t.start = Some(last);
                }
                _ => t.done = true,
            }
        }
        limit = need.min(limit * 3);
    }
    let more = found.len() > size;
    found.truncate(size);
    if backward {
        found.reverse();
    }
    Ok(IdPage {
        ids: found.iter().map(|p| p.id).collect(),
        first: found.first().cloned(),
        last: found.last().cloned(),
        has_before: if backward { more } else { from.is_some() },
        has_after: if backward { true } else { more },
    })
}

fn forward(sort: SortKey, descending: bool) -> Reading {
    Reading {
        sort,
        descending,
        nulls_first: false,
    }
}
