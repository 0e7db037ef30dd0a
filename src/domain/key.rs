//! API keys as the product defines them. The format is a product decision that never changes once
//! shipped: `mlr_` + 30 base62 characters from a CSPRNG + a 6-character base62 CRC32 of those 30.
//! 40 characters in all (about 178 bits of secret), recognisable offline by secret scanners.

use rand::Rng;
use sha2::{Digest, Sha256};
use time::{Date, Duration, PrimitiveDateTime, Time};

use super::{clean_text, FieldError, Named};

pub use super::lifecycle::*;

pub const PREFIX: &str = "mlr_";
pub const SECRET_CHARS: usize = 30;
pub const CHECKSUM_CHARS: usize = 6;
pub const KEY_LEN: usize = PREFIX.len() + SECRET_CHARS + CHECKSUM_CHARS;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// CRC32 of `data`, as 6 base62 characters (most significant first, zero-padded).
pub fn checksum(data: &str) -> String {
    let mut n = crc32(data.as_bytes());
    let mut out = [b'0'; CHECKSUM_CHARS];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// CRC-32 (IEEE 802.3, the zlib/PNG polynomial), by `crc32fast`.
pub fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// Why a presented key is not a Mailrith key. Decided before any database query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormatError {
    Prefix,
    Length,
    Alphabet,
    Checksum,
}

/// A full API key. Never stored, never printed by `Debug`; handed only to the one response that
/// shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainKey(String);

impl PlainKey {
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let secret: String = (0..SECRET_CHARS)
            .map(|_| BASE62[rng.random_range(0..62)] as char)
            .collect();
        let check = checksum(&secret);
        Self(format!("{PREFIX}{secret}{check}"))
    }

    pub fn parse(raw: &str) -> Result<Self, KeyFormatError> {
        let rest = raw.strip_prefix(PREFIX).ok_or(KeyFormatError::Prefix)?;
        if raw.len() != KEY_LEN {
            return Err(KeyFormatError::Length);
        }
        if !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(KeyFormatError::Alphabet);
        }
        let (secret, check) = rest.split_at(SECRET_CHARS);
        if checksum(secret) != check {
            return Err(KeyFormatError::Checksum);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn hash(&self) -> KeyHash {
        KeyHash(hex::encode(self.digest()))
    }

    /// The SHA-256 as bytes: what the verified-key cache is keyed by (no hex on a cache hit).
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }

    /// What identifies a key without revealing it: `mlr_…` and its last 4 characters.
    pub fn hint(&self) -> String {
        format!("{PREFIX}…{}", &self.0[self.0.len() - 4..])
    }

    /// The secret itself, for the one response that shows it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PlainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainKey(mlr_****)")
    }
}

/// The SHA-256 of a key, in hex: what is stored and looked up (unique index).
#[derive(Clone, PartialEq, Eq)]
pub struct KeyHash(String);

impl KeyHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyHash({}…)", &self.0[..8])
    }
}

/// Which secret a key has now, for a Rotate confirmation to name the secret it was issued for: the
/// first 16 hex digits of the SHA-256 of the secret's (already SHA-256) hash. Reveals nothing.
pub fn secret_version(key_hash: &str) -> String {
    hex::encode(Sha256::digest(key_hash.as_bytes()))[..16].to_owned()
}

/// A key's name: 1 to 80 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyName(String);

