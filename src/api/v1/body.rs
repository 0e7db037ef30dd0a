//! Reading a JSON request body: it must be sent as `application/json`, and every error names its
//! field (an unknown field is an error too, so that a typo is not silently ignored).

use actix_web::http::header;
use actix_web::HttpRequest;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::api::error::ApiError;
use crate::domain::FieldError;

/// A JSON body must say so: `Content-Type: application/json`, with or without a charset.
pub fn require_json(req: &HttpRequest) -> Result<(), ApiError> {
    let media_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    match media_type {
        Some(t) if t.eq_ignore_ascii_case("application/json") => Ok(()),
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

/// Reads `body` as `T`. `fields` lists each field with what it must be ("a string"), for the
/// messages: a wrong type is a 422 naming the field, an unknown field a 422 naming `body`, and
/// anything that is not a JSON object a 400.
pub fn read<T: DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
    fields: &[(&'static str, &'static str)],
) -> Result<T, ApiError> {
    require_json(req)?;
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::BadJson(format!("The body is not valid JSON: {inner}."));
        }
        if let Some(field) = message.strip_prefix("unknown field `") {
            let shown: String = field.chars().take_while(|c| *c != '`').take(40).collect();
            let known: Vec<&str> = fields.iter().map(|(f, _)| *f).collect();
            return FieldError::new(
                "body",
                format!("Unknown field \"{shown}\": use {}.", list(&known)),
            )
            .into();
        }
        let top = path.split(['.', '[']).next().unwrap_or_default();
        match fields.iter().find(|(f, _)| *f == top) {
            Some((field, what)) => FieldError::new(field, format!("Must be {what}.")).into(),
            None => ApiError::BadJson("The body must be a JSON object.".into()),
        }
    })
}

/// "email, name and status"
fn list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A field that, when sent, must be a string (null is refused, as a missing field is not).
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A field that may be left out (`None`), sent as null (`Some(None)`: clear it) or sent with a
/// value.
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
