use super::*;
use proptest::prelude::*;
use time::macros::{date, datetime};

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
}

#[test]
fn generated_keys_have_the_documented_shape() {
    let k = PlainKey::generate();
    let s = k.expose();
    assert_eq!(s.len(), 40);
    assert!(s.starts_with("mlr_"));
    assert!(s[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(&s[34..], checksum(&s[4..34]));
    assert_eq!(PlainKey::parse(s), Ok(k.clone()));
    assert_eq!(k.hint(), format!("mlr_…{}", &s[36..]));
    assert_eq!(k.hash().as_str().len(), 64);
    assert!(!format!("{k:?}").contains(&s[4..]));
    assert!(!format!("{:?}", k.hash()).contains(&k.hash().as_str()[8..]));
}

#[test]
fn parse_rejects_each_kind_of_bad_key() {
    let good = PlainKey::generate().expose().to_owned();
    assert_eq!(
        PlainKey::parse(&good.replacen("mlr_", "mlx_", 1)),
        Err(KeyFormatError::Prefix)
    );
    assert_eq!(PlainKey::parse(&good[4..]), Err(KeyFormatError::Prefix));
    assert_eq!(PlainKey::parse(&good[..39]), Err(KeyFormatError::Length));
    assert_eq!(
        PlainKey::parse(&format!("{good}x")),
        Err(KeyFormatError::Length)
    );
    let mut bad = good.clone().into_bytes();
    bad[10] = b'-';
    assert_eq!(
        PlainKey::parse(&String::from_utf8(bad).unwrap()),
        Err(KeyFormatError::Alphabet)
    );
    let mut flipped = good.clone().into_bytes();
    flipped[10] = if flipped[10] == b'a' { b'b' } else { b'a' };
    assert_eq!(
        PlainKey::parse(&String::from_utf8(flipped).unwrap()),
        Err(KeyFormatError::Checksum)
    );
    assert_eq!(PlainKey::parse(""), Err(KeyFormatError::Prefix));
    assert_eq!(PlainKey::parse("mlr_é"), Err(KeyFormatError::Length));
}

#[test]
fn keys_are_unique() {
    let keys: std::collections::HashSet<String> = (0..1000)
        .map(|_| PlainKey::generate().expose().to_owned())
        .collect();
    assert_eq!(keys.len(), 1000);
}

proptest! {
    #[test]
    fn every_generated_key_parses(_seed in 0u32..1000) {
        let k = PlainKey::generate();
        prop_assert_eq!(PlainKey::parse(k.expose()), Ok(k));
    }

    #[test]
    fn a_single_changed_character_is_caught(pos in 4usize..40, replacement in "[0-9A-Za-z]") {
        let k = PlainKey::generate();
        let mut s = k.expose().to_owned().into_bytes();
        let r = replacement.as_bytes()[0];
        prop_assume!(s[pos] != r);
        s[pos] = r;
        let changed = String::from_utf8(s).unwrap();
        prop_assert_eq!(PlainKey::parse(&changed), Err(KeyFormatError::Checksum));
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,60}") {
        let _ = PlainKey::parse(&s);
    }

    #[test]
    fn checksum_is_always_six_base62_chars(s in "[0-9A-Za-z]{30}") {
        let c = checksum(&s);
        prop_assert_eq!(c.len(), 6);
        prop_assert!(c.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}

#[test]
fn expirations() {
    let today = date!(2026 - 11 - 27);
    let now = datetime!(2026-11-27 10:00);
    assert_eq!(
        Expiration::parse("30", "", today).unwrap().expires_at(now),
        Some(datetime!(2026-12-27 10:00))
    );
    assert_eq!(
        Expiration::parse("never", "", today)
            .unwrap()
            .expires_at(now),
        None
    );
    assert_eq!(
        Expiration::parse("custom", "2026-12-31", today)
            .unwrap()
            .expires_at(now),
        Some(datetime!(2027-01-01 00:00))
    );
    assert_eq!(
        Expiration::parse("custom", "2026-11-27", today)
            .unwrap_err()
            .field,
        "expires_on"
    );
    assert_eq!(
        Expiration::parse("custom", "2026-11-01", today)
            .unwrap_err()
            .field,
        "expires_on"
    );
    assert_eq!(
        Expiration::parse("custom", "soon", today)
            .unwrap_err()
            .field,
        "expires_on"
    );
    assert_eq!(
        Expiration::parse("7", "", today).unwrap_err().field,
        "expiration"
    );
}

#[test]
fn expiring_soon_and_unused() {
    let now = datetime!(2026-11-27 10:00);
    let created = now - Duration::days(10);
    let f = StatusFilter::ExpiringSoon;
    assert!(f.matches(None, Some(now + Duration::days(7)), None, created, now));
    assert!(!f.matches(None, Some(now + Duration::days(8)), None, created, now));
    assert!(
        !f.matches(None, Some(now), None, created, now),
        "expired already"
    );
    assert!(!f.matches(Some(now), Some(now + Duration::days(1)), None, created, now));
    assert!(!f.matches(None, None, None, created, now));
    let u = StatusFilter::Unused;
    assert!(u.matches(None, None, Some(now - Duration::days(90)), created, now));
    assert!(!u.matches(None, None, Some(now - Duration::days(89)), created, now));
    assert!(!u.matches(None, None, None, now - Duration::days(29), now));
    assert!(u.matches(None, None, None, now - Duration::days(30), now));
    assert!(
        !u.matches(None, Some(now), None, now - Duration::days(60), now),
        "expired"
    );
    assert_eq!(
        unused_since(None, now - Duration::days(45), now),
        Some(now - Duration::days(45))
    );
    for f in StatusFilter::ALL {
        assert_eq!(StatusFilter::parse(f.as_str()), Some(f));
    }
    assert_eq!(StatusFilter::parse("stale"), None);
}

/// The rule the README publishes, written again from scratch: `^mlr_[0-9A-Za-z]{36}$`, and
/// the last 6 characters are the CRC-32 (IEEE, bitwise here) of the 30 before them, in base62
/// most significant first.
fn published_rule(t: &str) -> bool {
    let Some(rest) = t.strip_prefix("mlr_") else {
        return false;
    };
    if rest.len() != 36 || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (secret, check) = rest.split_at(30);
    let mut crc = 0xFFFF_FFFFu32;
    for b in secret.bytes() {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    let mut n = !crc;
    let alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut expect = [0u8; 6];
    for slot in expect.iter_mut().rev() {
        *slot = alphabet[(n % 62) as usize];
        n /= 62;
    }
    check.as_bytes() == expect
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]
    /// The offline checker, the server's parser and the published rule agree on random
    /// tokens and on one-character mutations of real keys.
    #[test]
    fn the_checker_agrees_with_the_server_and_the_published_rule(
        pos in 0usize..40,
        c in proptest::char::range('0', 'z'),
        mutate in proptest::bool::ANY,
        noise in "[a-z_0-9A-Z]{0,44}",
    ) {
        let real = PlainKey::generate().expose().to_owned();
        let token = if mutate {
            let mut b: Vec<char> = real.chars().collect();
            b[pos] = c;
            b.into_iter().collect::<String>()
        } else if pos % 2 == 0 {
            real.clone()
        } else {
            noise.clone()
        };
        let server = PlainKey::parse(&token).is_ok();
        prop_assert_eq!(server, published_rule(&token), "{}", token);
        let checker = check_token(&token);
        if token.starts_with("mlr_") {
            prop_assert_eq!(checker.is_ok(), server, "{}", token);
        }
    }
}

#[test]
fn oauth_tokens_are_checked_by_format() {
    let t = format!("mlra_{}", "a".repeat(40));
    assert!(check_token(&t).unwrap().contains("access token"));
    assert!(check_token("mlrr_short").is_err());
    assert!(check_token("ghp_something").is_err());
}

#[test]
fn overlaps() {
    let now = datetime!(2026-11-27 10:00);
    assert_eq!(Overlap::parse("").unwrap(), Overlap::Immediately);
    assert_eq!(Overlap::parse("now").unwrap().until(now), None);
    assert_eq!(
        Overlap::parse("1h").unwrap().until(now),
        Some(datetime!(2026-11-27 11:00))
    );
    assert_eq!(
        Overlap::parse("24h").unwrap().until(now),
        Some(datetime!(2026-11-28 10:00))
    );
    assert_eq!(
        Overlap::parse("7d").unwrap().until(now),
        Some(datetime!(2026-12-04 10:00))
    );
    for (v, _) in OVERLAP_CHOICES {
        assert_eq!(Overlap::parse(v).unwrap().value(), v);
    }
    assert_eq!(Overlap::parse("2w").unwrap_err().field, "old_secret");
}

#[test]
fn statuses_and_relative_times() {
    let now = datetime!(2026-11-27 10:00);
    assert_eq!(KeyStatus::of(None, None, now), KeyStatus::Active);
    assert_eq!(KeyStatus::of(None, Some(now), now), KeyStatus::Expired);
    assert_eq!(
        KeyStatus::of(Some(now), Some(now + Duration::days(1)), now),
        KeyStatus::Revoked
    );
}

#[test]
fn names_and_purposes() {
    assert_eq!(
        KeyName::parse("  Website sign-up form ").unwrap().as_str(),
        "Website sign-up form"
    );
    assert!(KeyName::parse(" ").is_err());
    assert!(KeyName::parse(&"n".repeat(81)).is_err());
    assert!(KeyName::parse(&"n".repeat(80)).is_ok());
    assert_eq!(Purpose::parse("").unwrap().as_str(), "");
    assert!(Purpose::parse(&"p".repeat(501)).is_err());
    assert_eq!(
        AccessLevel::parse("read_write").unwrap().label(),
        "Read and Write"
    );
    assert!(AccessLevel::parse("admin").is_err());
}
