//! The `mailrith` binary itself: migrate, admin create, demo, clear database errors, and logs that
//! never carry a secret.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use mailrith::db::schema::{api_keys, contacts, memberships, users, workspaces};

use crate::backend_tests;
use crate::helpers::*;

fn mailrith() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mailrith"));
    c.env_remove("DATABASE_URL").env("RUST_LOG", "info");
    c
}

fn url_arg(db: &mailrith::db::DatabaseUrl) -> String {
    match db {
        mailrith::db::DatabaseUrl::Sqlite(p) => format!("sqlite://{p}"),
        mailrith::db::DatabaseUrl::Postgres(u) => u.clone(),
    }
}

async fn admin_create_reads_the_password_from_stdin(app: TestApp) {
    let db = url_arg(&app.database);
    let mut child = mailrith()
        .args([
            "--database-url",
            &db,
            "admin",
            "create",
            "--email",
            "Root@Example.com",
            "--name",
            "Root Admin",
            "--workspace",
            "Initech Events",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Owner of workspace \"Initech Events\""));

    let (is_admin, role, ws): (bool, String, String) = app
        .db(|c| {
            users::table
                .inner_join(memberships::table.inner_join(workspaces::table))
                .filter(users::email.eq("root@example.com"))
                .select((users::is_admin, memberships::role, workspaces::name))
                .first(c)
                .unwrap()
        })
        .await;
    assert!(is_admin);
    assert_eq!((role.as_str(), ws.as_str()), ("owner", "Initech Events"));

    // Signs in through the console.
    let c = app.client.fresh();
    assert_redirect_to(
        &c.login("root@example.com", "a long enough password").await,
        "/settings/api-keys",
    );

    // A short password is refused and nothing is created.
    let mut child = mailrith()
        .args([
            "--database-url",
            &db,
            "admin",
            "create",
            "--email",
            "x@example.com",
            "--name",
            "X",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 12 characters"));
    let n: i64 = app
        .db(|c| users::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(n, 1);
}

async fn demo_fills_the_database(app: TestApp) {
    let db = url_arg(&app.database);
    let out = mailrith()
        .args(["--database-url", &db, "demo"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("olivia.owner@demo.mailrith.test"));
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Password for every demo account: "))
        .unwrap()
        .trim()
        .to_owned();
    let (ws, people, cts): (i64, i64, i64) = app
        .db(|c| {
            (
                workspaces::table.count().get_result(c).unwrap(),
                users::table.count().get_result(c).unwrap(),
                contacts::table.count().get_result(c).unwrap(),
            )
        })
        .await;
    assert_eq!((ws, people, cts), (3, 6, 200));
    let (keys, revoked, rotated, never): (i64, i64, i64, i64) = app
        .db(|c| {
            (
                api_keys::table.count().get_result(c).unwrap(),
                api_keys::table
                    .filter(api_keys::revoked_at.is_not_null())
                    .count()
                    .get_result(c)
                    .unwrap(),
                api_keys::table
                    .filter(api_keys::rotated_at.is_not_null())
                    .count()
                    .get_result(c)
                    .unwrap(),
                api_keys::table
                    .filter(api_keys::expires_at.is_null())
                    .count()
                    .get_result(c)
                    .unwrap(),
            )
        })
        .await;
    assert_eq!(keys, 40);
    let grants: i64 = app
        .db(|c| {
            mailrith::db::schema::oauth_grants::table
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(grants, 3, "authorized apps in the demo");
    let mut perms: Vec<(String, String)> = app
        .db(|c| {
            memberships::table
                .select((memberships::role, memberships::api_keys_permission))
                .load(c)
                .unwrap()
        })
        .await;
    perms.sort();
    perms.dedup();
    for (role, perm) in [
        ("owner", "view"),
        ("admin", "view"),
        ("member", "manage"),
        ("member", "view"),
        ("member", "none"),
    ] {
        assert!(
            perms.contains(&(role.to_owned(), perm.to_owned())),
            "demo has a {role} with API Keys {perm}"
        );
    }
    assert!(
        revoked > 0 && rotated > 0 && never > 0,
        "keys in every state"
    );
    let c = app.client.fresh();
    assert_redirect_to(
        &c.login("maya.member@demo.mailrith.test", &password).await,
        "/settings/api-keys",
    );
    // Running it twice adds nothing.
    let out = mailrith()
        .args(["--database-url", &db, "demo"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{:?} {} {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let n: i64 = app
        .db(|c| users::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(n, 6);
}

/// `admin create` refuses a common password with the reason, and creates nobody.
async fn admin_create_refuses_a_common_password(app: TestApp) {
    let db = url_arg(&app.database);
    let mut child = mailrith()
        .args([
            "--database-url",
            &db,
            "admin",
            "create",
            "--email",
            "root@example.com",
            "--name",
            "Root Admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"password1234\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("password:") && err.contains("easy to guess"),
        "{err}"
    );
    let n: i64 = app
        .db(|c| users::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(n, 0);
}

backend_tests!(
    admin_create_refuses_a_common_password,
    admin_create_reads_the_password_from_stdin,
    demo_fills_the_database
);

#[test]
fn migrate_applies_and_reports() {
    let dir = TempDir::new();
    let db = format!("sqlite://{}/m.db", dir.0.display());
    let out = mailrith()
        .args(["--database-url", &db, "migrate"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .count();
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with(&format!("{all} migration(s) applied"))
    );
    let out = mailrith()
        .args(["--database-url", &db, "migrate"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("0 migration(s) applied"));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `serve` is the default command, so `mailrith --bind …` serves (it used to fail with
/// "unexpected argument"), and `demo` prints the sign-in address of that bind address.
#[test]
fn serve_flags_work_without_the_word_serve() {
    let dir = TempDir::new();
    let db = format!("sqlite://{}/s.db", dir.0.display());
    let port = free_port();
    let mut child = mailrith()
        .args([
            "--database-url",
            &db,
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut up = false;
    while started.elapsed() < Duration::from_secs(20) {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut first = String::new();
            BufReader::new(s).read_line(&mut first).unwrap();
            up = first.contains("200");
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("mailrith --bind exited with {status}: {err}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(up, "serving on the given address");

    let out = mailrith()
        .args(["--database-url", &db, "demo", "--bind", "0.0.0.0:9123"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("sign in at http://127.0.0.1:9123/login"),
        "{stdout}"
    );
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["admin", "create", "--help"],
        vec!["demo", "--help"],
    ] {
        let out = mailrith().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage:"),
            "{args:?}"
        );
    }
}

fn assert_fails_fast_with(url: &str, expected: &[&str]) {
    let started = Instant::now();
    let out = mailrith()
        .args(["--database-url", url, "migrate"])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(
        expected.iter().any(|e| err.contains(e)),
        "unclear error: {err}"
    );
    assert!(!err.contains("invalid connection url"), "{err}");
}

#[test]
fn an_unreachable_postgres_is_a_clear_error_within_5_seconds() {
    assert_fails_fast_with(
        "postgres://nobody:pw@127.0.0.1:1/mailrith",
        &["cannot connect to PostgreSQL", "Connection refused"],
    );
    // A blackholed address: the connect timeout applies.
    assert_fails_fast_with(
        "postgres://nobody:pw@10.255.255.1:5432/mailrith",
        &["cannot connect to PostgreSQL"],
    );
}

#[test]
fn a_wrong_postgres_password_is_a_clear_error() {
    let Ok(admin) = std::env::var("TEST_DATABASE_URL") else {
        assert!(
            std::env::var("MAILRITH_REQUIRE_POSTGRES").is_err(),
            "PostgreSQL required but TEST_DATABASE_URL unset"
        );
        eprintln!("skipping: TEST_DATABASE_URL is not set");
        return;
    };
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_password(Some("definitely-wrong")).unwrap();
    assert_fails_fast_with(url.as_str(), &["password authentication failed"]);
    let out = mailrith()
        .args(["--database-url", url.as_str(), "migrate"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("definitely-wrong"),
        "the password is not echoed"
    );
}

#[test]
fn a_mistyped_scheme_is_an_error_not_a_new_file() {
    let dir = TempDir::new();
    let out = mailrith()
        .current_dir(&dir.0)
        .args(["--database-url", "postgress://h/db", "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL scheme"));
    assert_eq!(
        std::fs::read_dir(&dir.0).unwrap().count(),
        0,
        "no file created"
    );
}

/// Runs the real binary, signs in (failing once), and checks that no log line carries the
/// password, the session cookie, the CSRF token or the setup token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_carry_secrets() {
    let dir = TempDir::new();
    let db = format!("sqlite://{}/logs.db", dir.0.display());
    let mut child = mailrith()
        .args([
            "--database-url",
            &db,
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let mut lines = BufReader::new(stdout).lines();
    let mut base = None;
    let mut setup = None;
    while let Some(Ok(line)) = lines.next() {
        if let Some(rest) = line.strip_prefix("Mailrith Keys is serving on ") {
            base = Some(rest.split_whitespace().next().unwrap().to_owned());
        }
        if line.trim().starts_with("http://") && line.contains("/setup?token=") {
            setup = Some(line.trim().to_owned());
            break;
        }
    }
    let base = base.expect("serving line");
    let setup = setup.expect("setup URL printed");
    let token = setup.split("token=").nth(1).unwrap().to_owned();

    let client = Client::new(&base);
    let setup_path = setup.trim_start_matches(&base).to_owned();
    assert_redirect_to(&client.get(&setup_path).await, "/setup");
    let r = client
        .post_form(
            "/setup",
            &[
                ("name", ADMIN_NAME),
                ("email", ADMIN_EMAIL),
                ("workspace", WORKSPACE),
                ("password", ADMIN_PASSWORD),
                ("password_confirm", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_redirect_to(&r, "/settings/api-keys");
    let other = client.fresh();
    assert_eq!(
        other
            .login(ADMIN_EMAIL, "a wrong password here")
            .await
            .status(),
        401
    );
    assert_redirect_to(
        &other.login(ADMIN_EMAIL, ADMIN_PASSWORD).await,
        "/settings/api-keys",
    );
    let csrf = other.csrf().await;
    let cookie = other.cookie("__Host-mailrith").unwrap();
    other
        .get_with(
            "/settings/profile",
            &[(
                "authorization",
                "Bearer mlr_notarealkeybutsecretlooking000000",
            )],
        )
        .await;

    child.kill().unwrap();
    let _ = child.wait();
    let log = log.join().unwrap().join("\n");
    assert!(log.contains("request"), "request lines were logged");
    assert!(log.contains("status=303") || log.contains("\"status\":303"));
    for secret in [
        ADMIN_PASSWORD,
        "a wrong password here",
        &csrf,
        &cookie,
        &token,
        "mlr_notarealkey",
    ] {
        assert!(
            !log.contains(secret),
            "a secret leaked into the log: {secret}"
        );
    }
}

/// `mailrith keys check`: a token on standard input, no database; exit 0 for a valid Mailrith
/// token, 1 otherwise, and never the token in the output.
#[test]
fn keys_check_reads_stdin_and_exits_0_or_1() {
    let valid = mailrith::domain::key::PlainKey::generate()
        .expose()
        .to_owned();
    let mut typo: Vec<char> = valid.chars().collect();
    typo[10] = if typo[10] == 'a' { 'b' } else { 'a' };
    let typo: String = typo.into_iter().collect();
    let app_token = format!("mlra_{}", "Z".repeat(40));
    for (token, ok) in [
        (valid.as_str(), true),
        (typo.as_str(), false),
        (app_token.as_str(), true),
        ("ghp_notours", false),
        ("", false),
    ] {
        let mut child = mailrith()
            .args([
                "--database-url",
                "sqlite:///nonexistent/dir/never.db",
                "keys",
                "check",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{token}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.success(), ok, "{token:?}: {said}");
        assert_eq!(out.status.code(), Some(if ok { 0 } else { 1 }));
        if !token.is_empty() {
            assert!(!said.contains(token), "the token is never printed");
        }
        assert!(
            said.contains(if ok { "valid:" } else { "not valid:" }),
            "{said}"
        );
    }
}
