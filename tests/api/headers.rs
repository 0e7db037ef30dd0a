use reqwest::Method;

use crate::backend_tests;
use crate::helpers::*;

fn assert_security_headers(r: &reqwest::Response) {
    let h = r.headers();
    let csp = h
        .get("content-security-policy")
        .expect("CSP")
        .to_str()
        .unwrap();
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .expect("script-src");
    assert!(
        !script_src.contains("unsafe-inline") && !script_src.contains("unsafe-eval"),
        "{csp}"
    );
    for d in [
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(d), "{d} missing: {csp}");
    }
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(
        h.get("referrer-policy").unwrap(),
        "strict-origin-when-cross-origin"
    );
    assert!(h.get("server").is_none(), "no server banner");
    if let Some(ct) = h.get("content-type").and_then(|v| v.to_str().ok()) {
        if ct.starts_with("text/") {
            assert!(ct.contains("charset=utf-8"), "{ct}");
        }
    }
}

async fn every_response_carries_the_security_headers(app: TestApp) {
    app.setup_admin().await;
    let css = mailrith::assets::url("app.css");
    let js = mailrith::assets::url("app.js");
    let htmx = mailrith::assets::url("vendor/htmx-2.0.11.min.js");
    for path in [
        "/login",
        "/settings/profile",
        "/settings/api-keys",
        "/healthz",
        "/nope",
        css,
        js,
        htmx,
    ] {
        let r = app.client.get(path).await;
        assert_security_headers(&r);
    }
    let r = app
        .client
        .post_raw("/settings/profile", &[("name", "x")], &[])
        .await;
    assert_eq!(r.status(), 403);
    assert_security_headers(&r);
}

async fn static_assets_are_embedded_versioned_and_cached(app: TestApp) {
    let (_, page) = app.client.page("/login").await;
    for logical in ["app.css", "app.js", "vendor/htmx-2.0.11.min.js"] {
        let url = mailrith::assets::url(logical);
        assert!(page.contains(url), "{url} linked from the page");
        let r = app.client.get(url).await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers().get("cache-control").unwrap(),
            "public, max-age=31536000, immutable"
        );
    }
    assert!(mailrith::assets::url("app.css").starts_with("/static/app."));
    assert_ne!(
        mailrith::assets::url("app.css"),
        "/static/app.css",
        "content-hashed name"
    );
    let r = app
        .client
        .get(mailrith::assets::url("vendor/htmx-2.0.11.min.js"))
        .await;
    assert!(r.text().await.unwrap().contains("version:\"2.0.11\""));
    assert!(!page.contains("https://"), "no CDN");
    assert!(!page.contains("<script>"), "no inline scripts");
}

/// TRACE is refused with 405, an `Allow` header and the same security headers as every answer.
async fn trace_is_refused(app: TestApp) {
    for (path, allow) in [
        ("/", "GET, HEAD"),
        ("/login", "GET, HEAD, POST"),
        ("/healthz", "GET, HEAD"),
    ] {
        let r = app
            .client
            .request(Method::TRACE, path, Default::default(), None)
            .await;
        assert_eq!(r.status(), 405, "{path}");
        assert_eq!(r.headers().get("allow").unwrap(), allow, "{path}");
        assert_security_headers(&r);
    }
}

/// HEAD answers like GET without a body (RFC 9110), on pages, assets and the API.
async fn head_answers_like_get_without_a_body(app: TestApp) {
    app.setup_admin().await;
    let css = mailrith::assets::url("app.css");
    for path in [
        "/login",
        "/settings/api-keys",
        "/healthz",
        css,
        "/api/v1/ping",
        "/favicon.ico",
    ] {
        let get = app.client.get(path).await;
        let head = app
            .client
            .request(Method::HEAD, path, Default::default(), None)
            .await;
        assert_eq!(head.status(), get.status(), "{path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "{path}"
        );
        assert_security_headers(&head);
        assert!(head.bytes().await.unwrap().is_empty(), "{path}: no body");
    }
}

