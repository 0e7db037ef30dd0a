use super::*;
use time::macros::datetime;

fn q(s: &str) -> KeyQuery {
    KeyQuery::parse(&serde_urlencoded::from_str::<KeyQueryParams>(s).unwrap())
}

#[test]
fn defaults() {
    let d = q("");
    assert_eq!(d.sort, SortKey::Created);
    assert!(d.descending);
    assert_eq!(d.page, Page::First);
    assert_eq!(d.like_pattern(), None);
    assert_eq!(
        d.href(&Page::First, SortKey::Created, true),
        "/settings/api-keys"
    );
}

#[test]
fn wildcards_are_literal() {
    assert_eq!(q("q=100%25_off").like_pattern().unwrap(), "%100\\%\\_off%");
    assert_eq!(q("q=A\\B").like_pattern().unwrap(), "%a\\\\b%");
    assert_eq!(
        q("q=A\\").like_pattern().unwrap(),
        "a\\\\%",
        "short: a prefix"
    );
    assert_eq!(q("q=CRM").like_pattern().unwrap(), "%crm%");
    assert_eq!(q("q=ab").like_pattern().unwrap(), "ab%");
    assert_eq!(
        q("q=Say \"hi\"").fts_phrase().unwrap(),
        "\"say \"\"hi\"\"\""
    );
    assert_eq!(q("q=ab").fts_phrase(), None);
}

#[test]
fn bad_values_fall_back() {
    let x = q("status=weird&access=root&sort=drop&after=garbage");
    assert_eq!(
        (x.status, x.access, x.sort, x.page),
        (None, None, SortKey::Created, Page::First)
    );
    let n = q("sort=name");
    assert!(!n.descending, "names sort A to Z by default");
}

#[test]
fn invalid_utf8_is_set_aside_with_a_reason() {
    let x = q("q=%FF%FE");
    assert_eq!(x.q, "");
    assert_eq!(x.q_error, Some(INVALID_SEARCH));
    assert_eq!(q("q=caf%C3%A9").q_error, None);
}

#[test]
fn cursors_round_trip_and_belong_to_their_sort() {
    let at = datetime!(2026-11-27 10:00:01.123456);
    for (sort, value) in [
        (SortKey::Name, Some(SortValue::Text("crm ~ sync".into()))),
        (SortKey::Created, Some(SortValue::Time(at))),
        (SortKey::LastUsed, None),
        (SortKey::Expires, Some(SortValue::Time(at))),
        (SortKey::MostUsed, Some(SortValue::Count(1204))),
    ] {
        let p = Position { value, id: 42 };
        let c = p.cursor(sort, true);
        assert_eq!(Position::from_cursor(&c, sort, true), Some(p.clone()));
        assert_eq!(
            Position::from_cursor(&c, sort, false),
            None,
            "another direction"
        );
        let other = if sort == SortKey::Name {
            SortKey::Created
        } else {
            SortKey::Name
        };
        assert_eq!(Position::from_cursor(&c, other, true), None, "another sort");
    }
    let none = Position { value: None, id: 1 };
    assert_eq!(
        Position::from_cursor(&none.cursor(SortKey::Created, true), SortKey::Created, true),
        None,
        "created always has a value"
    );
    assert_eq!(
        Position::from_cursor(
            &none.cursor(SortKey::MostUsed, true),
            SortKey::MostUsed,
            true
        ),
        None,
        "every key has a count"
    );
}

#[test]
fn positions_without_a_value_come_last_either_way() {
    let t = |h| {
        Some(SortValue::Time(
            datetime!(2026-11-27 10:00) + time::Duration::hours(h),
        ))
    };
    let mut v = [
        Position { value: None, id: 2 },
        Position { value: t(1), id: 5 },
        Position { value: None, id: 9 },
        Position { value: t(2), id: 1 },
        Position { value: t(1), id: 3 },
    ];
    v.sort_by(|a, b| a.cmp_in(b, false));
    assert_eq!(v.iter().map(|p| p.id).collect::<Vec<_>>(), [3, 5, 1, 2, 9]);
    v.sort_by(|a, b| a.cmp_in(b, true));
    assert_eq!(v.iter().map(|p| p.id).collect::<Vec<_>>(), [1, 5, 3, 9, 2]);
}

#[test]
fn href_round_trips() {
    let x = q("q=crm sync&status=active&sort=name&dir=asc");
    let after = Page::After(Position {
        value: Some(SortValue::Text("crm".into())),
        id: 7,
    });
    let href = x.href(&after, x.sort, x.descending);
    let back = q(href.split_once('?').unwrap().1);
    assert_eq!(back, KeyQuery { page: after, ..x });
}
