//! The OpenAPI 3 document, generated from the handlers' annotations.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::v1::{self, contacts, key, secret_scanning};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Mailrith API",
        version = "1",
        description = "The JSON API that Mailrith API keys unlock. Authenticate with `Authorization: Bearer <key>`. \
A key sees and changes only its own workspace's data; Read Only keys cannot create, change or delete."
    ),
    paths(v1::ping, key::key, contacts::list, contacts::get, contacts::create, contacts::update, contacts::delete, secret_scanning::verify),
    components(schemas(
        v1::Ping,
        key::KeyInfo,
        key::WorkspaceRef,
        contacts::ContactOut,
        contacts::ContactList,
        contacts::ContactIn,
        contacts::ContactStatusName,
        secret_scanning::ReportedToken,
        secret_scanning::TokenFeedback,
        crate::api::error::ErrorBody,
        crate::api::error::ErrorDetail
    )),
    modifiers(&BearerAuth),
    tags((name = "keys", description = "The calling key"), (name = "contacts", description = "A workspace's contacts"), (name = "secret scanning", description = "Reports of tokens found in public"), (name = "meta"))
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

pub fn document_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|_| "{}".into())
    })
}