/// A known path asked with a method it does not answer gets 405 and `Allow`; an unknown path is
/// still 404. The JSON API answers in JSON.
async fn unsupported_methods_get_405_with_allow(app: TestApp) {
    let query = Method::from_bytes(b"QUERY").unwrap();
    for (method, path, allow) in [
        (query.clone(), "/login", "GET, HEAD, POST"),
        (Method::DELETE, "/settings/api-keys", "GET, HEAD, POST"),
        (Method::PUT, "/api/v1/contacts", "GET, HEAD, POST"),
        (query.clone(), "/api/v1/key", "GET, HEAD"),
        (Method::GET, "/oauth/token", "POST"),
    ] {
        let r = app
            .client
            .request(method.clone(), path, Default::default(), None)
            .await;
        assert_eq!(r.status(), 405, "{method} {path}");
        assert_eq!(r.headers().get("allow").unwrap(), allow, "{method} {path}");
        assert_security_headers(&r);
        if path.starts_with("/api/") {
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(v["error"]["code"], "method_not_allowed");
        }
    }
    for path in ["/nope", "/api/v1/nope"] {
        let r = app
            .client
            .request(query.clone(), path, Default::default(), None)
            .await;
        assert_eq!(r.status(), 404, "{path}");
    }
}

/// Pages, styles and scripts are compressed for browsers that ask; responses that carry a
/// one-time secret never are.
async fn text_is_compressed_and_secrets_are_not(app: TestApp) {
    app.setup_admin().await;
    let asks = [("accept-encoding", "gzip, deflate, br, zstd")];
    for path in [
        "/settings/profile",
        "/settings/api-keys",
        mailrith::assets::url("app.css"),
        mailrith::assets::url("app.js"),
        mailrith::assets::url("vendor/htmx-2.0.11.min.js"),
    ] {
        let r = app.client.get_with(path, &asks).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers().get("content-encoding").unwrap(), "br", "{path}");
        assert!(
            r.headers().get_all("vary").iter().any(|v| v
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept-encoding")),
            "{path}"
        );
    }
    let gzip_only = app
        .client
        .get_with(
            mailrith::assets::url("vendor/htmx-2.0.11.min.js"),
            &[("accept-encoding", "gzip")],
        )
        .await;
    assert_eq!(gzip_only.headers().get("content-encoding").unwrap(), "gzip");
    let plain = app
        .client
        .get(mailrith::assets::url("vendor/htmx-2.0.11.min.js"))
        .await;
    assert!(plain.headers().get("content-encoding").is_none());
    assert!(plain.text().await.unwrap().contains("version:\"2.0.11\""));

    // The Save Your API Key dialog, an app's client secret and an invitation link: never compressed.
    let ws = workspace_id(&app, WORKSPACE).await;
    let token = app.client.csrf().await;
    let mut secret_responses = Vec::new();
    for (path, fields) in [
        (
            "/settings/api-keys",
            vec![
                ("workspace", ws.as_str()),
                ("name", "Compressed?"),
                ("access_level", "read_only"),
                ("expiration", "90"),
            ],
        ),
        (
            "/settings/authorized-apps/clients",
            vec![
                ("name", "Zapline"),
                ("homepage", "https://zapline.example.com"),
                ("redirect_uris", "https://zapline.example.com/cb"),
                ("client_type", "confidential"),
            ],
        ),
        (
            "/settings/team-members/invitations",
            vec![
                ("workspace", ws.as_str()),
                ("email", "new.person@example.com"),
                ("role", "member"),
                ("api_keys", "view"),
                ("apps", "view"),
            ],
        ),
    ] {
        let mut all = fields.clone();
        all.push(("csrf_token", token.as_str()));
        let r = app.client.post_raw(path, &all, &asks).await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.headers().get("content-encoding").is_none(),
            "{path} is not compressed"
        );
        assert!(
            r.headers()
                .get("cache-control")
                .unwrap()
                .to_str()
                .unwrap()
                .contains("no-store"),
            "{path}"
        );
        secret_responses.push(r.text().await.unwrap());
    }
    assert!(secret_in(&secret_responses[0]).is_some());
    assert!(secret_responses[1].contains("mlrs_"));
    assert!(secret_responses[2].contains("/invitations/"));
}

