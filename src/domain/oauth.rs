//! OAuth 2.0 pieces that need no database: token formats, scopes, PKCE (RFC 7636, S256 only) and
//! redirect URIs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::ids::random_base62;
use super::key::AccessLevel;

pub const CLIENT_ID_PREFIX: &str = "mlrc_";
pub const CLIENT_SECRET_PREFIX: &str = "mlrs_";
pub const ACCESS_TOKEN_PREFIX: &str = "mlra_";
pub const REFRESH_TOKEN_PREFIX: &str = "mlrr_";
pub const CODE_PREFIX: &str = "mlro_";

pub const ACCESS_TOKEN_SECONDS: i64 = 3600;
pub const REFRESH_TOKEN_DAYS: i64 = 90;
pub const CODE_SECONDS: i64 = 600;

super::named_enum! {
    /// What an OAuth token is for: calling the API for an hour, or getting new tokens (rotated on
    /// every use).
    pub enum TokenKind {
        Access = "access",
        Refresh = "refresh",
    }
}

/// A random credential with a recognisable prefix and 40 base62 characters (about 238 bits).
pub fn new_secret(prefix: &str) -> String {
    format!("{prefix}{}", random_base62(40))
}

pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// What an app may do, from its space-separated scope (in any order): read contacts
/// (`contacts:read`), also change them (`contacts:write`, only with `contacts:read`), and manage
/// API keys on behalf of the person who connected it (`keys:manage`). At least one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// What the app may do with contacts; `None` when it asked for no contacts scope.
    pub contacts: Option<AccessLevel>,
    /// `keys:manage`: list, create, edit, rotate and revoke API keys, as the person may.
    pub manage_keys: bool,
}

impl Scope {
    pub const READ_WRITE: &'static str = "contacts:read contacts:write";
    pub const MANAGE_KEYS: &'static str = "keys:manage";
    /// Every scope an app may ask for.
    pub const SUPPORTED: [&'static str; 3] = ["contacts:read", "contacts:write", "keys:manage"];

    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts: Vec<&str> = raw.split_whitespace().collect();
        parts.sort_unstable();
        parts.dedup();
        let (mut read, mut write, mut manage_keys) = (false, false, false);
        for p in parts {
            match p {
                "contacts:read" => read = true,
                "contacts:write" => write = true,
                "keys:manage" => manage_keys = true,
                _ => return None,
            }
        }
        let contacts = match (read, write) {
            (true, true) => Some(AccessLevel::ReadWrite),
            (true, false) => Some(AccessLevel::ReadOnly),
            (false, false) => None,
            (false, true) => return None,
        };
        (contacts.is_some() || manage_keys).then_some(Self {
            contacts,
            manage_keys,
        })
    }

    /// The canonical text: `contacts:read contacts:write keys:manage`, the parts it has.
    pub fn as_str(self) -> String {
        let contacts = match self.contacts {
            Some(AccessLevel::ReadOnly) => Some("contacts:read"),
            Some(AccessLevel::ReadWrite) => Some(Self::READ_WRITE),
            None => None,
        };
        contacts
            .into_iter()
            .chain(self.manage_keys.then_some(Self::MANAGE_KEYS))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// What the consent page, Authorized Apps and a Profile say the app may do, one line each:
    /// "Read your contacts", "Create, rotate and revoke API keys in Acme".
    pub fn describe(self, workspace: &str) -> Vec<String> {
        let contacts = match self.contacts {
            Some(AccessLevel::ReadOnly) => Some("Read your contacts".to_owned()),
            Some(AccessLevel::ReadWrite) => {
                Some("Read, create, change and delete your contacts".to_owned())
            }
            None => None,
        };
        contacts
            .into_iter()
            .chain(
                self.manage_keys
                    .then(|| format!("Create, rotate and revoke API keys in {workspace}")),
            )
            .collect()
    }
}

/// RFC 7636 S256: the challenge of a verifier, BASE64URL(SHA256(verifier)) without padding.
pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636: a verifier is 43 to 128 unreserved characters.
pub fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// RFC 7636 S256: BASE64URL(SHA256(verifier)) == challenge.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    valid_verifier(verifier)
        && crate::domain::ids::constant_time_eq(&challenge_of(verifier), challenge)
}

/// A challenge is the 43-character base64url of a SHA-256.
pub fn valid_challenge(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Registered redirect URIs: absolute http(s) URLs without a fragment; plain http only on loopback.
pub fn parse_redirect_uris(raw: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let u = url::Url::parse(line).map_err(|_| format!("\"{line}\" is not an absolute URL."))?;
        let loopback = matches!(
            u.host_str(),
            Some("localhost") | Some("127.0.0.1") | Some("[::1]")
        );
        if u.scheme() != "https" && !(u.scheme() == "http" && loopback) {
            return Err(format!(
                "\"{line}\" must use https (plain http only for localhost)."
            ));
        }
        if u.fragment().is_some() {
            return Err(format!("\"{line}\" must not have a #fragment."));
        }
        out.push(line.to_owned());
    }
    if out.is_empty() {
        return Err("Enter at least one redirect URI.".into());
    }
    if out.len() > 10 {
        return Err("Enter at most 10 redirect URIs.".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"
        ));
        assert!(!pkce_matches(
            "short",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(valid_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }

    #[test]
    fn scopes() {
        assert_eq!(
            Scope::parse("contacts:read").unwrap().contacts,
            Some(AccessLevel::ReadOnly)
        );
        assert_eq!(
            Scope::parse("contacts:write contacts:read")
                .unwrap()
                .contacts,
            Some(AccessLevel::ReadWrite)
        );
        let keys = Scope::parse("keys:manage").unwrap();
        assert_eq!((keys.contacts, keys.manage_keys), (None, true));
        let both = Scope::parse(" keys:manage  contacts:read keys:manage").unwrap();
        assert_eq!(both.as_str(), "contacts:read keys:manage");
        assert_eq!(
            both.describe("Acme"),
            [
                "Read your contacts",
                "Create, rotate and revoke API keys in Acme"
            ]
        );
        assert_eq!(
            Scope::parse("contacts:read contacts:write keys:manage")
                .unwrap()
                .as_str(),
            "contacts:read contacts:write keys:manage"
        );
        assert!(Scope::parse("contacts:write").is_none());
        assert!(Scope::parse("contacts:write keys:manage").is_none());
        assert!(Scope::parse("keys:manage admin").is_none());
        assert!(Scope::parse("admin").is_none());
        assert!(Scope::parse("").is_none());
    }

    #[test]
    fn redirect_uris() {
        assert!(
            parse_redirect_uris("https://app.example.com/cb\nhttp://127.0.0.1:9999/cb").is_ok()
        );
        assert!(parse_redirect_uris("http://app.example.com/cb").is_err());
        assert!(parse_redirect_uris("https://app.example.com/cb#x").is_err());
        assert!(parse_redirect_uris("  ").is_err());
    }
}
