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
    let css = mailrith::static_files::url("app.css");
    let js = mailrith::static_files::url("app.js");
    let htmx = mailrith::static_files::url("vendor/htmx-2.0.11.min.js");
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
        let url = mailrith::static_files::url(logical);
        assert!(page.contains(url), "{url} linked from the page");
        let r = app.client.get(url).await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers().get("cache-control").unwrap(),
            "public, max-age=31536000, immutable"
        );
    }
    assert!(mailrith::static_files::url("app.css").starts_with("/static/app."));
    assert_ne!(
        mailrith::static_files::url("app.css"),
        "/static/app.css",
        "content-hashed name"
    );
    let r = app
        .client
        .get(mailrith::static_files::url("vendor/htmx-2.0.11.min.js"))
        .await;
    assert!(r.text().await.unwrap().contains("version:\"2.0.11\""));
    assert!(!page.contains("https://"), "no CDN");
    assert!(!page.contains("<script>"), "no inline scripts");
}

async fn trace_is_refused(app: TestApp) {
    for path in ["/", "/login", "/healthz"] {
        let r = app
            .client
            .request(Method::TRACE, path, Default::default(), None)
            .await;
        assert_eq!(r.status(), 405, "{path}");
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
        .get_with(
            "/settings/workspaces/ws_nope/rename",
            &[("hx-request", "true")],
        )
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers().get("hx-retarget").unwrap(), "#toast");
    let body = r.text().await.unwrap();
    assert!(body.contains("class=\"toast\"") && !body.contains("<html"));
}

backend_tests!(
    every_response_carries_the_security_headers,
    static_assets_are_embedded_versioned_and_cached,
    trace_is_refused,
    pages_vary_on_hx_request_and_serve_partials_to_htmx,
    htmx_errors_become_toasts_and_sign_in_redirects,
);
