use super::*;
use crate::services::apps::{self, NewClient};
use crate::services::testing::{db, owner, NOW};

#[test]
fn a_replayed_code_or_refresh_token_revokes_the_grant() {
    let mut d = db();
    let c = &mut d.conn;
    let (olivia, acme) = owner(c, "olivia@example.com", "Acme");
    let new = NewClient {
        name: "Zapline".into(),
        homepage: "https://zapline.example.com".into(),
        redirect_uris: vec!["https://zapline.example.com/cb".into()],
        logo_url: None,
        public: false,
    };
    let app = apps::register(c, &olivia, Ok(new)).unwrap();
    let client = authenticate_client(c, &app.client_id, app.secret.as_deref()).unwrap();
    assert!(matches!(
        authenticate_client(c, &app.client_id, Some("mlrs_wrong")),
        Err(TokenError::InvalidClient)
    ));
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let req = AuthorizeRequest {
        response_type: "code".into(),
        client_id: app.client_id.clone(),
        redirect_uri: "https://zapline.example.com/cb".into(),
        scope: "contacts:read".into(),
        state: String::new(),
        code_challenge: o::challenge_of(verifier),
        code_challenge_method: "S256".into(),
    };
    let code = approve(c, &olivia, &req, &acme.public_id).unwrap();
    let cb = &req.redirect_uri;
    let tokens = exchange_code(c, client.id, &code, cb, verifier, NOW).unwrap();
    let refreshed = refresh(c, client.id, &tokens.refresh, NOW).unwrap();
    // The first refresh token was replaced: using it again means it was copied.
    assert!(matches!(
        refresh(c, client.id, &tokens.refresh, NOW),
        Err(TokenError::Refused {
            error: "invalid_grant",
            ..
        })
    ));
    assert!(
        matches!(
            refresh(c, client.id, &refreshed.refresh, NOW),
            Err(TokenError::Refused {
                error: "invalid_grant",
                ..
            })
        ),
        "the whole grant is revoked"
    );
    assert!(matches!(
        exchange_code(c, client.id, &code, cb, verifier, NOW),
        Err(TokenError::Refused {
            error: "invalid_grant",
            ..
        })
    ));
}
