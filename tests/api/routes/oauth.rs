//! Authorized Apps: a real OAuth 2.0 client (the `oauth2` crate) connects through the consent page,
//! uses the API within its grant, refreshes, and loses access when revoked.

use diesel::prelude::*;
use mailrith::db::schema::{audit_events, oauth_grants};
use mailrith::domain::workspace::{Access, Role, WorkspaceAccess};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RevocationUrl,
    Scope, StandardRevocableToken, TokenResponse, TokenUrl,
};
use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::*;

pub(crate) const REDIRECT: &str = "http://127.0.0.1:9/callback";

pub(crate) type Oauth = oauth2::Client<
    oauth2::StandardErrorResponse<oauth2::basic::BasicErrorResponseType>,
    oauth2::StandardTokenResponse<oauth2::EmptyExtraTokenFields, oauth2::basic::BasicTokenType>,
    oauth2::StandardTokenIntrospectionResponse<
        oauth2::EmptyExtraTokenFields,
        oauth2::basic::BasicTokenType,
    >,
    StandardRevocableToken,
    oauth2::StandardErrorResponse<oauth2::RevocationErrorResponseType>,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointSet,
>;

pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) fn between(body: &str, start: &str, end: char) -> Option<String> {
    let i = body.find(start)? + start.len();
    Some(body[i..].chars().take_while(|c| *c != end).collect())
}

/// Registers an app through Settings > Authorized Apps; returns (client id, secret if confidential).
pub(crate) async fn register(app: &TestApp, name: &str, public: bool) -> (String, Option<String>) {
    let kind = if public { "public" } else { "confidential" };
    let r = app
        .client
        .post_form(
            "/settings/authorized-apps/clients",
            &[
                ("name", name),
                ("homepage", "https://zapline.example.com"),
                ("redirect_uris", REDIRECT),
                ("client_type", kind),
                ("logo_url", "https://zapline.example.com/logo.png"),
            ],
        )
        .await;
    assert!(r.status() == 200 || r.status() == 303, "{}", r.status());
    let body = if r.status() == 200 {
        r.text().await.unwrap()
    } else {
        app.client.page("/settings/authorized-apps").await.1
    };
    let secret = between(
        &body,
        "id=\"client-secret\" class=\"secret mono\" type=\"text\" readonly value=\"",
        '"',
    );
    let (_, list) = app.client.page("/settings/authorized-apps").await;
    let id = list
        .match_indices("<code>mlrc_")
        .map(|(i, _)| {
            list[i + 6..]
                .chars()
                .take_while(|c| *c != '<')
                .collect::<String>()
        })
        .next()
        .expect("the client id is listed");
    (id, secret)
}

pub(crate) fn oauth_client(app: &TestApp, id: &str, secret: Option<&str>, auth: AuthType) -> Oauth {
    let mut c = BasicClient::new(ClientId::new(id.to_owned()))
        .set_auth_uri(AuthUrl::new(format!("{}/oauth/authorize", app.base)).unwrap())
        .set_token_uri(TokenUrl::new(format!("{}/oauth/token", app.base)).unwrap())
        .set_revocation_url(RevocationUrl::new(format!("{}/oauth/revoke", app.base)).unwrap())
        .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).unwrap())
        .set_auth_type(auth);
    if let Some(s) = secret {
        c = c.set_client_secret(ClientSecret::new(s.to_owned()));
    }
    c
}

