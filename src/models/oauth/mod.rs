//! OAuth clients, grants, codes and tokens.

mod tokens;

pub use tokens::*;

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::ids::{ClientId, GrantId, UserId, WorkspaceId};
use crate::db::schema::{oauth_clients, oauth_grants, oauth_tokens, users, workspaces};
use crate::db::AnyConnection;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = oauth_clients)]
pub struct OauthClient {
    pub id: ClientId,
    pub client_id: String,
    pub name: String,
    pub homepage: String,
    pub redirect_uris: String,
    pub logo_url: Option<String>,
    pub secret_hash: Option<String>,
    pub secret_hint: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: PrimitiveDateTime,
    pub secret_rotated_at: Option<PrimitiveDateTime>,
}

impl OauthClient {
    pub fn redirect_uris(&self) -> impl Iterator<Item = &str> {
        self.redirect_uris
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
    }

    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = oauth_grants)]
pub struct Grant {
    pub id: GrantId,
    pub public_id: String,
    pub client_id: ClientId,
    pub workspace_id: WorkspaceId,
    pub user_id: Option<UserId>,
    pub scope: String,
    pub created_at: PrimitiveDateTime,
    pub revoked_at: Option<PrimitiveDateTime>,
    pub revoked_by: Option<UserId>,
    pub last_used_at: Option<PrimitiveDateTime>,
    pub last_used_ip: Option<String>,
    pub last_used_user_agent: Option<String>,
}

#[allow(clippy::too_many_arguments)]
pub fn insert_client(
    conn: &mut AnyConnection,
    client_id: &str,
    name: &str,
    homepage: &str,
    redirect_uris: &str,
    logo_url: Option<&str>,
    secret: Option<(&str, &str)>,
    created_by: UserId,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(oauth_clients::table)
        .values((
            oauth_clients::client_id.eq(client_id),
            oauth_clients::name.eq(name),
            oauth_clients::homepage.eq(homepage),
            oauth_clients::redirect_uris.eq(redirect_uris),
            oauth_clients::logo_url.eq(logo_url),
            oauth_clients::secret_hash.eq(secret.map(|s| s.0)),
            oauth_clients::secret_hint.eq(secret.map(|s| s.1)),
            oauth_clients::created_by.eq(Some(created_by)),
            oauth_clients::created_at.eq(now),
        ))
        .execute(conn)
}

pub fn find_client(conn: &mut AnyConnection, client_id: &str) -> QueryResult<Option<OauthClient>> {
    oauth_clients::table
        .filter(oauth_clients::client_id.eq(client_id))
        .select(OauthClient::as_select())
        .first(conn)
        .optional()
}

pub fn clients_by(conn: &mut AnyConnection, user_id: UserId) -> QueryResult<Vec<OauthClient>> {
    oauth_clients::table
        .filter(oauth_clients::created_by.eq(user_id))
        .order(oauth_clients::id.desc())
        .select(OauthClient::as_select())
        .load(conn)
}

pub fn rotate_client_secret(
    conn: &mut AnyConnection,
    id: ClientId,
    hash: &str,
    hint: &str,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(oauth_clients::table.find(id))
        .set((
            oauth_clients::secret_hash.eq(Some(hash)),
            oauth_clients::secret_hint.eq(Some(hint)),
            oauth_clients::secret_rotated_at.eq(Some(now)),
        ))
        .execute(conn)
}

pub fn insert_grant(
    conn: &mut AnyConnection,
    public_id: &str,
    client_id: ClientId,
    workspace_id: WorkspaceId,
    user_id: UserId,
    scope: &str,
    now: PrimitiveDateTime,
) -> QueryResult<Grant> {
    diesel::insert_into(oauth_grants::table)
        .values((
            oauth_grants::public_id.eq(public_id),
            oauth_grants::client_id.eq(client_id),
            oauth_grants::workspace_id.eq(workspace_id),
            oauth_grants::user_id.eq(Some(user_id)),
            oauth_grants::scope.eq(scope),
            oauth_grants::created_at.eq(now),
        ))
        .execute(conn)?;
    oauth_grants::table
        .filter(oauth_grants::public_id.eq(public_id))
        .select(Grant::as_select())
        .first(conn)
}

