//! Secret-scanning reports, as GitHub's secret scanning partner program sends them: a JSON array of
//! `{"token", "type", "url", "source"}`, signed with ECDSA P-256 / SHA-256 (DER, base64) in
//! `GITHUB-PUBLIC-KEY-SIGNATURE`, by the key named in `GITHUB-PUBLIC-KEY-IDENTIFIER`. The
//! verifying keys come from a file the operator provides, in the shape GitHub publishes:
//! `{"public_keys": [{"key_identifier", "key", "is_current"}]}` (keys in PEM).

use std::collections::HashMap;

use base64::Engine;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::{Deserialize, Serialize};

/// The largest report accepted.
pub const MAX_REPORT_BYTES: usize = 1 << 20;

#[derive(Deserialize)]
struct KeyFile {
    public_keys: Vec<PublishedKey>,
}

#[derive(Deserialize)]
struct PublishedKey {
    key_identifier: String,
    key: String,
}

/// The keys that may sign reports, by identifier.
#[derive(Clone, Default)]
pub struct ScanningKeys(HashMap<String, VerifyingKey>);

impl std::fmt::Debug for ScanningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids: Vec<&String> = self.0.keys().collect();
        ids.sort();
        write!(f, "ScanningKeys({ids:?})")
    }
}

/// Why a report was refused before it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No signature or key identifier header.
    Unsigned,
    /// The identifier names no configured key.
    UnknownKey,
    /// The signature is not valid base64 DER, or does not verify over the body.
    BadSignature,
}

impl ScanningKeys {
    /// Reads the JSON key file; every key must parse.
    pub fn from_json(text: &str) -> anyhow::Result<Self> {
        let file: KeyFile = serde_json::from_str(text).map_err(|e| {
            anyhow::anyhow!("the secret-scanning key file is not {{\"public_keys\": [...]}}: {e}")
        })?;
        let mut keys = HashMap::new();
        for k in file.public_keys {
            let key = VerifyingKey::from_public_key_pem(k.key.trim()).map_err(|e| {
                anyhow::anyhow!(
                    "secret-scanning key {:?} is not a P-256 public key in PEM: {e}",
                    k.key_identifier
                )
            })?;
            keys.insert(k.key_identifier, key);
        }
        if keys.is_empty() {
            anyhow::bail!("the secret-scanning key file lists no keys");
        }
        Ok(Self(keys))
    }

    /// Checks the signature of `body` (the exact bytes received).
    pub fn verify(
        &self,
        identifier: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), Refusal> {
        let (Some(id), Some(sig)) = (identifier, signature) else {
            return Err(Refusal::Unsigned);
        };
        let key = self.0.get(id.trim()).ok_or(Refusal::UnknownKey)?;
        let der = base64::engine::general_purpose::STANDARD
            .decode(sig.trim())
            .map_err(|_| Refusal::BadSignature)?;
        let sig = Signature::from_der(&der).map_err(|_| Refusal::BadSignature)?;
        key.verify(body, &sig).map_err(|_| Refusal::BadSignature)
    }
}

/// One token found in public.
#[derive(Deserialize, Debug, Clone)]
pub struct Reported {
    pub token: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub source: String,
}

/// What we tell the scanner about each token.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub token_hash: String,
    pub token_type: String,
    pub label: &'static str,
}

/// The report's body: a JSON array of tokens (at most 1,000).
pub fn parse_report(body: &[u8]) -> Result<Vec<Reported>, String> {
    let items: Vec<Reported> = serde_json::from_slice(body)
        .map_err(|e| format!("The report is not a JSON array of tokens: {e}"))?;
    if items.len() > 1000 {
        return Err("A report holds at most 1,000 tokens.".into());
    }
    Ok(items)
}

/// A reported URL, kept to http(s) and 2,000 characters (it is shown as a link).
pub fn clean_url(url: &str) -> Option<String> {
    let url = url.trim();
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2000
        && !url.chars().any(char::is_control);
    ok.then(|| url.to_owned())
}

#[cfg(test)]
pub mod testing {
    //! A signing key for tests, and the key file that trusts it.
    use base64::Engine;
    use p256::ecdsa::signature::Signer;
    use p256::ecdsa::{Signature, SigningKey};
    use p256::pkcs8::{EncodePublicKey, LineEnding};

    pub fn signing_key(seed: u8) -> SigningKey {
        let mut bytes = [7u8; 32];
        bytes[0] = seed;
        SigningKey::from_bytes(&bytes.into()).unwrap()
    }

    pub fn key_file(id: &str, key: &SigningKey) -> String {
        let pem = key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        serde_json::json!({"public_keys": [{"key_identifier": id, "key": pem, "is_current": true}]})
            .to_string()
    }

    pub fn sign(key: &SigningKey, body: &[u8]) -> String {
        let sig: Signature = key.sign(body);
        base64::engine::general_purpose::STANDARD.encode(sig.to_der().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn only_a_valid_signature_by_a_known_key_passes() {
        let key = signing_key(1);
        let keys = ScanningKeys::from_json(&key_file("k1", &key)).unwrap();
        let body = br#"[{"token":"mlr_x","type":"mailrith_api_key","url":"https://github.com/a/b","source":"content"}]"#;
        let sig = sign(&key, body);
        assert_eq!(keys.verify(Some("k1"), Some(&sig), body), Ok(()));
        assert_eq!(keys.verify(None, Some(&sig), body), Err(Refusal::Unsigned));
        assert_eq!(
            keys.verify(Some("k2"), Some(&sig), body),
            Err(Refusal::UnknownKey)
        );
        let mut changed = body.to_vec();
        changed[12] = b'y';
        assert_eq!(
            keys.verify(Some("k1"), Some(&sig), &changed),
            Err(Refusal::BadSignature),
            "a changed body"
        );
        let other = sign(&signing_key(2), body);
        assert_eq!(
            keys.verify(Some("k1"), Some(&other), body),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            keys.verify(Some("k1"), Some("not base64!"), body),
            Err(Refusal::BadSignature)
        );
        assert!(ScanningKeys::from_json("{}").is_err());
        assert!(ScanningKeys::from_json(
            r#"{"public_keys":[{"key_identifier":"x","key":"nope"}]}"#
        )
        .is_err());
    }

    #[test]
    fn reports_and_urls() {
        assert_eq!(parse_report(b"[]").unwrap().len(), 0);
        assert!(parse_report(b"{}").is_err());
        let r = parse_report(br#"[{"token":"t","type":"k","url":"u","source":"s"}]"#).unwrap();
        assert_eq!((r[0].token.as_str(), r[0].kind.as_str()), ("t", "k"));
        assert_eq!(
            clean_url("https://github.com/a"),
            Some("https://github.com/a".into())
        );
        assert_eq!(clean_url("javascript:alert(1)"), None);
    }
}