/// Opens the consent page as the signed-in person and approves (or denies); returns the Location.
pub(crate) async fn consent(
    app: &TestApp,
    person: &Client,
    c: &Oauth,
    scopes: &[&str],
    approve: bool,
) -> (String, PkceCodeVerifier, CsrfToken) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = c
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge);
    for s in scopes {
        req = req.add_scope(Scope::new((*s).to_owned()));
    }
    let (url, state) = req.url();
    let path = format!("{}?{}", url.path(), url.query().unwrap());
    let (status, page) = person.page(&path).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Zapline")
            && page.contains("zapline.example.com")
            && page.contains("127.0.0.1")
    );
    assert!(
        page.contains("src=\"https://zapline.example.com/logo.png\""),
        "the app's logo"
    );
    let field = |name: &str| {
        between(&page, &format!("name=\"{name}\" value=\""), '"')
            .unwrap()
            .replace("&amp;", "&")
            .replace("&#x2F;", "/")
    };
    let ws = between(&page, "<option value=\"", '"').unwrap_or_default();
    let fields = [
        ("client_id", field("client_id")),
        ("redirect_uri", field("redirect_uri")),
        ("scope", field("scope")),
        ("state", field("state")),
        ("code_challenge", field("code_challenge")),
        ("workspace", ws),
        (
            "decision",
            if approve { "approve" } else { "deny" }.to_owned(),
        ),
    ];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = person.post_form("/oauth/authorize", &pairs).await;
    assert_eq!(r.status(), 303);
    let _ = app;
    (
        r.headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned(),
        verifier,
        state,
    )
}

pub(crate) fn query(location: &str, name: &str) -> Option<String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn call(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>) -> u16 {
    let mut r = reqwest::Client::new()
        .request(method, format!("{}{path}", app.base))
        .header("authorization", format!("Bearer {token}"));
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.unwrap().status().as_u16()
}

async fn a_standard_client_connects_refreshes_and_is_revoked(app: TestApp) {
    app.setup_admin().await;
    let (id, secret) = register(&app, "Zapline", false).await;
    let secret = secret.expect("a confidential client gets a secret, once");
    assert!(secret.starts_with("mlrs_"));
    assert!(
        !app.client
            .page("/settings/authorized-apps")
            .await
            .1
            .contains(&secret),
        "shown once"
    );
    let c = oauth_client(&app, &id, Some(&secret), AuthType::BasicAuth);
    let (location, verifier, state) =
        consent(&app, &app.client, &c, &["contacts:read"], true).await;
    assert!(location.starts_with(REDIRECT));
    assert_eq!(
        query(&location, "state").as_deref(),
        Some(state.secret().as_str()),
        "state returned unchanged"
    );
    let code = query(&location, "code").unwrap();
    let tokens = c
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    let access = tokens.access_token().secret().clone();
    assert!(access.starts_with("mlra_"));
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 3600);
    assert_eq!(
        call(&app, Method::GET, "/api/v1/key", &access, None).await,
        200
    );
    assert_eq!(
        call(&app, Method::GET, "/api/v1/contacts", &access, None).await,
        200
    );
    assert_eq!(
        call(
            &app,
            Method::POST,
            "/api/v1/contacts",
            &access,
            Some(json!({"email": "a@example.com"}))
        )
        .await,
        403,
        "a read-only grant cannot write"
    );

    // Listed in the workspace's tab and in the person's profile, with last use.
    app.flush_last_used().await;
    let (_, tab) = app.client.page("/settings/authorized-apps").await;
    assert!(
        tab.contains("Zapline")
            && tab.contains(ADMIN_NAME)
            && tab.contains("Read your contacts")
            && tab.contains("just now")
    );
    let (_, profile) = app.client.page("/settings/profile").await;
    assert!(profile.contains("Apps you authorized") && profile.contains("Zapline"));

    // Refresh with rotation; reusing the old refresh token revokes the grant.
    let first_refresh = tokens.refresh_token().unwrap().secret().clone();
    let refreshed = c
        .exchange_refresh_token(&RefreshToken::new(first_refresh.clone()))
        .request_async(&http())
        .await
        .unwrap();
    let access2 = refreshed.access_token().secret().clone();
    assert_ne!(access2, access);
    assert_eq!(
        call(&app, Method::GET, "/api/v1/key", &access2, None).await,
        200
    );
    let reuse = c
        .exchange_refresh_token(&RefreshToken::new(first_refresh))
        .request_async(&http())
        .await;
    assert!(
        matches!(reuse, Err(oauth2::RequestTokenError::ServerResponse(ref e)) if e.error().to_string() == "invalid_grant"),
        "{reuse:?}"
    );
    assert_eq!(
        call(&app, Method::GET, "/api/v1/key", &access2, None).await,
        401,
        "reuse revoked the grant"
    );
    let (_, tab) = app.client.page("/settings/authorized-apps").await;
    assert!(
        tab.contains("No apps are connected to"),
        "the revoked grant is gone from the tab"
    );
}

