//! How many keys a list holds (capped, within a time budget), the ids a search's index finds, and
//! the owners of keys in workspaces.

use super::*;

/// What a count may cost: past it, the list says "N+ keys" and pages on by cursor.
const COUNT_BUDGET: std::time::Duration = std::time::Duration::from_millis(6);

/// How many keys the sources hold, counted up to `cap` within `COUNT_BUDGET`. Each source is
/// counted by whichever index covers it best (no `INDEXED BY`: the count has no order).
pub fn count(
    c: &mut AnyConnection,
    sources: &[Source],
    f: &Filters,
    cap: usize,
    at_least: usize,
) -> QueryResult<Total> {
    let counted = crate::db::within(c, COUNT_BUDGET, |c| count_now(c, sources, f, cap))?;
    Ok(counted.unwrap_or(Total::AtLeast(at_least)))
}

/// How many keys the sources hold, counted up to `cap` whatever it costs (for a decision that
/// must not depend on how busy the machine is; `cap` bounds the work).
pub fn count_now(
    c: &mut AnyConnection,
    sources: &[Source],
    f: &Filters,
    cap: usize,
) -> QueryResult<Total> {
    let postgres = matches!(c, AnyConnection::Postgresql(_));
    // Workspace arms with one search condition are counted as one `IN` list.
    let mut merged: Vec<Source> = Vec::new();
    for s in sources {
        if let Scope::Workspace(ws) = s.scope {
            if let Some(m) = merged
                .iter_mut()
                .find(|m| m.text == s.text && matches!(m.scope, Scope::Workspaces(_)))
            {
                if let Scope::Workspaces(list) = &mut m.scope {
                    list.push(ws);
                }
                continue;
            }
            merged.push(Source {
                scope: Scope::Workspaces(vec![ws]),
                text: s.text.clone(),
            });
        } else {
            merged.push(s.clone());
        }
    }
    let sources = &merged[..];
    // Sources may overlap (a key found by its name and by its owner): count distinct ids.
    let overlapping = sources.len() > 1
        && sources
            .iter()
            .any(|s| !matches!(s.scope, Scope::Workspaces(_)));
    let fetch = if overlapping { cap * 3 + 3 } else { cap + 1 };
    let mut ids = std::collections::HashSet::new();
    let mut fetched = 0;
    for chunk in sources.chunks(ARMS_PER_STATEMENT) {
        let mut sql = Sql::new(postgres);
        sql.push("SELECT id FROM (");
        for (i, source) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            sql.push("SELECT k.id AS id");
            from_clause(&mut sql, source, None);
            conditions(&mut sql, source, f);
        }
        sql.push(&format!(") AS counted LIMIT {}", fetch - fetched));
        let rows = sql.load::<Id>(c)?;
        fetched += rows.len();
        ids.extend(rows.into_iter().map(|r| r.id));
        if ids.len() > cap || fetched >= fetch {
            return Ok(Total::AtLeast(ids.len().min(cap)));
        }
    }
    Ok(Total::Exact(ids.len()))
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The keys in the visible workspaces that a `Text` or `NamePrefix` scope's index finds, when
/// there are at most `cap` (else `None`: reading them all and sorting would be the slow way).
/// One index read: the page and its count then look these keys up by id. (A text search counts
/// the keys of every workspace, an upper bound; `Scope::Ids` keeps the visible ones.)
pub fn matching_ids(
    c: &mut AnyConnection,
    scope: &Scope,
    visible: &[WorkspaceId],
    cap: usize,
) -> QueryResult<Option<Vec<i64>>> {
    let postgres = matches!(c, AnyConnection::Postgresql(_));
    let mut sql = Sql::new(postgres);
    match scope {
        Scope::Text { phrase, .. } if !postgres => {
            sql.push("SELECT rowid AS id FROM api_keys_search WHERE api_keys_search MATCH ")
                .bind(Bind::Text(format!("{{name purpose}} : {phrase}")));
        }
        Scope::Text { pattern, .. } => {
            // Not restricted to the visible workspaces: PostgreSQL would AND the trigram bitmap
            // with a workspace's whole index range, which costs more than the keys it removes.
            sql.push("SELECT k.id AS id FROM api_keys AS k WHERE TRUE");
            substring(&mut sql, pattern);
        }
        Scope::NamePrefix(prefix) => {
            sql.push("SELECT k.id AS id FROM api_keys AS k WHERE ");
            in_list(&mut sql, "k.workspace_id", visible.iter().map(|w| w.0));
            prefix_range(&mut sql, prefix);
        }
        _ => return Ok(None),
    }
    sql.push(&format!(" LIMIT {}", cap + 1));
    let ids: Vec<i64> = sql.load::<Id>(c)?.into_iter().map(|r| r.id).collect();
    Ok((ids.len() <= cap).then_some(ids))
}

/// The people who own keys in each of these workspaces (`None` for keys without an owner): from
/// `key_owners` (kept by triggers), and one index seek per workspace for keys without an owner.
pub fn owners_in(
    c: &mut AnyConnection,
    workspaces: &[WorkspaceId],
) -> QueryResult<Vec<(WorkspaceId, Option<UserId>)>> {
    use crate::db::schema::key_owners;
    if workspaces.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<(WorkspaceId, Option<UserId>)> = key_owners::table
        .filter(key_owners::workspace_id.eq_any(workspaces.iter().map(|w| w.0)))
        .filter(key_owners::keys.gt(0))
        .select((key_owners::workspace_id, key_owners::owner_id))
        .load::<(i64, i64)>(c)?
        .into_iter()
        .map(|(w, o)| (WorkspaceId(w), Some(UserId(o))))
        .collect();
    #[derive(QueryableByName)]
    struct Ws {
        #[diesel(sql_type = BigInt)]
        ws: i64,
    }
    let postgres = matches!(c, AnyConnection::Postgresql(_));
    let list = workspaces
        .iter()
        .map(|w| w.0.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let mut sql = Sql::new(postgres);
    let each = if postgres {
        sql.push("SELECT u.w AS ws FROM unnest(")
            .bind(Bind::Text(format!("{{{list}}}")))
            .push("::bigint[]) AS u(w)");
        "u.w"
    } else {
        sql.push("SELECT json_each.value AS ws FROM json_each(")
            .bind(Bind::Text(format!("[{list}]")))
            .push(")");
        "json_each.value"
    };
    sql.push(&format!(
        " WHERE EXISTS (SELECT 1 FROM api_keys WHERE workspace_id = {each} AND owner_id IS NULL)"
    ));
    out.extend(
        sql.load::<Ws>(c)?
            .into_iter()
            .map(|w| (WorkspaceId(w.ws), None)),
    );
    Ok(out)
}
