//! `--public-url` is the one source for invitation links, the OAuth issuer and the Developer
//! Quickstart; the `Host` header never is. Without it, the address the server listens on.

use crate::backend_tests;
use crate::helpers::*;

async fn links_come_from_the_public_url_never_the_host_header(app: TestApp) {
    let app = app
        .respawn(|s| s.public_url = Some("https://keys.example.com".into()))
        .await;
    app.setup_admin().await;
    let forged = [("host", "evil.example.net")];
    let metadata: serde_json::Value = app
        .client
        .get_with("/.well-known/oauth-authorization-server", &forged)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], "https://keys.example.com");
    assert_eq!(
        metadata["token_endpoint"],
        "https://keys.example.com/oauth/token"
    );
    let (_, quickstart) = app.client.page("/developers/quickstart").await;
    assert!(quickstart.contains("https://keys.example.com/api/v1/key"));
    assert!(!quickstart.contains("evil.example.net"));

    let ws = workspace_id(&app, WORKSPACE).await;
    let token = app.client.csrf().await;
    let r = app
        .client
        .post_raw(
            "/settings/team-members/invitations",
            &[
                ("workspace", ws.as_str()),
                ("email", "new@example.com"),
                ("role", "member"),
                ("api_keys", "view"),
                ("apps", "view"),
                ("csrf_token", token.as_str()),
            ],
            &forged,
        )
        .await;
    let body = r.text().await.unwrap();
    assert!(
        body.contains("value=\"https://keys.example.com/invitations/"),
        "{body}"
    );
    assert!(!body.contains("evil.example.net"));
}

async fn without_it_links_name_the_bind_address(app: TestApp) {
    app.setup_admin().await;
    let metadata: serde_json::Value = app
        .client
        .get_with(
            "/.well-known/oauth-authorization-server",
            &[("host", "evil.example.net")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], app.base.as_str());
}

backend_tests!(
    links_come_from_the_public_url_never_the_host_header,
    without_it_links_name_the_bind_address,
);