async fn an_admin_revoking_an_app_ends_its_access_at_once(app: TestApp) {
    app.setup_admin().await;
    let (id, secret) = register(&app, "Zapline", false).await;
    let c = oauth_client(&app, &id, secret.as_deref(), AuthType::RequestBody);
    let (location, verifier, _) = consent(
        &app,
        &app.client,
        &c,
        &["contacts:read", "contacts:write"],
        true,
    )
    .await;
    let code = query(&location, "code").unwrap();
    let tokens = c
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    let access = tokens.access_token().secret().clone();
    assert_eq!(
        call(
            &app,
            Method::POST,
            "/api/v1/contacts",
            &access,
            Some(json!({"email": "w@example.com"}))
        )
        .await,
        201,
        "write grant writes"
    );
    let grant: String = app
        .db(|c| {
            oauth_grants::table
                .select(oauth_grants::public_id)
                .first(c)
                .unwrap()
        })
        .await;
    let r = app
        .client
        .post_form(&format!("/settings/authorized-apps/{grant}/revoke"), &[])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        call(&app, Method::GET, "/api/v1/key", &access, None).await,
        401
    );
    let refreshed = c
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .request_async(&http())
        .await;
    assert!(refreshed.is_err(), "the refresh token died with the grant");
    let actions: Vec<String> = app
        .db(|c| {
            audit_events::table
                .select(audit_events::action)
                .load(c)
                .unwrap()
        })
        .await;
    assert!(
        actions.contains(&"app.authorize".to_owned()) && actions.contains(&"app.revoke".to_owned())
    );
}

async fn the_flows_failures_are_refused(app: TestApp) {
    app.setup_admin().await;
    let (id, secret) = register(&app, "Zapline", false).await;
    let secret = secret.unwrap();
    let c = oauth_client(&app, &id, Some(&secret), AuthType::BasicAuth);

    // A redirect URI that is not registered exactly: an error page, never a redirect.
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let evil = c
        .clone()
        .set_redirect_uri(RedirectUrl::new("https://evil.example.com/cb".into()).unwrap())
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("contacts:read".into()))
        .set_pkce_challenge(challenge)
        .url()
        .0;
    let r = app
        .client
        .get(&format!("{}?{}", evil.path(), evil.query().unwrap()))
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("does not exactly match"));

    // Deny: back to the app with access_denied and the state.
    let (location, _, state) = consent(&app, &app.client, &c, &["contacts:read"], false).await;
    assert_eq!(query(&location, "error").as_deref(), Some("access_denied"));
    assert_eq!(
        query(&location, "state").as_deref(),
        Some(state.secret().as_str())
    );

    // A PKCE verifier that does not match.
    let (location, _, _) = consent(&app, &app.client, &c, &["contacts:read"], true).await;
    let code = query(&location, "code").unwrap();
    let wrong = PkceCodeVerifier::new("x".repeat(50));
    let r = c
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(wrong)
        .request_async(&http())
        .await;
    assert!(
        matches!(r, Err(oauth2::RequestTokenError::ServerResponse(ref e)) if e.error().to_string() == "invalid_grant"),
        "{r:?}"
    );

    // A reused code: refused, and the tokens issued from it are revoked.
    let (location, verifier, _) = consent(&app, &app.client, &c, &["contacts:read"], true).await;
    let code = query(&location, "code").unwrap();
    let verifier_again = PkceCodeVerifier::new(verifier.secret().clone());
    let first = c
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    let access = first.access_token().secret().clone();
    assert_eq!(
        call(&app, Method::GET, "/api/v1/key", &access, None).await,
        200
    );
    let again = c
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier_again)
        .request_async(&http())
        .await;
    assert!(again.is_err());
    assert_eq!(
        call(&app, Method::GET, "/api/v1/key", &access, None).await,
        401,
        "a reused code revokes what it issued"
    );

    // An expired code (10 minutes).
    let (location, verifier, _) = consent(&app, &app.client, &c, &["contacts:read"], true).await;
    app.clock.advance(time::Duration::minutes(11));
    let r = c
        .exchange_code(AuthorizationCode::new(query(&location, "code").unwrap()))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await;
    assert!(r.is_err());

    // A wrong client secret.
    let bad = oauth_client(&app, &id, Some("mlrs_wrong"), AuthType::BasicAuth);
    let r = bad
        .exchange_refresh_token(&RefreshToken::new("mlrr_x".into()))
        .request_async(&http())
        .await;
    assert!(
        matches!(r, Err(oauth2::RequestTokenError::ServerResponse(ref e)) if e.error().to_string() == "invalid_client"),
        "{r:?}"
    );
}

