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
        if let Scope::All = s.scope {
            // The same keys as an arm per visible workspace.
            merged.push(Source {
                scope: Scope::Workspaces(f.visible.clone()),
                text: s.text.clone(),
            });
        } else if let Scope::Workspace(ws) = s.scope {
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
    if let [source] = sources {
        // One arm: counted by the database (up to `fetch`), not by loading every id.
        let mut sql = Sql::new(postgres);
        sql.push("SELECT COUNT(*) AS n FROM (");
        counted_arm(&mut sql, source, f);
        sql.push(&format!(" LIMIT {fetch}) AS counted"));
        let n = sql.load::<Counted>(c)?.first().map_or(0, |r| r.n as usize);
        return Ok(if n > cap {
            Total::AtLeast(cap)
        } else {
            Total::Exact(n)
        });
    }
    let mut ids = std::collections::HashSet::new();
    let mut fetched = 0;
    for chunk in sources.chunks(ARMS_PER_STATEMENT) {
        let mut sql = Sql::new(postgres);
        sql.push("SELECT id FROM (");
        for (i, source) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            counted_arm(&mut sql, source, f);
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

/// `SELECT k.id AS id FROM … WHERE …` of one arm, for counting.
fn counted_arm(sql: &mut Sql, source: &Source, f: &Filters) {
    sql.push("SELECT k.id AS id");
    // "Unused" checks the last use, which the state index SQLite picks does not hold (every key
    // it finds was read from the table: 3 ms for 1,001 of a million, out of the budget under
    // load); the default order's index holds it (1 ms).
    let unused = !sql.postgres
        && f.status == Some(StatusFilter::Unused)
        && source.text.is_none()
        && matches!(source.scope, Scope::Workspaces(_));
    from_clause(sql, source, f, unused.then_some(SortKey::Created));
    conditions(sql, source, f);
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    n: i64,
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
/// On PostgreSQL, `rarest` (a word of the search, `TextEstimate::rarest`) is what the index is
/// read with; the whole search is then checked on each key it finds.
pub fn matching_ids(
    c: &mut AnyConnection,
    scope: &Scope,
    rarest: Option<&str>,
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
            match rarest {
                Some(word) => word_first(&mut sql, word, pattern),
                None => substring(&mut sql, pattern),
            }
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

/// What PostgreSQL's planner expects of a `Text` search, from the statistics `ANALYZE` keeps on
/// the trigram indexes' expressions (`lower(name)`, `lower(purpose)`; a substring's estimate is
/// coarse, from 100 sampled values): one statement planned, not run.
pub struct TextEstimate {
    /// How many keys the search matches (in every workspace).
    pub matches: f64,
    /// The word of a search of several that the fewest keys hold, as a LIKE pattern: the trigram
    /// index is probed with it alone (the whole search is checked on what it finds). A long
    /// search's many trigrams include common ones, whose index entries all had to be read.
    pub rarest: Option<String>,
}

/// The planner's `TextEstimate` for a `Text` scope on PostgreSQL. `None` on SQLite (its FTS index
/// answers a probe itself quickly) and for other scopes.
pub fn estimate_text(c: &mut AnyConnection, scope: &Scope) -> QueryResult<Option<TextEstimate>> {
    let (AnyConnection::Postgresql(_), Scope::Text { pattern, .. }) = (&*c, scope) else {
        return Ok(None);
    };
    #[derive(QueryableByName)]
    struct PlanJson {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        json: String,
    }
    let words = words_of(pattern);
    let mut sql = Sql::new(true);
    sql.push("EXPLAIN (FORMAT JSON) SELECT k.id FROM api_keys AS k WHERE TRUE");
    substring(&mut sql, pattern);
    for word in &words {
        sql.push(" UNION ALL SELECT k.id FROM api_keys AS k WHERE TRUE");
        substring(&mut sql, word);
    }
    let plan = sql.load::<PlanJson>(c)?;
    let Some(rows) = plan
        .first()
        .and_then(|p| planned_rows(&p.json, words.len()))
    else {
        return Ok(None);
    };
    let rarest = words
        .into_iter()
        .zip(rows[1..].iter().copied())
        .min_by(|(a, ra), (b, rb)| ra.total_cmp(rb).then(b.len().cmp(&a.len())))
        .map(|(word, _)| word);
    Ok(Some(TextEstimate {
        matches: rows[0],
        rarest,
    }))
}

/// The words (3 characters or more, for a trigram) of a search of several, each as a LIKE
/// pattern `%word%`: from the search's own pattern `%…%` (escapes kept, `\` then one character).
fn words_of(pattern: &str) -> Vec<String> {
    let inner = pattern
        .strip_prefix('%')
        .and_then(|p| p.strip_suffix('%'))
        .unwrap_or_default();
    let mut words: Vec<String> = Vec::new();
    let (mut word, mut length, mut escaped) = (String::new(), 0, false);
    for ch in inner.chars().chain(std::iter::once(' ')) {
        if !escaped && ch.is_whitespace() {
            if length >= 3 && !words.iter().any(|w| w[1..w.len() - 1] == word) {
                words.push(format!("%{word}%"));
            }
            (word, length) = (String::new(), 0);
            continue;
        }
        word.push(ch);
        if escaped || ch != '\\' {
            length += 1;
            escaped = false;
        } else {
            escaped = true;
        }
    }
    // One word that is the whole search has no part to probe with.
    if words.len() == 1 && words[0] == pattern {
        words.clear();
    }
    // Each word is one more arm to plan: a search of up to 200 characters keeps its longest few
    // (more characters, more trigrams, fewer keys, as a rule).
    if words.len() > MAX_WORDS {
        words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        words.truncate(MAX_WORDS);
    }
    words
}

/// How many words of a search PostgreSQL is asked to estimate.
const MAX_WORDS: usize = 6;

/// The planned rows of a `UNION ALL` of `arms` statements (or of one statement), in order, from
/// `EXPLAIN (FORMAT JSON)`.
fn planned_rows(json: &str, arms: usize) -> Option<Vec<f64>> {
    let plan: serde_json::Value = serde_json::from_str(json).ok()?;
    let top = &plan.get(0)?["Plan"];
    let rows = |node: &serde_json::Value| node["Plan Rows"].as_f64();
    if arms == 0 {
        return Some(vec![rows(top)?]);
    }
    let children = top["Plans"].as_array()?;
    (children.len() == arms + 1).then(|| children.iter().map(rows).collect::<Option<Vec<_>>>())?
}

/// Which of an owner's keys `tallied` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tallied {
    All,
    Revoked,
    Access(AccessLevel),
}

/// How many keys these workspaces hold with an owner (all of them, the revoked ones, or those of
/// one access level), or one person's keys there: from their `key_owners` rows (kept by triggers
/// in the transaction that changes a key), one read of at most a row per workspace and owner.
pub fn tallied(
    c: &mut AnyConnection,
    workspaces: &[WorkspaceId],
    owner: Option<UserId>,
    which: Tallied,
) -> QueryResult<usize> {
    use crate::db::schema::key_owners;
    // Summed by the database: one row back rather than one per workspace and owner.
    let counted = match which {
        Tallied::All => "keys",
        Tallied::Revoked => "keys - unrevoked",
        Tallied::Access(AccessLevel::ReadWrite) => "read_write",
        Tallied::Access(AccessLevel::ReadOnly) => "keys - read_write",
    };
    let sum = diesel::dsl::sql::<BigInt>(&format!("CAST(COALESCE(SUM({counted}), 0) AS BIGINT)"));
    let mut rows = key_owners::table
        .filter(key_owners::workspace_id.eq_any(workspaces.iter().map(|w| w.0)))
        .select(sum)
        .into_boxed();
    if let Some(u) = owner {
        rows = rows.filter(key_owners::owner_id.eq(u.0));
    }
    let n: i64 = rows.first(c)?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The people who own keys in each of these workspaces, with how many keys (revoked or not) each
/// owns there: from `key_owners` (kept by triggers); and, with `None` and 0 (not counted), each
/// workspace that has keys without an owner (one index seek per workspace).
pub fn owners_in(
    c: &mut AnyConnection,
    workspaces: &[WorkspaceId],
) -> QueryResult<Vec<(WorkspaceId, Option<UserId>, i64)>> {
    use crate::db::schema::key_owners;
    if workspaces.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<(WorkspaceId, Option<UserId>, i64)> = key_owners::table
        .filter(key_owners::workspace_id.eq_any(workspaces.iter().map(|w| w.0)))
        .filter(key_owners::keys.gt(0))
        .select((
            key_owners::workspace_id,
            key_owners::owner_id,
            key_owners::keys,
        ))
        .load::<(i64, i64, i64)>(c)?
        .into_iter()
        .map(|(w, o, n)| (WorkspaceId(w), Some(UserId(o)), n))
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
            .map(|w| (WorkspaceId(w.ws), None, 0)),
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_search_of_several_words_is_probed_by_its_words() {
        assert_eq!(
            super::words_of("%shopify partner feed 1235%"),
            ["%shopify%", "%partner%", "%feed%", "%1235%"]
        );
        // Too short for a trigram, repeated, or the whole search: not a part.
        assert_eq!(super::words_of("%crm to crm sync%"), ["%crm%", "%sync%"]);
        assert!(super::words_of("%zapier%").is_empty());
        assert_eq!(super::words_of("%ab 1235%"), ["%1235%"]);
        // Escapes stay, and count as one character.
        assert_eq!(super::words_of("%50\\% off%"), ["%50\\%%", "%off%"]);
        assert_eq!(super::words_of("%a\\_b x%"), ["%a\\_b%"]);
        // Many words: the longest few.
        let many = super::words_of("%one two three four fives sixes sevens eights nines tens%");
        assert_eq!(many.len(), super::MAX_WORDS);
        assert_eq!(many[..3], ["%sevens%", "%eights%", "%three%"]);
        assert!(!many.contains(&"%one%".to_owned()));
    }

    #[test]
    fn the_planned_rows_are_read_from_the_plan() {
        let union = r#"[{"Plan": {"Node Type": "Append", "Plan Rows": 30460, "Plans": [
            {"Node Type": "Bitmap Heap Scan", "Plan Rows": 100},
            {"Node Type": "Bitmap Heap Scan", "Plan Rows": 30360}]}}]"#;
        assert_eq!(super::planned_rows(union, 1), Some(vec![100.0, 30360.0]));
        let one = r#"[{"Plan": {"Node Type": "Seq Scan", "Plan Rows": 30360}}]"#;
        assert_eq!(super::planned_rows(one, 0), Some(vec![30360.0]));
        assert_eq!(super::planned_rows(one, 1), None);
        assert_eq!(super::planned_rows("not json", 0), None);
    }
}
