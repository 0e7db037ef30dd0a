//! Opaque public ids used in URLs (never the row number), and random tokens.

use rand::distr::Alphanumeric;
use rand::Rng;
use sha2::{Digest, Sha256};

/// A random base62 string of `len` characters from the thread-local CSPRNG.
pub fn random_base62(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A public id such as `ws_4f9K2...`: a type prefix and 16 base62 characters (about 95 bits).
pub fn public_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_base62(16))
}

/// Lower-case hex SHA-256 of a string (session ids, tokens).
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Compares two strings in time that depends only on their lengths (`subtle`).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_and_shaped() {
        let a = public_id("ws");
        let b = public_id("ws");
        assert_ne!(a, b);
        assert!(a.starts_with("ws_"));
        assert_eq!(a.len(), 19);
        assert!(a[3..].chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
