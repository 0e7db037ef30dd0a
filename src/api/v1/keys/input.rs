//! What the management API's requests carry, parsed: the bodies of create, edit and rotate, and
//! the `Idempotency-Key` and `If-Match` headers. Every error names its field.

use actix_web::HttpRequest;
use serde::Deserialize;
use time::Date;
use utoipa::ToSchema;

use crate::api::error::ApiError;
use crate::api::v1::body::{nullable, present};
use crate::domain::key::{AccessLevel, Expiration, KeyName, Purpose};
use crate::domain::restrictions::{parse_rate_limit, IpAllowlist, Restrictions};
use crate::domain::FieldError;
use crate::services::api_keys::delegated::{Create, Patch};

/// `30`, `60`, `90`, `365` (days from now), `never`, or a date `YYYY-MM-DD` (the key works
/// through that UTC day).
pub fn expiration(raw: &str, today: Date) -> Result<Expiration, FieldError> {
    let raw = raw.trim();
    let e = if raw.len() == 10 && raw.as_bytes().get(4) == Some(&b'-') {
        Expiration::parse("custom", raw, today)
    } else {
        Expiration::parse(raw, "", today)
    };
    e.map_err(|e| {
        let message = if e.field == "expiration" {
            "Use 30, 60, 90 or 365 (days), never, or a date as YYYY-MM-DD.".to_owned()
        } else {
            e.message
        };
        FieldError::new("expiration", message)
    })
}

/// The API's names for the restriction fields.
fn restriction_field(mut e: FieldError) -> FieldError {
    if e.field == "rate_limit" {
        e.field = "rate_limit_per_minute";
    }
    e
}

fn allowlist(ips: &[String]) -> Result<Option<IpAllowlist>, FieldError> {
    IpAllowlist::parse(&ips.join(","))
}

fn rate_limit(n: i64) -> Result<Option<u32>, FieldError> {
    parse_rate_limit(&n.to_string()).map_err(restriction_field)
}

/// Every field error of a body, gathered as its fields are parsed.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn ok<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    /// The value, when every field parsed.
    fn or<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(v) if self.0.is_empty() => Ok(v),
            _ => Err(self.0),
        }
    }
}

pub const CREATE_FIELDS: [(&str, &str); 7] = [
    ("name", "a string"),
    ("purpose", "a string"),
    ("access_level", "a string"),
    ("expiration", "a string"),
    ("owner", "a string"),
    ("allowed_ips", "an array of strings, or null"),
    ("rate_limit_per_minute", "a whole number, or null"),
];

/// An edit cannot change a key's Access Level (rotate to a new key for that, as in the console).
pub const PATCH_FIELDS: [(&str, &str); 6] = [
    ("name", "a string"),
    ("purpose", "a string"),
    ("expiration", "a string"),
    ("owner", "a string"),
    ("allowed_ips", "an array of strings, or null"),
    ("rate_limit_per_minute", "a whole number, or null"),
];

pub const ROTATE_FIELDS: [(&str, &str); 2] = [("expiration", "a string"), ("overlap", "a string")];

/// The body of `POST /api/v1/keys`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyCreateIn {
    /// Required: 1 to 80 characters, unique among the workspace's active keys.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, max_length = 80)]
    name: Option<String>,
    /// What the key is for (up to 500 characters).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    purpose: Option<String>,
    /// `read_only` (the default) or `read_write`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    access_level: Option<String>,
    /// `30`, `60`, `90` (the default) or `365` days, `never`, or a date `YYYY-MM-DD`; within the
    /// workspace's policy.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    expiration: Option<String>,
    /// A member's id (`usr_…`); the person the app acts for when left out.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    owner: Option<String>,
    /// Up to 20 IPv4 or IPv6 addresses or CIDR ranges; any address when left out.
    #[serde(default)]
    #[schema(required = false)]
    allowed_ips: Option<Vec<String>>,
    /// 1 to 100,000; no limit when left out.
    #[serde(default)]
    #[schema(required = false, minimum = 1, maximum = 100000)]
    rate_limit_per_minute: Option<i64>,
}

