//! Enums stored by name in `TEXT` columns (with a `CHECK` in both migration folders): written with
//! `as_str`, read strictly, so an unknown stored value is an error, never a silent default.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::domain::audit::AuditAction;
use crate::domain::contact::ContactStatus;
use crate::domain::key::AccessLevel;
use crate::domain::oauth::TokenKind;
use crate::domain::policy::LeakResponse;
use crate::domain::reminder::ReminderKind;
use crate::domain::workspace::{Access, Role};
use crate::domain::Named;

macro_rules! text_enum {
    ($($ty:ty),* $(,)?) => {$(
        impl<DB: Backend> ToSql<Text, DB> for $ty
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                Named::as_str(*self).to_sql(out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $ty
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let name = String::from_sql(bytes)?;
                <$ty as Named>::from_name(&name).ok_or_else(|| {
                    format!("unknown {} {name:?} in the database", stringify!($ty)).into()
                })
            }
        }
    )*};
}

text_enum!(
    Role,
    Access,
    AccessLevel,
    TokenKind,
    ContactStatus,
    AuditAction,
    ReminderKind,
    LeakResponse
);
