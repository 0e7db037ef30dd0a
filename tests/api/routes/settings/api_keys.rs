//! Settings > API Keys: generate, the one-time secret, search, rotate, revoke, edit, audit.

use diesel::prelude::*;
use mailrith::db::schema::{api_keys, audit_events, sessions};
use mailrith::domain::key::PlainKey;
use mailrith::domain::workspace::Role;

use crate::backend_tests;
use crate::helpers::*;

fn all_secrets_in(body: &str) -> Vec<String> {
    body.match_indices("mlr_")
        .filter_map(|(i, _)| {
            let c: String = body[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (c.len() >= 20).then_some(c)
        })
        .collect()
}

async fn stored_hash(app: &TestApp, pid: &str) -> String {
    let pid = pid.to_owned();
    app.db(move |c| {
        api_keys::table
            .filter(api_keys::public_id.eq(pid))
            .select(api_keys::key_hash)
            .first(c)
            .unwrap()
    })
    .await
}

async fn generate_shows_the_secret_once_without_javascript(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    let (status, body) = app.client.page("/settings/api-keys").await;
    assert_eq!(status, 200);
    assert!(body.contains("Integration Credentials") && body.contains("Generate API Key"));
    assert!(
        body.contains("No API keys yet") && body.contains("/developers/quickstart"),
        "empty state"
    );

    let (status, form) = app.client.page("/settings/api-keys/new").await;
    assert_eq!(status, 200);
    assert!(form.contains("<html"), "a whole page without JavaScript");
    for label in [
        "Workspace",
        "Name",
        "Purpose",
        "Access Level",
        "Read Only",
        "Read and Write",
        "Expiration",
        "30 days",
        "60 days",
        "90 days",
        "1 year",
        "Custom date",
        "Never expires",
        "Generate",
    ] {
        assert!(form.contains(label), "{label}");
    }
    assert!(
        form.contains("value=\"read_only\" checked"),
        "Read Only is preselected"
    );
    assert!(form.contains("Website sign-up form"), "the naming hint");

    let r = app
        .client
        .post_form(
            "/settings/api-keys",
            &[
                ("workspace", &ws),
                ("name", "Website sign-up form"),
                ("purpose", "Adds subscribers from acme.com"),
                ("access_level", "read_write"),
                ("expiration", "30"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r
        .headers()
        .get("cache-control")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("no-store"));
    let body = r.text().await.unwrap();
    assert!(body.contains("Save Your API Key") && body.contains("shows it only once"));
    assert!(body.contains("hx-history=\"false\""));
    let secret = secret_in(&body).expect("the full key is shown");
    assert_eq!(secret.len(), 40);

    let pid = key_id_by_name(&app, "Website sign-up form").await;
    assert!(pid.starts_with("key_") && !body.contains(&format!("/{secret}")));
    assert_eq!(
        stored_hash(&app, &pid).await,
        PlainKey::parse(&secret).unwrap().hash().as_str()
    );
    let (hint, access, expires, owner, creator): (
        String,
        String,
        Option<time::PrimitiveDateTime>,
        Option<i64>,
        Option<i64>,
    ) = app
        .db({
            let pid = pid.clone();
            move |c| {
                api_keys::table
                    .filter(api_keys::public_id.eq(pid))
                    .select((
                        api_keys::hint,
                        api_keys::access_level,
                        api_keys::expires_at,
                        api_keys::owner_id,
                        api_keys::created_by,
                    ))
                    .first(c)
                    .unwrap()
            }
        })
        .await;
    assert_eq!(hint, format!("mlr_…{}", &secret[36..]));
    assert_eq!(access, "read_write");
    assert_eq!(expires, Some(app.clock_now() + time::Duration::days(30)));
    assert!(
        owner.is_some() && owner == creator,
        "the creator owns it by default"
    );

    // "I have saved the key" returns to the list with the key highlighted.
    let done = format!("/settings/api-keys?highlight={pid}");
    assert!(body.contains(&done));
    let (_, list) = app.client.page(&done).await;
    assert!(list.contains("class=\"highlight\""));
    for text in [
        "Website sign-up form",
        "Adds subscribers from acme.com",
        WORKSPACE,
        ADMIN_NAME,
        "Read and Write",
        &hint,
        "expires in 30 days",
        "never used",
        "Active",
    ] {
        assert!(list.contains(text), "{text} in the list");
    }
    let events: Vec<String> = app
        .db(|c| {
            audit_events::table
                .select(audit_events::action)
                .load(c)
                .unwrap()
        })
        .await;
    assert!(events.contains(&"api_key.generate".to_owned()));
}

async fn the_drawer_and_dialog_are_htmx_partials(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    let r = app
        .client
        .get_with("/settings/api-keys/new", &[("hx-request", "true")])
        .await;
    assert_eq!(r.status(), 200);
    let drawer = r.text().await.unwrap();
    assert!(
        !drawer.contains("<html")
            && drawer.contains("role=\"dialog\"")
            && drawer.contains("aria-modal=\"true\"")
    );
    assert!(drawer.contains("hx-post=\"/settings/api-keys\""));
    let token = app.client.csrf().await;
    let r = app
        .client
        .post_raw(
            "/settings/api-keys",
            &[
                ("workspace", &ws),
                ("name", "CRM sync"),
                ("access_level", "read_only"),
                ("expiration", "never"),
                ("csrf_token", &token),
            ],
            &[("hx-request", "true")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let dialog = r.text().await.unwrap();
    assert!(
        !dialog.contains("<html")
            && dialog.contains("Save Your API Key")
            && dialog.contains("hx-history=\"false\"")
    );
    assert!(secret_in(&dialog).is_some());
    // Invalid input re-renders the drawer (422) for htmx too.
    let r = app
        .client
        .post_raw(
            "/settings/api-keys",
            &[("workspace", &ws), ("name", ""), ("csrf_token", &token)],
            &[("hx-request", "true")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(!body.contains("<html") && body.contains("Name is required."));
}

async fn invalid_input_saves_nothing(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    let long = "x".repeat(81);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("name", "   ")], "Name is required."),
        (
            vec![("name", long.as_str())],
            "Name must be at most 80 characters.",
        ),
        (
            vec![("access_level", "admin")],
            "Choose Read Only or Read and Write.",
        ),
        (vec![("expiration", "7")], "Choose an expiration."),
        (
            vec![("expiration", "custom"), ("expires_on", "2020-01-01")],
            "Choose a date in the future.",
        ),
        (
            vec![("expiration", "custom"), ("expires_on", "")],
            "Enter a date as YYYY-MM-DD.",
        ),
        (vec![("workspace", "")], "Choose a workspace."),
    ];
    for (extra, message) in cases {
        let (status, body, secret) = generate(&app.client, &ws, "Import script", &extra).await;
        assert_eq!(status, 422, "{message}");
        assert!(body.contains(message), "{message}");
        assert!(secret.is_none());
    }
    // A workspace one does not belong to does not exist.
    assert_eq!(
        generate(
            &app.client,
            &ws,
            "Import script",
            &[("workspace", "ws_notmine")]
        )
        .await
        .0,
        404
    );
    let n: i64 = app
        .db(|c| api_keys::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(n, 0);
    // The typed values are kept.
    let (_, body, _) = generate(&app.client, &ws, "Kept name", &[("expiration", "7")]).await;
    assert!(body.contains("value=\"Kept name\""));
}

async fn names_are_unique_among_active_keys(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    assert_eq!(generate(&app.client, &ws, "CRM sync", &[]).await.0, 200);
    let (status, body, _) = generate(&app.client, &ws, "crm SYNC", &[]).await;
    assert_eq!(status, 422);
    assert!(body.contains("already has this name"));
    // Once revoked, the name is free again.
    let pid = key_id_by_name(&app, "CRM sync").await;
    assert_redirect_to(
        &app.client
            .post_form(&format!("/settings/api-keys/{pid}/revoke"), &[])
            .await,
        &format!("/settings/api-keys/{pid}"),
    );
    assert_eq!(generate(&app.client, &ws, "CRM sync", &[]).await.0, 200);
}

async fn a_double_submit_creates_one_key(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    let (_, form) = app.client.page("/settings/api-keys/new").await;
    let marker = "name=\"request_id\" value=\"";
    let start = form.find(marker).unwrap() + marker.len();
    let request_id = form[start..start + form[start..].find('"').unwrap()].to_owned();
    let extra = [("request_id", request_id.as_str())];
    let (first, second) = tokio::join!(
        generate(&app.client, &ws, "Data import", &extra),
        generate(&app.client, &ws, "Data import", &extra)
    );
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let shown = [first.2, second.2].into_iter().flatten().count();
    assert_eq!(shown, 1, "the secret is shown once");
    let n: i64 = app
        .db(|c| api_keys::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(n, 1);
}

/// After generating and rotating, no page or partial other than the one response shows the
/// secret, and it is stored nowhere: not in the session, the audit log or the key row.
async fn the_secret_appears_nowhere_else(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    let (_, _, first) = generate(&app.client, &ws, "Website sign-up form", &[]).await;
    let first = first.unwrap();
    let pid = key_id_by_name(&app, "Website sign-up form").await;
    let r = app.client.rotate_key(&pid, &[("expiration", "keep")]).await;
    assert_eq!(r.status(), 200);
    let second = secret_in(&r.text().await.unwrap()).unwrap();
    assert_ne!(first, second);

    let pages = [
        "/settings/api-keys".to_owned(),
        format!("/settings/api-keys?highlight={pid}"),
        "/settings/api-keys?q=website".to_owned(),
        "/settings/api-keys/new".to_owned(),
        format!("/settings/api-keys/{pid}"),
        format!("/settings/api-keys/{pid}/edit"),
        format!("/settings/api-keys/{pid}/rotate"),
        format!("/settings/api-keys/{pid}/revoke"),
        "/settings/profile".to_owned(),
        "/settings/workspaces".to_owned(),
        "/settings/team-members".to_owned(),
        "/settings/authorized-apps".to_owned(),
    ];
    for path in &pages {
        for headers in [
            vec![],
            vec![("hx-request", "true")],
            vec![("hx-request", "true"), ("hx-target", "keys-results")],
        ] {
            let r = app.client.get_with(path, &headers).await;
            let body = r.text().await.unwrap();
            for secret in [&first, &second] {
                assert!(
                    !body.contains(secret.as_str()),
                    "{path} {headers:?} shows a secret"
                );
                assert!(
                    !body.contains(&secret[4..34]),
                    "{path} shows part of a secret"
                );
            }
            assert!(all_secrets_in(&body).iter().all(|s| s.len() < 40), "{path}");
        }
    }
    let stored: Vec<String> = app
        .db(|c| {
            let mut v: Vec<String> = sessions::table.select(sessions::state).load(c).unwrap();
            v.extend(
                audit_events::table
                    .select(audit_events::details)
                    .load::<String>(c)
                    .unwrap(),
            );
            v.extend(
                api_keys::table
                    .select(api_keys::hint)
                    .load::<String>(c)
                    .unwrap(),
            );
            v.extend(
                api_keys::table
                    .select(api_keys::key_hash)
                    .load::<String>(c)
                    .unwrap(),
            );
            v
        })
        .await;
    for s in stored {
        assert!(!s.contains(&first[4..34]) && !s.contains(&second[4..34]));
    }
}

async fn search_matches_name_owner_workspace_and_purpose(app: TestApp) {
    app.setup_admin().await;
    let acme = workspace_id(&app, WORKSPACE).await;
    assert_redirect_to(
        &app.client
            .post_form("/settings/workspaces", &[("name", "Globex Newsletter")])
            .await,
        "/settings/workspaces",
    );
    let globex = workspace_id(&app, "Globex Newsletter").await;
    generate(
        &app.client,
        &acme,
        "Website sign-up form",
        &[("purpose", "Adds subscribers from the footer")],
    )
    .await;
    generate(&app.client, &acme, "100% discount_bot", &[]).await;
    generate(&app.client, &acme, "100 discount bot", &[]).await;
    generate(
        &app.client,
        &globex,
        "CRM sync",
        &[
            ("access_level", "read_write"),
            ("purpose", "Salesforce nightly"),
        ],
    )
    .await;

    let names = |body: &str| {
        let mut v: Vec<String> = [
            "Website sign-up form",
            "100% discount_bot",
            "100 discount bot",
            "CRM sync",
        ]
        .iter()
        .filter(|n| body.contains(&format!(">{n}</a>")))
        .map(|n| n.to_string())
        .collect();
        v.sort();
        v
    };
    let search = |q: String| {
        let c = &app.client;
        async move { c.page(&format!("/settings/api-keys?{q}")).await.1 }
    };
    assert_eq!(
        names(&search("q=WEBSITE".into()).await),
        vec!["Website sign-up form"]
    );
    assert_eq!(
        names(&search("q=footer".into()).await),
        vec!["Website sign-up form"],
        "purpose"
    );
    assert_eq!(
        names(&search("q=globex".into()).await),
        vec!["CRM sync"],
        "workspace name"
    );
    assert_eq!(
        names(&search("q=ada%20love".into()).await).len(),
        4,
        "owner name"
    );
    assert_eq!(
        names(&search("q=ADA@EXAMPLE".into()).await).len(),
        4,
        "owner email"
    );
    assert_eq!(
        names(&search("q=100%25".into()).await),
        vec!["100% discount_bot"],
        "% is literal"
    );
    assert_eq!(
        names(&search("q=t_b".into()).await),
        vec!["100% discount_bot"],
        "_ is literal"
    );
    assert!(search("q=nothing-like-this".into())
        .await
        .contains("No API keys match this search."));
    assert_eq!(
        names(&search("access=read_write".into()).await),
        vec!["CRM sync"]
    );
    assert_eq!(
        names(&search(format!("workspace={globex}")).await),
        vec!["CRM sync"]
    );
    assert_eq!(names(&search("status=revoked".into()).await).len(), 0);
    assert_eq!(names(&search("status=active".into()).await).len(), 4);

    // The search box keeps its value and the filters their selection, for shared URLs.
    let body = search("q=crm&access=read_write".into()).await;
    assert!(body.contains("value=\"crm\"") && body.contains("value=\"read_write\" selected"));

    // htmx active search returns just the results.
    let r = app
        .client
        .get_with(
            "/settings/api-keys?q=crm",
            &[("hx-request", "true"), ("hx-target", "keys-results")],
        )
        .await;
    let partial = r.text().await.unwrap();
    assert!(partial.trim_start().starts_with("<div id=\"keys-results\""));
    assert_eq!(names(&partial), vec!["CRM sync"]);
}

async fn search_sorts_filters_by_status_and_paginates(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    for i in 0..27 {
        let name = format!("Key {i:02}");
        assert_eq!(generate(&app.client, &ws, &name, &[]).await.0, 200);
        app.clock.advance(time::Duration::minutes(1));
    }
    generate(
        &app.client,
        &ws,
        "Short lived",
        &[("expiration", "custom"), ("expires_on", "2026-11-29")],
    )
    .await;
    app.clock.advance(time::Duration::days(3));
    app.sign_in_again().await;
    let expired = app.client.page("/settings/api-keys?status=expired").await.1;
    assert!(expired.contains(">Short lived</a>") && !expired.contains(">Key 00</a>"));
    assert!(expired.contains(">expired 9 hours ago<"));

    let page1 = app
        .client
        .page("/settings/api-keys?sort=name&dir=asc")
        .await
        .1;
    assert!(page1.contains("28 keys"));
    assert!(page1.find(">Key 00</a>").unwrap() < page1.find(">Key 01</a>").unwrap());
    assert!(!page1.contains(">Short lived</a>"));
    assert!(
        !page1.contains("rel=\"prev\""),
        "nothing before the first page"
    );
    // Next and Previous are plain links (no JavaScript needed), with an opaque cursor.
    let next = pager_link(&page1, "next").expect("a Next link");
    assert!(next.contains("after=") && !next.contains("Key"), "{next}");
    let page2 = app.client.page(&next).await.1;
    assert!(
        page2.contains("28 keys")
            && page2.contains(">Key 25</a>")
            && page2.contains(">Key 26</a>")
            && page2.contains(">Short lived</a>")
            && !page2.contains(">Key 24</a>")
    );
    assert!(pager_link(&page2, "next").is_none(), "the last page");
    let back = app
        .client
        .page(&pager_link(&page2, "prev").expect("a Previous link"))
        .await
        .1;
    assert_eq!(
        key_names(&back),
        key_names(&page1),
        "Previous returns to the first page"
    );
    // A shared URL of page 2 works in a fresh request; a mangled cursor starts over.
    assert_eq!(
        key_names(&app.client.page(&next).await.1),
        key_names(&page2)
    );
    let mangled = app
        .client
        .page("/settings/api-keys?sort=name&dir=asc&after=bm90LWEtY3Vyc29y")
        .await
        .1;
    assert_eq!(key_names(&mangled), key_names(&page1));
    let newest = app.client.page("/settings/api-keys").await.1;
    assert!(
        newest.find(">Short lived</a>").unwrap() < newest.find(">Key 26</a>").unwrap(),
        "newest first by default"
    );
    let by_expiry = app
        .client
        .page("/settings/api-keys?sort=expires&dir=asc")
        .await
        .1;
    assert!(by_expiry.find(">Short lived</a>").unwrap() < by_expiry.find(">Key 00</a>").unwrap());
}

async fn rotate_replaces_the_secret_and_keeps_the_key(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    let (_, _, old) = generate(
        &app.client,
        &ws,
        "CRM sync",
        &[("purpose", "nightly"), ("access_level", "read_write")],
    )
    .await;
    let old = old.unwrap();
    let pid = key_id_by_name(&app, "CRM sync").await;
    let (_, confirm) = app
        .client
        .page(&format!("/settings/api-keys/{pid}/rotate"))
        .await;
    assert!(confirm.contains("The old secret stops working immediately"));
    assert!(confirm.contains("Keep the current expiration"));

    app.clock.advance(time::Duration::hours(1));
    app.sign_in_again().await;
    let r = app.client.rotate_key(&pid, &[("expiration", "365")]).await;
    assert_eq!(r.status(), 200);
    assert!(r
        .headers()
        .get("cache-control")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("no-store"));
    let body = r.text().await.unwrap();
    assert!(body.contains("Save Your API Key") && body.contains("stopped working"));
    let new = secret_in(&body).unwrap();
    assert_ne!(new, old);
    assert_eq!(
        stored_hash(&app, &pid).await,
        PlainKey::parse(&new).unwrap().hash().as_str()
    );
    assert_eq!(
        key_id_by_name(&app, "CRM sync").await,
        pid,
        "same id and name"
    );
    let (access, purpose, expires, rotated): (
        String,
        String,
        Option<time::PrimitiveDateTime>,
        Option<time::PrimitiveDateTime>,
    ) = app
        .db({
            let pid = pid.clone();
            move |c| {
                api_keys::table
                    .filter(api_keys::public_id.eq(pid))
                    .select((
                        api_keys::access_level,
                        api_keys::purpose,
                        api_keys::expires_at,
                        api_keys::rotated_at,
                    ))
                    .first(c)
                    .unwrap()
            }
        })
        .await;
    assert_eq!(
        (access.as_str(), purpose.as_str()),
        ("read_write", "nightly")
    );
    assert_eq!(expires, Some(app.clock_now() + time::Duration::days(365)));
    assert_eq!(rotated, Some(app.clock_now()));
    let detail = app
        .client
        .page(&format!("/settings/api-keys/{pid}"))
        .await
        .1;
    assert!(detail.contains("waiting for first use of the new secret"));
    assert!(
        detail.contains("Rotated") && detail.contains("Generated"),
        "history"
    );
}

async fn an_expired_key_needs_a_new_expiration_to_rotate(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    generate(&app.client, &ws, "Old import", &[("expiration", "30")]).await;
    let pid = key_id_by_name(&app, "Old import").await;
    app.clock.advance(time::Duration::days(31));
    app.sign_in_again().await;
    let (_, confirm) = app
        .client
        .page(&format!("/settings/api-keys/{pid}/rotate"))
        .await;
    assert!(
        confirm.contains("This key has expired")
            && !confirm.contains("Keep the current expiration")
    );
    let r = app.client.rotate_key(&pid, &[("expiration", "keep")]).await;
    assert_eq!(r.status(), 422);
    assert!(secret_in(&r.text().await.unwrap()).is_none());
    let r = app.client.rotate_key(&pid, &[("expiration", "60")]).await;
    assert_eq!(r.status(), 200);
    let (_, list) = app.client.page("/settings/api-keys?status=active").await;
    assert!(list.contains(">Old import</a>"));
}

/// Two people confirm the same rotation and submit at the same moment, 50 times over: exactly one
/// wins and sees the new secret; the other gets a 409 naming the winner, and no secret.
async fn concurrent_rotations_exactly_one_wins(app: TestApp) {
    app.setup_admin().await;
    app.create_user(
        "bob@example.com",
        "bob's long unguessable passphrase",
        false,
        Some(Role::Admin),
    )
    .await;
    let ws = workspace_id(&app, WORKSPACE).await;
    generate(&app.client, &ws, "Contended", &[]).await;
    let pid = key_id_by_name(&app, "Contended").await;
    let path = format!("/settings/api-keys/{pid}/rotate");
    let bob = app.client.fresh();
    assert_redirect_to(
        &bob.login("bob@example.com", "bob's long unguessable passphrase")
            .await,
        "/settings/api-keys",
    );
    for trial in 0..50 {
        let (va, vb) = tokio::join!(
            app.client.rotate_confirmation(&pid),
            bob.rotate_confirmation(&pid)
        );
        let (va, vb) = (va.unwrap(), vb.unwrap());
        assert_eq!(va, vb, "both confirmations are for the same secret");
        let (fa, fb) = (
            [("expiration", "keep"), ("secret_version", va.as_str())],
            [("expiration", "keep"), ("secret_version", vb.as_str())],
        );
        let (a, b) = tokio::join!(app.client.post_form(&path, &fa), bob.post_form(&path, &fb));
        let mut winners = Vec::new();
        let mut losers = Vec::new();
        for (who, r) in [(ADMIN_NAME, a), ("Test Person", b)] {
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            match status {
                200 => winners.push((who, secret_in(&body).expect("the winner sees the secret"))),
                409 => {
                    assert!(secret_in(&body).is_none(), "no secret for the loser");
                    losers.push(body);
                }
                other => panic!("trial {trial}: unexpected {other}: {body}"),
            }
        }
        assert_eq!(winners.len(), 1, "trial {trial}: exactly one rotation wins");
        assert_eq!(losers.len(), 1, "trial {trial}: the other is refused");
        let (winner, secret) = &winners[0];
        assert!(
            losers[0].contains(&format!("This key was just rotated by {winner}"))
                && losers[0].contains("its new secret was shown to them"),
            "trial {trial}: {}",
            losers[0]
        );
        assert_eq!(
            stored_hash(&app, &pid).await,
            PlainKey::parse(secret).unwrap().hash().as_str(),
            "trial {trial}: the secret shown is the key's secret"
        );
    }
}

/// The list row of a key, from its `<tr>` to its `</tr>`.
fn row_of<'a>(list: &'a str, pid: &str) -> &'a str {
    let start = list
        .find(&format!("id=\"key-{pid}\""))
        .expect("the key's row");
    let end = list[start..].find("</tr>").unwrap() + start;
    &list[start..end]
}

/// Once a key is revoked or expired, its row and page say when (and who revoked it) and nothing
/// about expiry to come or a secret waiting for its first use.
async fn revoked_and_expired_keys_say_when_and_by_whom(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    generate(
        &app.client,
        &ws,
        "Rotated then revoked",
        &[("expiration", "30")],
    )
    .await;
    generate(&app.client, &ws, "Lapsed", &[("expiration", "30")]).await;
    let revoked = key_id_by_name(&app, "Rotated then revoked").await;
    let lapsed = key_id_by_name(&app, "Lapsed").await;
    assert_eq!(
        app.client
            .rotate_key(&revoked, &[("expiration", "keep")])
            .await
            .status(),
        200
    );
    assert_eq!(
        app.client
            .rotate_key(&lapsed, &[("expiration", "keep")])
            .await
            .status(),
        200
    );
    app.client
        .post_form(&format!("/settings/api-keys/{revoked}/revoke"), &[])
        .await;
    let (_, list) = app.client.page("/settings/api-keys").await;
    let row = row_of(&list, &revoked);
    assert!(
        row.contains("revoked just now") && row.contains("by Ada Lovelace"),
        "{row}"
    );
    for alive in ["expires in", "waiting for first use"] {
        assert!(
            !row.to_lowercase().contains(alive),
            "the revoked row says {alive:?}: {row}"
        );
    }
    let (_, detail) = app
        .client
        .page(&format!("/settings/api-keys/{revoked}"))
        .await;
    assert!(
        detail.contains("Revoked 27 Nov 2026, 09:00 UTC by Ada Lovelace"),
        "{detail}"
    );
    for alive in ["expires in", "waiting for first use"] {
        assert!(
            !detail.to_lowercase().contains(alive),
            "the revoked key's page says {alive:?}"
        );
    }

    app.clock.advance(time::Duration::days(31));
    app.sign_in_again().await;
    let (_, list) = app.client.page("/settings/api-keys").await;
    let row = row_of(&list, &lapsed);
    assert!(row.contains("expired 1 day ago"), "{row}");
    assert!(!row.contains("waiting for first use"), "{row}");
    let (_, detail) = app
        .client
        .page(&format!("/settings/api-keys/{lapsed}"))
        .await;
    assert!(
        detail.contains("Expired 27 Dec 2026, 09:00 UTC"),
        "{detail}"
    );
    for alive in ["expires in", "waiting for first use"] {
        assert!(
            !detail.to_lowercase().contains(alive),
            "the expired key's page says {alive:?}"
        );
    }
}

/// Bytes that are not UTF-8 in a form or a search are refused with the field's error; nothing is
/// stored.
async fn invalid_utf8_is_a_field_error(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    let token = app.client.csrf().await;
    for (field, message) in [
        ("name", "Name contains bytes that are not valid UTF-8 text."),
        (
            "purpose",
            "Purpose contains bytes that are not valid UTF-8 text.",
        ),
    ] {
        let mut body = format!(
            "workspace={ws}&name=Valid&purpose=&access_level=read_only&expiration=90&csrf_token={token}"
        );
        body = body.replace(&format!("{field}=Valid"), &format!("{field}=%FF%FE"));
        body = body.replace(&format!("{field}=&"), &format!("{field}=%FF%FE&"));
        let r = app
            .client
            .request(
                reqwest::Method::POST,
                "/settings/api-keys",
                Default::default(),
                Some(body),
            )
            .await;
        assert_eq!(r.status(), 422, "{field}");
        let page = r.text().await.unwrap();
        assert!(page.contains(message), "{field}: {page}");
        assert!(page.contains("aria-invalid=\"true\""));
    }
    let stored: i64 = app
        .db(|c| api_keys::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(stored, 0, "nothing saved");

    generate(&app.client, &ws, "Searchable", &[]).await;
    for path in [
        "/settings/api-keys?q=%FF%FE",
        "/settings/team-members?q=%FF%FE",
    ] {
        let (status, page) = app.client.page(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            page.contains("The search contains bytes that are not valid UTF-8 text.")
                && page.contains("aria-invalid=\"true\""),
            "{path}"
        );
    }

    let r = app
        .client
        .request(
            reqwest::Method::POST,
            "/settings/profile",
            Default::default(),
            Some(format!("name=%C0%AF&csrf_token={token}")),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("not valid UTF-8"));
}

/// A confirmation issued before someone else's rotation cannot rotate again.
async fn a_stale_rotate_confirmation_is_refused(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    generate(&app.client, &ws, "Shared", &[]).await;
    let pid = key_id_by_name(&app, "Shared").await;
    let stale = app.client.rotate_confirmation(&pid).await.unwrap();
    assert_eq!(
        app.client
            .rotate_key(&pid, &[("expiration", "keep")])
            .await
            .status(),
        200
    );
    let hash = stored_hash(&app, &pid).await;
    let path = format!("/settings/api-keys/{pid}/rotate");
    for version in [stale.as_str(), "", "0000000000000000"] {
        let r = app
            .client
            .post_form(
                &path,
                &[("expiration", "keep"), ("secret_version", version)],
            )
            .await;
        assert_eq!(r.status(), 409, "{version:?}");
        assert!(secret_in(&r.text().await.unwrap()).is_none());
    }
    assert_eq!(stored_hash(&app, &pid).await, hash, "nothing changed");
}

async fn revoke_is_final_and_kept_for_audit(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    generate(&app.client, &ws, "Retired tool", &[]).await;
    let pid = key_id_by_name(&app, "Retired tool").await;
    let (_, confirm) = app
        .client
        .page(&format!("/settings/api-keys/{pid}/revoke"))
        .await;
    assert!(confirm.contains("stops working immediately") && confirm.contains("cannot be undone"));
    let r = app
        .client
        .post_form(&format!("/settings/api-keys/{pid}/revoke"), &[])
        .await;
    assert_redirect_to(&r, &format!("/settings/api-keys/{pid}"));
    let (revoked_at, revoked_by): (Option<time::PrimitiveDateTime>, Option<i64>) = app
        .db({
            let pid = pid.clone();
            move |c| {
                api_keys::table
                    .filter(api_keys::public_id.eq(pid))
                    .select((api_keys::revoked_at, api_keys::revoked_by))
                    .first(c)
                    .unwrap()
            }
        })
        .await;
    assert_eq!(revoked_at, Some(app.clock_now()));
    assert!(revoked_by.is_some());
    let detail = app
        .client
        .page(&format!("/settings/api-keys/{pid}"))
        .await
        .1;
    assert!(detail.contains("Revoked") && detail.contains("It stopped working immediately."));
    assert!(
        !detail.contains(&format!("/settings/api-keys/{pid}/rotate")),
        "no Rotate button on a revoked key"
    );
    let list = app.client.page("/settings/api-keys?status=revoked").await.1;
    assert!(list.contains(">Retired tool</a>"), "the row stays");

    // A forged rotate gets 409 and a pointer to create a new key; nothing changes.
    let hash = stored_hash(&app, &pid).await;
    let r = app.client.rotate_key(&pid, &[("expiration", "90")]).await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("Create a new key instead"));
    assert_eq!(stored_hash(&app, &pid).await, hash);
    assert_eq!(
        app.client
            .post_form(&format!("/settings/api-keys/{pid}/revoke"), &[])
            .await
            .status(),
        409
    );
    assert_eq!(
        app.client
            .post_form(
                &format!("/settings/api-keys/{pid}"),
                &[("name", "Back"), ("owner", "x")]
            )
            .await
            .status(),
        409
    );
}

async fn edit_changes_name_purpose_and_owner(app: TestApp) {
    app.setup_admin().await;
    app.create_user(
        "maya@example.com",
        ADMIN_PASSWORD,
        false,
        Some(Role::Member),
    )
    .await;
    app.create_user("outsider@example.com", ADMIN_PASSWORD, false, None)
        .await;
    let ws = workspace_id(&app, WORKSPACE).await;
    generate(&app.client, &ws, "CRM sync", &[]).await;
    let pid = key_id_by_name(&app, "CRM sync").await;
    let (_, form) = app
        .client
        .page(&format!("/settings/api-keys/{pid}/edit"))
        .await;
    assert!(
        form.contains("maya@example.com") && !form.contains("outsider@example.com"),
        "only workspace members can own it"
    );
    let maya: String = app
        .db(|c| {
            use mailrith::db::schema::users;
            users::table
                .filter(users::email.eq("maya@example.com"))
                .select(users::public_id)
                .first(c)
                .unwrap()
        })
        .await;
    let outsider: String = app
        .db(|c| {
            use mailrith::db::schema::users;
            users::table
                .filter(users::email.eq("outsider@example.com"))
                .select(users::public_id)
                .first(c)
                .unwrap()
        })
        .await;
    let path = format!("/settings/api-keys/{pid}");
    let r = app
        .client
        .post_form(
            &path,
            &[("name", "CRM sync"), ("purpose", ""), ("owner", &outsider)],
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .client
        .post_form(&path, &[("name", ""), ("purpose", ""), ("owner", &maya)])
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .client
        .post_form(
            &path,
            &[
                ("name", "HubSpot sync"),
                ("purpose", "Contacts to HubSpot hourly"),
                ("owner", &maya),
            ],
        )
        .await;
    assert_redirect_to(&r, &path);
    let detail = app.client.page(&path).await.1;
    assert!(
        detail.contains("HubSpot sync")
            && detail.contains("Contacts to HubSpot hourly")
            && detail.contains("maya@example.com")
    );
    assert!(
        detail.contains("Edited")
            && detail.contains("name: &quot;CRM sync&quot; → &quot;HubSpot sync&quot;")
            || detail.contains("name: &#34;CRM sync&#34;")
    );
    let list = app
        .client
        .page(&format!("/settings/api-keys?owner={maya}"))
        .await
        .1;
    assert!(list.contains(">HubSpot sync</a>"), "owner filter");
}

/// Another workspace's key does not exist for you: 404 for every action, nothing changed.
async fn other_workspaces_keys_are_404_everywhere(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    generate(&app.client, &ws, "Private", &[]).await;
    let pid = key_id_by_name(&app, "Private").await;
    let hash = stored_hash(&app, &pid).await;
    app.create_user("other-admin@example.com", ADMIN_PASSWORD, true, None)
        .await;
    let other = app.client.fresh();
    assert_redirect_to(
        &other.login("other-admin@example.com", ADMIN_PASSWORD).await,
        "/settings/api-keys",
    );
    assert_redirect_to(
        &other
            .post_form("/settings/workspaces", &[("name", "Their own")])
            .await,
        "/settings/workspaces",
    );
    for path in ["", "/edit", "/rotate", "/revoke"] {
        assert_eq!(
            other
                .get(&format!("/settings/api-keys/{pid}{path}"))
                .await
                .status(),
            404,
            "GET {path}"
        );
    }
    for (path, fields) in [
        ("", vec![("name", "Stolen"), ("owner", "x")]),
        ("/rotate", vec![("expiration", "90")]),
        ("/revoke", vec![]),
    ] {
        let r = other
            .post_form(&format!("/settings/api-keys/{pid}{path}"), &fields)
            .await;
        assert_eq!(r.status(), 404, "POST {path}");
    }
    let (status, _, secret) = generate(&other, &ws, "Sneaky", &[]).await;
    assert_eq!(status, 404);
    assert!(
        secret.is_none(),
        "cannot generate in a workspace one is not in"
    );
    let list = other.page("/settings/api-keys?q=private").await.1;
    assert!(!list.contains("Private"));
    assert_eq!(stored_hash(&app, &pid).await, hash);
    let (name, revoked): (String, Option<time::PrimitiveDateTime>) = app
        .db(move |c| {
            api_keys::table
                .filter(api_keys::public_id.eq(pid))
                .select((api_keys::name, api_keys::revoked_at))
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!((name.as_str(), revoked), ("Private", None));
}

/// Members may view and search keys, but not generate, rotate, revoke or edit.
async fn members_view_but_do_not_change(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    generate(&app.client, &ws, "Shared", &[]).await;
    let pid = key_id_by_name(&app, "Shared").await;
    app.create_user(
        "maya@example.com",
        ADMIN_PASSWORD,
        false,
        Some(Role::Member),
    )
    .await;
    let maya = app.client.fresh();
    assert_redirect_to(
        &maya.login("maya@example.com", ADMIN_PASSWORD).await,
        "/settings/api-keys",
    );
    let list = maya.page("/settings/api-keys?q=shared").await.1;
    assert!(list.contains(">Shared</a>") && !list.contains("Generate API Key</a>"));
    let detail = maya.page(&format!("/settings/api-keys/{pid}")).await.1;
    assert!(
        detail.contains("Shared") && !detail.contains("/rotate\"") && !detail.contains("/revoke\"")
    );
    assert_eq!(maya.get("/settings/api-keys/new").await.status(), 403);
    for path in ["/edit", "/rotate", "/revoke"] {
        assert_eq!(
            maya.get(&format!("/settings/api-keys/{pid}{path}"))
                .await
                .status(),
            403,
            "{path}"
        );
    }
    let (status, _, secret) = generate(&maya, &ws, "Mine", &[]).await;
    assert_eq!((status, secret), (403, None));
    for (path, fields) in [
        ("", vec![("name", "X"), ("owner", "x")]),
        ("/rotate", vec![("expiration", "90")]),
        ("/revoke", vec![]),
    ] {
        assert_eq!(
            maya.post_form(&format!("/settings/api-keys/{pid}{path}"), &fields)
                .await
                .status(),
            403,
            "POST {path}"
        );
    }
    let n: i64 = app
        .db(|c| {
            api_keys::table
                .filter(api_keys::revoked_at.is_null())
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(n, 1);
}

async fn every_key_action_requires_csrf(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    generate(&app.client, &ws, "Guarded", &[]).await;
    let pid = key_id_by_name(&app, "Guarded").await;
    let hash = stored_hash(&app, &pid).await;
    for (path, fields) in [
        (
            "/settings/api-keys".to_owned(),
            vec![
                ("workspace", ws.as_str()),
                ("name", "Forged"),
                ("access_level", "read_only"),
                ("expiration", "90"),
            ],
        ),
        (
            format!("/settings/api-keys/{pid}"),
            vec![("name", "Forged")],
        ),
        (
            format!("/settings/api-keys/{pid}/rotate"),
            vec![("expiration", "90")],
        ),
        (format!("/settings/api-keys/{pid}/revoke"), vec![]),
    ] {
        assert_eq!(
            app.client.post_raw(&path, &fields, &[]).await.status(),
            403,
            "{path}"
        );
    }
    assert_eq!(stored_hash(&app, &pid).await, hash);
    let n: i64 = app
        .db(|c| {
            api_keys::table
                .filter(api_keys::revoked_at.is_null())
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(n, 1);
}

async fn names_and_purposes_are_escaped(app: TestApp) {
    app.setup_admin().await;
    let ws = workspace_id(&app, WORKSPACE).await;
    let payloads = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "{{7*7}}",
    ];
    for (i, p) in payloads.iter().enumerate() {
        let name = format!("{p} {i}");
        let (status, body, _) = generate(&app.client, &ws, &name, &[("purpose", p)]).await;
        assert_eq!(status, 200);
        assert!(!body.contains("<script>alert") && !body.contains("<img src=x"));
    }
    let list = app.client.page("/settings/api-keys").await.1;
    let pid = key_id_by_name(&app, "{{7*7}} 2").await;
    let detail = app
        .client
        .page(&format!("/settings/api-keys/{pid}"))
        .await
        .1;
    for body in [&list, &detail] {
        assert!(!body.contains("<script>alert") && !body.contains("<img src=x"));
        assert!(body.contains("{{7*7}}") && !body.contains(">49<"));
    }
    assert!(
        list.contains("&lt;script&gt;") || list.contains("&#60;script&#62;"),
        "shown, escaped"
    );
}

backend_tests!(
    generate_shows_the_secret_once_without_javascript,
    the_drawer_and_dialog_are_htmx_partials,
    invalid_input_saves_nothing,
    names_are_unique_among_active_keys,
    a_double_submit_creates_one_key,
    the_secret_appears_nowhere_else,
    search_matches_name_owner_workspace_and_purpose,
    search_sorts_filters_by_status_and_paginates,
    rotate_replaces_the_secret_and_keeps_the_key,
    an_expired_key_needs_a_new_expiration_to_rotate,
    revoked_and_expired_keys_say_when_and_by_whom,
    invalid_utf8_is_a_field_error,
    concurrent_rotations_exactly_one_wins,
    a_stale_rotate_confirmation_is_refused,
    revoke_is_final_and_kept_for_audit,
    edit_changes_name_purpose_and_owner,
    other_workspaces_keys_are_404_everywhere,
    members_view_but_do_not_change,
    every_key_action_requires_csrf,
    names_and_purposes_are_escaped,
);

/// The `href` of the pager's `rel` link ("next" or "prev"), unescaped.
fn pager_link(page: &str, rel: &str) -> Option<String> {
    let at = page.find(&format!("rel=\"{rel}\" href=\""))?;
    let rest = &page[at + rel.len() + 13..];
    Some(
        rest[..rest.find('"')?]
            .replace("&amp;", "&")
            .replace("&#38;", "&"),
    )
}
