//! The OpenAPI 3 document, generated from the handlers' annotations.

use std::sync::{Arc, Mutex};

use utoipa::openapi::security::{
    AuthorizationCode, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

use crate::api::v1::{self, contacts, key, keys, secret_scanning};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Mailrith API",
        version = "1",
        description = "The JSON API that Mailrith API keys unlock. Authenticate with `Authorization: Bearer <key>`. \
A key sees and changes only its own workspace's data; Read Only keys cannot create, change or delete. \
Authorized apps call with an OAuth 2.0 access token (`mlra_…`) in the same header; the keys endpoints (the management API) \
take only an app's token with the scope `keys:manage`, and act as the person who connected the app."
    ),
    paths(v1::ping, key::key, contacts::list, contacts::get, contacts::create, contacts::update, contacts::delete, secret_scanning::verify, keys::list, keys::get, keys::create, keys::update, keys::rotate, keys::revoke),
    components(schemas(
        v1::Ping,
        key::KeyInfo,
        key::WorkspaceRef,
        contacts::ContactOut,
        contacts::ContactList,
        contacts::ContactIn,
        contacts::ContactStatusName,
        keys::ApiKeyOut,
        keys::ApiKeyList,
        keys::ApiKeyWithSecret,
        keys::OwnerRef,
        keys::KeyCreateIn,
        keys::KeyPatchIn,
        keys::KeyRotateIn,
        secret_scanning::ReportedToken,
        secret_scanning::TokenFeedback,
        crate::api::error::ErrorBody,
        crate::api::error::ErrorDetail
    )),
    modifiers(&BearerAuth, &KeyRestrictions),
    tags((name = "keys", description = "The calling key, and the management API: list, create, edit, rotate and revoke keys (an app with keys:manage)"), (name = "contacts", description = "A workspace's contacts"), (name = "secret scanning", description = "Reports of tokens found in public"), (name = "meta"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("mlr_ API key")
                    .description(Some("A Mailrith API key: `mlr_` and 36 characters."))
                    .build(),
            ),
        );
    }
}

/// Every call made with a key may meet the key's own restrictions: its IP allowlist (403) and its
/// rate limit (429 with `Retry-After` and the `RateLimit-*` headers, which also answer too many
/// invalid keys from one client). Added to every operation that takes a key.
struct KeyRestrictions;

impl Modify for KeyRestrictions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{
            schema::Type, ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, ResponseBuilder,
        };
        let error = || {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build()
        };
        let seconds = |what: &str| {
            HeaderBuilder::new()
                .schema(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(0)),
                )
                .description(Some(what))
                .build()
        };
        let too_many = ResponseBuilder::new()
            .description(
                "Over the key's own requests-per-minute limit (counted per server process), or too \
                 many invalid keys from this client. Retry after `Retry-After` seconds.",
            )
            .content("application/json", error())
            .header("Retry-After", seconds("Seconds until a request may succeed"))
            .header("RateLimit-Limit", seconds("The key's requests per minute (with a limit)"))
            .header("RateLimit-Remaining", seconds("Requests left now (with a limit)"))
            .header("RateLimit-Reset", seconds("Seconds until one more request is allowed (with a limit)"))
            .build();
        let address = "Or the key may not be used from this address (its IP allowlist).";
        for (path, item) in openapi.paths.paths.iter_mut() {
            // The management API takes only an app's token: no key restrictions there.
            let managed = path.starts_with("/api/v1/keys");
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                let keyed = op.security.as_ref().is_some_and(|s| !s.is_empty());
                if !keyed || managed {
                    continue;
                }
                let responses = &mut op.responses.responses;
                responses.insert("429".into(), RefOr::T(too_many.clone()));
                match responses.get_mut("403") {
                    Some(RefOr::T(r)) => r.description = format!("{} {address}", r.description),
                    _ => {
                        responses.insert(
                            "403".into(),
                            RefOr::T(
                                ResponseBuilder::new()
                                    .description("The key may not be used from this address (its IP allowlist).")
                                    .content("application/json", error())
                                    .build(),
                            ),
                        );
                    }
                }
            }
        }
    }
}

/// Authorized apps: OAuth 2.0 authorization code with PKCE (S256), at this server's public URL
/// (the document requires absolute URLs).
fn add_oauth(openapi: &mut utoipa::openapi::OpenApi, base: &str) {
    let components = openapi.components.get_or_insert_with(Default::default);
    let flow = AuthorizationCode::new(
        format!("{base}/oauth/authorize"),
        format!("{base}/oauth/token"),
        Scopes::from_iter([
            ("contacts:read", "Read your contacts"),
            (
                "contacts:write",
                "Create, change and delete your contacts (with contacts:read)",
            ),
            (
                "keys:manage",
                "Create, rotate and revoke API keys in the workspace, as the person who connected the app",
            ),
        ]),
    );
    components.add_security_scheme(
        "oauth",
        SecurityScheme::OAuth2(OAuth2::with_description(
            [Flow::AuthorizationCode(flow)],
            "An authorized app's access token (`mlra_…`), sent as `Authorization: Bearer <token>`.",
        )),
    );
}

/// The document for a server whose public URL is `base`, rendered once per URL (a process has
/// one; tests run several servers in one process).
pub fn document_json(base: &str) -> Arc<str> {
    static DOC: Mutex<Option<(String, Arc<str>)>> = Mutex::new(None);
    let mut cached = DOC.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((b, doc)) = cached.as_ref() {
        if b == base {
            return doc.clone();
        }
    }
    let mut api = ApiDoc::openapi();
    add_oauth(&mut api, base);
    let doc: Arc<str> = api.to_pretty_json().unwrap_or_else(|_| "{}".into()).into();
    *cached = Some((base.to_owned(), doc.clone()));
    doc
}