pub fn revoke_grant(
    conn: &mut AnyConnection,
    grant_id: GrantId,
    by: Option<UserId>,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        oauth_tokens::table
            .filter(oauth_tokens::grant_id.eq(grant_id))
            .filter(oauth_tokens::revoked_at.is_null()),
    )
    .set(oauth_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?;
    diesel::update(
        oauth_grants::table
            .filter(oauth_grants::id.eq(grant_id))
            .filter(oauth_grants::revoked_at.is_null()),
    )
    .set((
        oauth_grants::revoked_at.eq(Some(now)),
        oauth_grants::revoked_by.eq(by),
    ))
    .execute(conn)
}

pub fn find_grant(conn: &mut AnyConnection, public_id: &str) -> QueryResult<Option<Grant>> {
    oauth_grants::table
        .filter(oauth_grants::public_id.eq(public_id))
        .select(Grant::as_select())
        .first(conn)
        .optional()
}

/// An active grant as the Authorized Apps tab and Profile show it.
#[derive(Debug, Clone)]
pub struct GrantListing {
    pub grant: Grant,
    pub app: String,
    pub homepage: String,
    pub workspace: String,
    pub authorized_by: Option<String>,
}

type GrantRow = (Grant, String, String, String, Option<String>);

fn listing((grant, app, homepage, workspace, authorized_by): GrantRow) -> GrantListing {
    GrantListing {
        grant,
        app,
        homepage,
        workspace,
        authorized_by,
    }
}

macro_rules! grants_joined {
    () => {
        oauth_grants::table
            .inner_join(oauth_clients::table)
            .inner_join(workspaces::table)
            .left_join(users::table.on(oauth_grants::user_id.eq(users::id.nullable())))
            .filter(oauth_grants::revoked_at.is_null())
            .order(oauth_grants::id.desc())
            .select((
                Grant::as_select(),
                oauth_clients::name,
                oauth_clients::homepage,
                workspaces::name,
                users::name.nullable(),
            ))
    };
}

pub fn active_in_workspace(
    conn: &mut AnyConnection,
    workspace_id: WorkspaceId,
) -> QueryResult<Vec<GrantListing>> {
    let rows: Vec<GrantRow> = grants_joined!()
        .filter(oauth_grants::workspace_id.eq(workspace_id))
        .load(conn)?;
    Ok(rows.into_iter().map(listing).collect())
}

pub fn active_by_user(conn: &mut AnyConnection, user_id: UserId) -> QueryResult<Vec<GrantListing>> {
    let rows: Vec<GrantRow> = grants_joined!()
        .filter(oauth_grants::user_id.eq(user_id))
        .load(conn)?;
    Ok(rows.into_iter().map(listing).collect())
}

pub fn active_by_user_in(
    conn: &mut AnyConnection,
    user_id: UserId,
    workspace_id: WorkspaceId,
) -> QueryResult<Vec<GrantListing>> {
    let rows: Vec<GrantRow> = grants_joined!()
        .filter(oauth_grants::user_id.eq(user_id))
        .filter(oauth_grants::workspace_id.eq(workspace_id))
        .load(conn)?;
    Ok(rows.into_iter().map(listing).collect())
}

pub fn record_last_used(
    conn: &mut AnyConnection,
    grant_id: GrantId,
    at: PrimitiveDateTime,
    ip: &str,
    ua: &str,
) -> QueryResult<usize> {
    diesel::update(
        oauth_grants::table
            .filter(oauth_grants::id.eq(grant_id))
            .filter(
                oauth_grants::last_used_at
                    .is_null()
                    .or(oauth_grants::last_used_at.lt(at)),
            ),
    )
    .set((
        oauth_grants::last_used_at.eq(Some(at)),
        oauth_grants::last_used_ip.eq(Some(ip)),
        oauth_grants::last_used_user_agent.eq(Some(ua)),
    ))
    .execute(conn)
}