async fn public_clients_use_pkce_and_tokens_can_be_revoked(app: TestApp) {
    app.setup_admin().await;
    let (id, secret) = register(&app, "Zapline desktop", true).await;
    assert!(secret.is_none());
    let c = oauth_client(&app, &id, None, AuthType::RequestBody);
    let (location, verifier, _) = consent(&app, &app.client, &c, &["contacts:read"], true).await;
    let tokens = c
        .exchange_code(AuthorizationCode::new(query(&location, "code").unwrap()))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    let access = tokens.access_token().secret().clone();
    assert_eq!(
        call(&app, Method::GET, "/api/v1/key", &access, None).await,
        200
    );
    // RFC 7009 (the oauth2 crate will not revoke over plain http, so post the form directly).
    let r = http()
        .post(format!("{}/oauth/revoke", app.base))
        .form(&[
            ("token", tokens.refresh_token().unwrap().secret().as_str()),
            ("token_type_hint", "refresh_token"),
            ("client_id", id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        call(&app, Method::GET, "/api/v1/key", &access, None).await,
        401,
        "RFC 7009: revoking the refresh token ends the grant"
    );

    let r = reqwest::get(format!(
        "{}/.well-known/oauth-authorization-server",
        app.base
    ))
    .await
    .unwrap();
    let meta: Value = r.json().await.unwrap();
    assert_eq!(meta["token_endpoint"], format!("{}/oauth/token", app.base));
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
}

async fn only_people_who_may_authorize_apps_can(app: TestApp) {
    app.setup_admin().await;
    let acme = workspace_id(&app, WORKSPACE).await;
    let (id, secret) = register(&app, "Zapline", false).await;
    let c = oauth_client(&app, &id, secret.as_deref(), AuthType::BasicAuth);
    let uid = app
        .create_user("viewer@example.com", "a long enough password", false, None)
        .await;
    let now = app.clock_now();
    app.db(move |c| {
        let ws = mailrith::models::workspaces::find_by_name(c, WORKSPACE)
            .unwrap()
            .unwrap();
        mailrith::models::workspaces::add_member(
            c,
            ws.id,
            uid,
            WorkspaceAccess::new(Role::Member, Access::View, Access::View),
            now,
        )
        .unwrap();
    })
    .await;
    let viewer = app.client.fresh();
    assert_redirect_to(
        &viewer
            .login("viewer@example.com", "a long enough password")
            .await,
        "/settings/api-keys",
    );
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let (url, _) = c
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("contacts:read".into()))
        .set_pkce_challenge(challenge)
        .url();
    let (_, page) = viewer
        .page(&format!("{}?{}", url.path(), url.query().unwrap()))
        .await;
    assert!(page.contains("You may not connect apps"));
    let r = viewer
        .post_form(
            "/oauth/authorize",
            &[
                ("client_id", &id),
                ("redirect_uri", REDIRECT),
                ("scope", "contacts:read"),
                ("state", "s"),
                ("code_challenge", &"a".repeat(43)),
                ("workspace", &acme),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    let n: i64 = app
        .db(|c| oauth_grants::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(n, 0);
}

/// Offboarding a member lists the apps they connected, and Revoke all ends them; sign-in returns
/// to the consent page; client secrets rotate.
async fn offboarding_revokes_a_leavers_apps_and_secrets_rotate(app: TestApp) {
    app.setup_admin().await;
    let acme = workspace_id(&app, WORKSPACE).await;
    let (id, secret) = register(&app, "Zapline", false).await;
    let secret = secret.unwrap();
    let uid = app
        .create_user("carl@example.com", "a long enough password", false, None)
        .await;
    let now = app.clock_now();
    let carl: String = app
        .db(move |c| {
            let ws = mailrith::models::workspaces::find_by_name(c, WORKSPACE)
                .unwrap()
                .unwrap();
            mailrith::models::workspaces::add_member(
                c,
                ws.id,
                uid,
                WorkspaceAccess::new(Role::Member, Access::View, Access::Manage),
                now,
            )
            .unwrap();
            mailrith::models::users::find(c, uid)
                .unwrap()
                .unwrap()
                .public_id
        })
        .await;
    let c = oauth_client(&app, &id, Some(&secret), AuthType::BasicAuth);

    // Not signed in: the consent page asks for sign-in, then comes back.
    let carl_browser = app.client.fresh();
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _) = c
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("contacts:read".into()))
        .set_pkce_challenge(challenge)
        .url();
    let consent_path = format!("{}?{}", url.path(), url.query().unwrap());
    assert_redirect_to(&carl_browser.get(&consent_path).await, "/login");
    let r = carl_browser
        .login("carl@example.com", "a long enough password")
        .await;
    assert_redirect_to(&r, &consent_path);
    let _ = verifier;
    let (location, verifier, _) = consent(&app, &carl_browser, &c, &["contacts:read"], true).await;
    let tokens = c
        .exchange_code(AuthorizationCode::new(query(&location, "code").unwrap()))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    let access = tokens.access_token().secret().clone();
    assert_eq!(
        call(&app, Method::GET, "/api/v1/key", &access, None).await,
        200
    );

    let r = app
        .client
        .post_form(&format!("/settings/team-members/{acme}/{carl}/remove"), &[])
        .await;
    assert_redirect_to(
        &r,
        &format!("/settings/team-members/{acme}/{carl}/offboarding"),
    );
    let (_, review) = app
        .client
        .page(&format!("/settings/team-members/{acme}/{carl}/offboarding"))
        .await;
    assert!(review.contains("Apps Test Person authorized") && review.contains("Zapline"));
    app.client
        .post_form(
            &format!("/settings/team-members/{acme}/{carl}/offboarding/revoke-all"),
            &[],
        )
        .await;
    assert_eq!(
        call(&app, Method::GET, "/api/v1/key", &access, None).await,
        401
    );

    // Rotating the client secret: the old one stops authenticating the client.
    let r = app
        .client
        .post_form(
            &format!("/settings/authorized-apps/clients/{id}/rotate-secret"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    let new_secret = between(
        &body,
        "id=\"client-secret\" class=\"secret mono\" type=\"text\" readonly value=\"",
        '"',
    )
    .unwrap();
    assert_ne!(new_secret, secret);
    let old = oauth_client(&app, &id, Some(&secret), AuthType::BasicAuth);
    let r = old
        .exchange_refresh_token(&RefreshToken::new("mlrr_x".into()))
        .request_async(&http())
        .await;
    assert!(
        matches!(r, Err(oauth2::RequestTokenError::ServerResponse(ref e)) if e.error().to_string() == "invalid_client")
    );
    let new = oauth_client(&app, &id, Some(&new_secret), AuthType::BasicAuth);
    let r = new
        .exchange_refresh_token(&RefreshToken::new("mlrr_x".into()))
        .request_async(&http())
        .await;
    assert!(
        matches!(r, Err(oauth2::RequestTokenError::ServerResponse(ref e)) if e.error().to_string() == "invalid_grant"),
        "authenticated; only the token is bad"
    );
}

/// What a standard OAuth client notices: JSON errors from the token endpoint whatever the body
/// (RFC 6749 section 5.2), a missing `code_verifier` named as missing, and an
/// `insufficient_scope` challenge (RFC 6750 section 3.1) for a read-only token that writes.
async fn token_and_bearer_errors_follow_the_rfcs(app: TestApp) {
    app.setup_admin().await;
    let (id, secret) = register(&app, "Zapline", false).await;
    let secret = secret.unwrap();
    let token_url = format!("{}/oauth/token", app.base);

    // A JSON body is not how the token endpoint is called, but the answer is still RFC 6749's.
    let r = http()
        .post(&token_url)
        .basic_auth(&id, Some(&secret))
        .json(&json!({"grant_type": "authorization_code", "code": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");

    // A missing code_verifier is missing, not "does not match"; the code still works afterwards.
    let c = oauth_client(&app, &id, Some(&secret), AuthType::BasicAuth);
    let (location, verifier, _) = consent(&app, &app.client, &c, &["contacts:read"], true).await;
    let code = query(&location, "code").unwrap();
    let r = http()
        .post(&token_url)
        .basic_auth(&id, Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains("code_verifier is required") && !description.contains("match"),
        "{description}"
    );
    let tokens = c
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    let access = tokens.access_token().secret().clone();

    // contacts:read writing: 403 with the scope it needs, in words for an app.
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/contacts", app.base))
        .bearer_auth(&access)
        .json(&json!({"email": "new@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.headers()["www-authenticate"],
        "Bearer realm=\"Mailrith API\", error=\"insufficient_scope\", scope=\"contacts:read contacts:write\""
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "insufficient_scope");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("scope") && !message.contains("API key"),
        "{message}"
    );

    // A bad app token gets the same challenge as every other bad token.
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/key", app.base))
        .bearer_auth("mlra_notarealtoken")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        "Bearer realm=\"Mailrith API\", error=\"invalid_token\""
    );
}

backend_tests!(
    token_and_bearer_errors_follow_the_rfcs,
    offboarding_revokes_a_leavers_apps_and_secrets_rotate,
    a_standard_client_connects_refreshes_and_is_revoked,
    an_admin_revoking_an_app_ends_its_access_at_once,
    the_flows_failures_are_refused,
    public_clients_use_pkce_and_tokens_can_be_revoked,
    only_people_who_may_authorize_apps_can,
    an_app_token_reported_public_ends_its_grant,
);

/// A secret scanner reports an app's access token found in public: the grant is revoked at once,
/// so neither the token nor its refresh token works, and the report's answer says so.
async fn an_app_token_reported_public_ends_its_grant(app: TestApp) {
    use crate::routes::secret_scanning::{report, sign, signing_key, trusted};
    let github = signing_key(1);
    let keys = trusted(&github);
    let app = app.respawn(move |s| s.secret_scanning = Some(keys)).await;
    app.setup_admin().await;
    let (id, _) = register(&app, "Zapline desktop", true).await;
    let c = oauth_client(&app, &id, None, AuthType::RequestBody);
    let (location, verifier, _) = consent(&app, &app.client, &c, &["contacts:read"], true).await;
    let tokens = c
        .exchange_code(AuthorizationCode::new(query(&location, "code").unwrap()))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    let access = tokens.access_token().secret().clone();
    assert_eq!(
        call(&app, Method::GET, "/api/v1/key", &access, None).await,
        200
    );
    let body = serde_json::to_vec(&json!([{
        "token": access,
        "type": "mailrith_oauth_access_token",
        "url": "https://gist.github.com/someone/abc",
        "source": "gist",
    }]))
    .unwrap();
    let (s, answer) = report(&app, &body, Some("github-1"), Some(&sign(&github, &body))).await;
    assert_eq!(s, 200, "{answer}");
    assert!(answer.contains("true_positive"), "{answer}");
    assert!(
        !answer.contains(&access),
        "the answer holds a hash, never the token"
    );
    assert_eq!(
        call(&app, Method::GET, "/api/v1/key", &access, None).await,
        401,
        "the token stops at once"
    );
    let refreshed = c
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .request_async(&http())
        .await;
    assert!(refreshed.is_err(), "the grant is gone: no new tokens");
}