impl KeyName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        clean_text("name", "Name", raw, 1, 80).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What system uses the key and why: optional, up to 500 characters (line breaks allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purpose(String);

impl Purpose {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim().replace("\r\n", "\n");
        if super::has_invalid_utf8(&text) {
            return Err(FieldError::new(
                "purpose",
                "Purpose contains bytes that are not valid UTF-8 text.",
            ));
        }
        if text.chars().count() > 500 {
            return Err(FieldError::new(
                "purpose",
                "Purpose must be at most 500 characters.",
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(FieldError::new(
                "purpose",
                "Purpose cannot contain control characters.",
            ));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::named_enum! {
    /// What a key may do: read, or read and write.
    pub enum AccessLevel {
        ReadOnly = "read_only",
        ReadWrite = "read_write",
    }
}

impl AccessLevel {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::from_name(raw)
            .ok_or_else(|| FieldError::new("access_level", "Choose Read Only or Read and Write."))
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ReadOnly => "Read Only",
            Self::ReadWrite => "Read and Write",
        }
    }

    pub fn can_write(self) -> bool {
        self == Self::ReadWrite
    }
}

/// The Expiration choices of the Generate and Rotate forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiration {
    Days(i64),
    /// The end of this UTC date (the key works through that whole day).
    On(Date),
    Never,
}

pub const EXPIRATION_CHOICES: [(&str, &str); 6] = [
    ("30", "30 days"),
    ("60", "60 days"),
    ("90", "90 days"),
    ("365", "1 year"),
    ("custom", "Custom date"),
    ("never", "Never expires"),
];

impl Expiration {
    /// Parses the radio value and, for `custom`, the date field. The date must be in the future.
    pub fn parse(choice: &str, custom: &str, today: Date) -> Result<Self, FieldError> {
        match choice {
            "30" => Ok(Self::Days(30)),
            "60" => Ok(Self::Days(60)),
            "90" => Ok(Self::Days(90)),
            "365" => Ok(Self::Days(365)),
            "never" => Ok(Self::Never),
            "custom" => {
                let fmt = time::macros::format_description!("[year]-[month]-[day]");
                let date = Date::parse(custom.trim(), &fmt)
                    .map_err(|_| FieldError::new("expires_on", "Enter a date as YYYY-MM-DD."))?;
                if date <= today {
                    return Err(FieldError::new(
                        "expires_on",
                        "Choose a date in the future.",
                    ));
                }
                if date > today + Duration::days(3 * 366) {
                    return Err(FieldError::new(
                        "expires_on",
                        "Choose a date within three years, or Never expires.",
                    ));
                }
                Ok(Self::On(date))
            }
            _ => Err(FieldError::new("expiration", "Choose an expiration.")),
        }
    }

    /// The moment the key stops working, or `None` for never.
    pub fn expires_at(self, now: PrimitiveDateTime) -> Option<PrimitiveDateTime> {
        match self {
            Self::Days(d) => Some(now + Duration::days(d)),
            Self::On(date) => Some(PrimitiveDateTime::new(
                date.next_day().unwrap_or(date),
                Time::MIDNIGHT,
            )),
            Self::Never => None,
        }
    }
}

/// When a rotation's old secret stops working: at once (the default), or after an overlap during
/// which both secrets authenticate, so the connected system can switch without failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overlap {
    #[default]
    Immediately,
    Hours(i64),
}

/// The "Old secret stops working" choices of the Rotate dialog.
pub const OVERLAP_CHOICES: [(&str, &str); 4] = [
    ("now", "Immediately"),
    ("1h", "In 1 hour"),
    ("24h", "In 24 hours"),
    ("7d", "In 7 days"),
];

impl Overlap {
    /// Parses the radio value; an empty value is the default (Immediately).
    pub fn parse(choice: &str) -> Result<Self, FieldError> {
        match choice {
            "" | "now" => Ok(Self::Immediately),
            "1h" => Ok(Self::Hours(1)),
            "24h" => Ok(Self::Hours(24)),
            "7d" => Ok(Self::Hours(24 * 7)),
            _ => Err(FieldError::new(
                "old_secret",
                "Choose when the old secret stops working.",
            )),
        }
    }

    /// The moment the old secret stops working, or `None` when it stops at once.
    pub fn until(self, now: PrimitiveDateTime) -> Option<PrimitiveDateTime> {
        match self {
            Self::Immediately => None,
            Self::Hours(h) => Some(now + Duration::hours(h)),
        }
    }

    /// The form value of this choice.
    pub fn value(self) -> &'static str {
        match self {
            Self::Immediately => "now",
            Self::Hours(1) => "1h",
            Self::Hours(24) => "24h",
            Self::Hours(_) => "7d",
        }
    }
}

/// What `mailrith keys check` says of a token, without a database: a Mailrith API key (format
/// and checksum, exactly as the server parses it), a well-formed OAuth token (format only: they
/// carry no checksum), or why it is neither.
pub fn check_token(raw: &str) -> Result<&'static str, &'static str> {
    let token = raw.trim();
    if token.starts_with(PREFIX) {
        return match PlainKey::parse(token) {
            Ok(_) => Ok("a Mailrith API key: format and checksum are valid"),
            Err(KeyFormatError::Prefix) => Err("it does not start with mlr_"),
            Err(KeyFormatError::Length) => Err("a Mailrith API key has 40 characters"),
            Err(KeyFormatError::Alphabet) => Err("a Mailrith API key has only letters and digits"),
            Err(KeyFormatError::Checksum) => {
                Err("its checksum does not match (a typo, or not a Mailrith key)")
            }
        };
    }
    for (prefix, what) in [
        ("mlrs_", "a Mailrith OAuth client secret"),
        ("mlra_", "a Mailrith OAuth access token"),
        ("mlrr_", "a Mailrith OAuth refresh token"),
    ] {
        if let Some(rest) = token.strip_prefix(prefix) {
            return if rest.len() == 40 && rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
                Ok(what)
            } else {
                Err("a Mailrith OAuth token has its prefix and 40 letters and digits")
            };
        }
    }
    Err("it is not a Mailrith token (mlr_, mlrs_, mlra_ or mlrr_)")
}

#[cfg(test)]
#[path = "key_tests.rs"]
mod tests;
