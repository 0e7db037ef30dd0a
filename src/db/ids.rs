//! Row ids as their own types, so that a key id cannot be passed where a user id is meant (and an
//! app's grant never passes for a key). They cross the database as `BIGINT`; URLs never show them
//! (public ids do).

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::BigInt;

macro_rules! row_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, AsExpression, FromSqlRow,
        )]
        #[diesel(sql_type = BigInt)]
        pub struct $name(pub i64);

        impl<DB: Backend> ToSql<BigInt, DB> for $name
        where
            i64: ToSql<BigInt, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.0.to_sql(out)
            }
        }

        impl<DB: Backend> FromSql<BigInt, DB> for $name
        where
            i64: FromSql<BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                i64::from_sql(bytes).map(Self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

row_id!(
    /// A person (`users.id`).
    UserId,
    /// A workspace (`workspaces.id`).
    WorkspaceId,
    /// An API key (`api_keys.id`).
    KeyId,
    /// A grant an app holds in a workspace (`oauth_grants.id`).
    GrantId,
    /// A registered app (`oauth_clients.id`).
    ClientId,
    /// An invitation (`invitations.id`).
    InvitationId,
    /// A contact (`contacts.id`).
    ContactId,
);
