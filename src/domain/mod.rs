//! Pure domain types: no actix, no queries. They parse input once; the rest of the code trusts
//! them. (The enums stored by name carry diesel's `AsExpression`/`FromSqlRow` derives so that
//! columns are typed; their `ToSql`/`FromSql` live in `db::types`.)

/// An enum stored and sent by name. `from_name` is strict: an unknown name is `None`, never a
/// default.
pub trait Named: Sized + Copy + 'static {
    const ALL: &'static [Self];

    fn as_str(self) -> &'static str;

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == name)
    }
}

/// An enum whose values have names: `Named` (and an inherent `as_str`), and a typed `TEXT`
/// column (`db::types` reads and writes it by name).
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $crate::domain::Named for $name {
            const ALL: &'static [Self] = &[$(Self::$variant,)+];

            fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                $crate::domain::Named::as_str(self)
            }
        }
    };
}
pub(crate) use named_enum;

pub mod account;
pub mod audit;
pub mod contact;
pub mod format;
pub mod ids;
pub mod key;
pub mod lifecycle;
pub mod oauth;
pub mod policy;
pub mod reminder;
pub mod restrictions;
pub mod scanning;
pub mod search;
pub mod throttle;
pub mod usage;
pub mod workspace;

/// A field-level parse error: the form field it belongs to and what to tell the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A form or query value that was not valid UTF-8 arrives with U+FFFD in place of the bad bytes
/// (the url-encoded decoders are lossy). Such text is refused with a field error, never stored.
pub(crate) fn has_invalid_utf8(text: &str) -> bool {
    text.contains('\u{FFFD}')
}

/// Trims, refuses control characters and invalid UTF-8, and bounds the length in characters.
pub(crate) fn clean_text(
    field: &'static str,
    label: &str,
    raw: &str,
    min: usize,
    max: usize,
) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if has_invalid_utf8(trimmed) {
        return Err(FieldError::new(
            field,
            format!("{label} contains bytes that are not valid UTF-8 text."),
        ));
    }
    let len = trimmed.chars().count();
    if len < min {
        return Err(FieldError::new(
            field,
            if min == 1 {
                format!("{label} is required.")
            } else {
                format!("{label} must be at least {min} characters.")
            },
        ));
    }
    if len > max {
        return Err(FieldError::new(
            field,
            format!("{label} must be at most {max} characters."),
        ));
    }
    if trimmed.chars().any(|c| c.is_control()) {
        return Err(FieldError::new(
            field,
            format!("{label} cannot contain control characters."),
        ));
    }
    Ok(trimmed.to_owned())
}