impl KeyCreateIn {
    /// The owner asked for (a member's id, checked by the service with the rest), and the fields.
    pub fn parse(
        self,
        today: Date,
        idempotency_key: Option<String>,
    ) -> (Option<String>, Result<Create, Vec<FieldError>>) {
        let mut e = Errors::default();
        let name = match self.name {
            None => e.ok(Err(FieldError::new("name", "Required."))),
            Some(n) => e.ok(KeyName::parse(&n)),
        };
        let purpose = e.ok(Purpose::parse(self.purpose.as_deref().unwrap_or_default()));
        let access = e.ok(AccessLevel::parse(
            self.access_level.as_deref().unwrap_or("read_only"),
        ));
        let expiration = e.ok(expiration(
            self.expiration.as_deref().unwrap_or("90"),
            today,
        ));
        let allowed_ips = e.ok(allowlist(&self.allowed_ips.unwrap_or_default()));
        let rate_limit = e.ok(self.rate_limit_per_minute.map_or(Ok(None), rate_limit));
        let parsed = match (name, purpose, access, expiration, allowed_ips, rate_limit) {
            (Some(name), Some(purpose), Some(access), Some(expiration), Some(a), Some(r)) => {
                Some(Create {
                    name,
                    purpose,
                    access,
                    expiration,
                    restrictions: Restrictions {
                        allowed_ips: a,
                        rate_limit: r,
                    },
                    idempotency_key,
                })
            }
            _ => None,
        };
        (self.owner, e.or(parsed))
    }
}

/// The optional `Idempotency-Key` header: 1 to 100 visible ASCII characters.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .map(str::trim)
        .filter(|k| (1..=100).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .map(|k| Some(k.to_owned()))
        .ok_or_else(|| {
            let e = "Send 1 to 100 visible ASCII characters, unique per key you create.";
            FieldError::new("Idempotency-Key", e).into()
        })
}

/// The body of `PATCH /api/v1/keys/{id}`: only the fields sent change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyPatchIn {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false, max_length = 80)]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    purpose: Option<String>,
    /// A member's id (`usr_…`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    owner: Option<String>,
    /// `30`, `60`, `90` or `365` days from now, `never`, or a date `YYYY-MM-DD`. An expired key
    /// cannot be extended: rotate it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    expiration: Option<String>,
    /// null clears the list (any address).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<String>>, required = false)]
    allowed_ips: Option<Option<Vec<String>>>,
    /// null removes the limit.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, required = false, minimum = 1, maximum = 100000)]
    rate_limit_per_minute: Option<Option<i64>>,
}

impl KeyPatchIn {
    pub fn parse(self, today: Date) -> Result<Patch, Vec<FieldError>> {
        let mut e = Errors::default();
        let patch = Patch {
            name: self.name.and_then(|n| e.ok(KeyName::parse(&n))),
            purpose: self.purpose.and_then(|p| e.ok(Purpose::parse(&p))),
            owner: self.owner,
            expiration: self.expiration.and_then(|x| e.ok(expiration(&x, today))),
            allowed_ips: self
                .allowed_ips
                .and_then(|a| e.ok(allowlist(&a.unwrap_or_default()))),
            rate_limit: self
                .rate_limit_per_minute
                .and_then(|r| e.ok(r.map_or(Ok(None), rate_limit))),
        };
        e.or(Some(patch))
    }
}

/// The body of `POST /api/v1/keys/{id}/rotate` (optional).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct KeyRotateIn {
    /// `keep` (the default) or a new expiration, as on create. An expired key needs a new one.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    expiration: Option<String>,
    /// When the old secret stops working: `now` (the default), `1h`, `24h` or `7d`. Until then
    /// both secrets work, so the connected system can switch without failing.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false)]
    overlap: Option<String>,
}

impl KeyRotateIn {
    /// The new expiration (`None`: keep it) and when the old secret stops working.
    pub fn parse(
        self,
        today: Date,
    ) -> Result<(Option<Expiration>, crate::domain::key::Overlap), Vec<FieldError>> {
        let mut e = Errors::default();
        let expiration = match self.expiration.as_deref().map(str::trim) {
            None | Some("keep") => Some(None),
            Some(x) => e.ok(expiration(x, today)).map(Some),
        };
        let overlap = e.ok(crate::domain::key::Overlap::parse(
            self.overlap.as_deref().unwrap_or("now").trim(),
        )
        .map_err(|_| FieldError::new("overlap", "Use now, 1h, 24h or 7d.")));
        e.or(expiration.zip(overlap))
    }
}

/// The optional `If-Match` header of a rotation: the `ETag` of the key as last read (its secret
/// version). A rotation retried after it succeeded then gets 409 instead of rotating again.
pub fn if_match(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(v) = req.headers().get(actix_web::http::header::IF_MATCH) else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .filter(|v| v.len() == 16 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|v| Some(v.to_owned()))
        .ok_or_else(|| {
            let e = "Send the ETag of the key as you last read it (GET /api/v1/keys/{id}).";
            FieldError::new("If-Match", e).into()
        })
}