/// The CSRF token in a page is masked afresh in every response (so compression cannot reveal it),
/// and every masked form of it is accepted.
async fn the_csrf_token_is_masked_afresh_in_every_response(app: TestApp) {
    app.setup_admin().await;
    let (_, first) = app.client.page("/settings/profile").await;
    let (_, second) = app.client.page("/settings/profile").await;
    let (a, b) = (
        extract_csrf(&first).unwrap(),
        extract_csrf(&second).unwrap(),
    );
    assert_ne!(a, b, "a different string in every response");
    for token in [&a, &b] {
        let r = app
            .client
            .post_raw(
                "/settings/profile",
                &[("name", "Ada King"), ("csrf_token", token)],
                &[],
            )
            .await;
        assert_eq!(r.status(), 303, "an earlier masked token still works");
    }
    let mut forged = a.clone().into_bytes();
    forged[5] = if forged[5] == b'A' { b'B' } else { b'A' };
    let r = app
        .client
        .post_raw(
            "/settings/profile",
            &[
                ("name", "Mallory"),
                ("csrf_token", &String::from_utf8(forged).unwrap()),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status(), 403);
}

/// The icon: linked from every page and served at `/favicon.ico`, embedded and immutable.
async fn the_icon_is_served_and_linked(app: TestApp) {
    let (_, page) = app.client.page("/login").await;
    let svg = mailrith::assets::url("favicon.svg");
    assert!(
        page.contains(&format!("<link rel=\"icon\" href=\"{svg}\"")),
        "linked"
    );
    for (path, ty) in [("/favicon.ico", "image/x-icon"), (svg, "image/svg+xml")] {
        let r = app.client.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers().get("content-type").unwrap(), ty);
        assert_eq!(
            r.headers().get("cache-control").unwrap(),
            "public, max-age=31536000, immutable"
        );
        assert!(!r.bytes().await.unwrap().is_empty());
    }
}

async fn pages_vary_on_hx_request_and_serve_partials_to_htmx(app: TestApp) {
    app.setup_admin().await;
    let full = app.client.get("/settings/profile").await;
    assert_eq!(full.headers().get("vary").unwrap(), "HX-Request");
    let full = full.text().await.unwrap();
    assert!(full.contains("<html"));
    let partial = app
        .client
        .get_with("/settings/profile", &[("hx-request", "true")])
        .await;
    assert_eq!(partial.status(), 200);
    let partial = partial.text().await.unwrap();
    assert!(!partial.contains("<html") && partial.contains("Change password"));
    let restore = app
        .client
        .get_with(
            "/settings/profile",
            &[
                ("hx-request", "true"),
                ("hx-history-restore-request", "true"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        restore.contains("<html"),
        "history restore needs the whole page"
    );
}

async fn htmx_errors_become_toasts_and_sign_in_redirects(app: TestApp) {
    let r = app
        .client
        .get_with("/settings/profile", &[("hx-request", "true")])
        .await;
    assert_eq!(r.headers().get("hx-redirect").unwrap(), "/login");
    app.setup_admin().await;
    let r = app
        .client
        .get_with("/settings/api-keys/key_nope", &[("hx-request", "true")])
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers().get("hx-retarget").unwrap(), "#toast");
    let body = r.text().await.unwrap();
    assert!(body.contains("class=\"toast\"") && !body.contains("<html"));
}

backend_tests!(
    head_answers_like_get_without_a_body,
    unsupported_methods_get_405_with_allow,
    text_is_compressed_and_secrets_are_not,
    the_csrf_token_is_masked_afresh_in_every_response,
    the_icon_is_served_and_linked,
    every_response_carries_the_security_headers,
    static_assets_are_embedded_versioned_and_cached,
    trace_is_refused,
    pages_vary_on_hx_request_and_serve_partials_to_htmx,
    htmx_errors_become_toasts_and_sign_in_redirects,
);
