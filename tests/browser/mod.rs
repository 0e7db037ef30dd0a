//! Headless Chromium, driven through chromedriver by fantoccini, clicking through the console as a
//! person does: controls found by their visible labels and roles. Skipped with a message when no
//! browser is installed, unless `MAILRITH_REQUIRE_BROWSER` is set (as in CI).

mod flows;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::helpers::TempDir;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const AXE: &str = include_str!("vendor/axe-core-4.14.1.min.js");

/// One browser at a time: this machine has two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub struct Browser {
    pub client: Client,
    pub base: String,
    pub javascript: bool,
    driver: Child,
    pub profile: TempDir,
}

impl Browser {
    /// Ends the WebDriver session, which quits Chromium, then stops chromedriver. Every flow
    /// ends with this; `Drop` is the fallback when a flow panics.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        // Drop stops chromedriver and anything of its process group still running.
    }
}

impl Drop for Browser {
    /// chromedriver runs in its own process group, and Chromium inherits it: ending the whole
    /// group leaves no browser behind, even when a flow panicked before `close`.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Processes whose command line mentions `needle` (a profile folder), other than this one.
pub fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let me = std::process::id().to_string();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == me || !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(needle) {
                found.push(format!("{name}: {cmd}"));
            }
        }
    }
    found
}

pub async fn lock() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().await
}

fn available() -> bool {
    std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists()
}

/// A fresh headless Chromium (its own profile) pointed at `base`, or `None` (skipped) when this
/// machine has no browser and none is required.
pub async fn browser(base: &str, javascript: bool) -> Option<Browser> {
    if !available() {
        if std::env::var("MAILRITH_REQUIRE_BROWSER").is_ok() {
            panic!("MAILRITH_REQUIRE_BROWSER is set but {CHROMIUM} or {CHROMEDRIVER} is missing");
        }
        eprintln!("skipping browser test: install the Debian packages chromium and chromium-driver to run it");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("chromedriver starts");
    let profile = TempDir::new();
    let mut prefs = json!({});
    if !javascript {
        prefs = json!({"profile.managed_default_content_settings.javascript": 2});
    }
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--disable-crash-reporter", "--disable-breakpad",
                "--window-size=1280,900", format!("--user-data-dir={}", profile.0.display())
            ],
            "prefs": prefs
        }
    });
    let caps = match caps {
        Value::Object(m) => m,
        _ => unreachable!(),
    };
    let url = format!("http://127.0.0.1:{port}");
    let mut last = None;
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                return Some(Browser {
                    client,
                    base: base.to_owned(),
                    javascript,
                    driver,
                    profile,
                });
            }
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    panic!("cannot start a browser session: {last:?}");
}

fn quote(text: &str) -> String {
    if text.contains('\'') {
        format!("\"{text}\"")
    } else {
        format!("'{text}'")
    }
}

impl Browser {
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    pub async fn path(&self) -> String {
        let u = self.client.current_url().await.unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        }
    }

    pub async fn wait(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
    }

    /// Waits until the page's text contains `text`.
    pub async fn wait_text(&self, text: &str) {
        for _ in 0..100 {
            if self.body_text().await.contains(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the page never showed {text:?}; it shows: {}",
            self.body_text().await
        );
    }

    pub async fn wait_gone(&self, css: &str) {
        for _ in 0..100 {
            if self
                .client
                .find_all(Locator::Css(css))
                .await
                .unwrap()
                .is_empty()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never went away");
    }

    /// The page's visible text ("" while a navigation is in flight).
    pub async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The form control whose `<label>` reads `label`.
    pub async fn field(&self, label: &str) -> Element {
        let xpath = format!("//label[normalize-space(.)={}]", quote(label));
        let l = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|_| panic!("no label {label:?}"));
        let id = l
            .attr("for")
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("label {label:?} has no for="));
        self.client.find(Locator::Id(&id)).await.unwrap()
    }

    pub async fn fill(&self, label: &str, value: &str) {
        let f = self.field(label).await;
        f.clear().await.unwrap();
        f.send_keys(value).await.unwrap();
    }

    pub async fn select(&self, label: &str, option: &str) {
        self.field(label)
            .await
            .select_by_label(option)
            .await
            .unwrap();
    }

    /// Clicks the radio or checkbox whose label contains `text`.
    pub async fn choose(&self, text: &str) {
        let xpath = format!(
            "//label[contains(normalize-space(.), {})]//input",
            quote(text)
        );
        self.client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|_| panic!("no choice {text:?}"))
            .click()
            .await
            .unwrap();
    }

    /// Clicks the visible button or link that reads `text`.
    pub async fn click(&self, text: &str) {
        let xpath = format!(
            "(//button[normalize-space(.)={q} and not(@hidden)] | //a[normalize-space(.)={q}])[last()]",
            q = quote(text)
        );
        let el = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|_| panic!("no button or link {text:?}"));
        el.click().await.unwrap();
    }

    pub async fn has_control(&self, text: &str) -> bool {
        let xpath = format!(
            "//button[normalize-space(.)={q}] | //a[normalize-space(.)={q}]",
            q = quote(text)
        );
        !self
            .client
            .find_all(Locator::XPath(&xpath))
            .await
            .unwrap()
            .is_empty()
    }

    pub async fn value(&self, css: &str) -> String {
        self.wait(css)
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    pub async fn active_id(&self) -> String {
        self.client
            .execute("return document.activeElement ? (document.activeElement.id || document.activeElement.textContent.trim()) : ''", vec![])
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn active_inside(&self, css: &str) -> bool {
        self.client
            .execute(
                "return !!(document.activeElement && document.activeElement.closest(arguments[0]))",
                vec![json!(css)],
            )
            .await
            .unwrap()
            .as_bool()
            .unwrap_or(false)
    }

    /// Sends keys to whatever has focus, as a person typing.
    pub async fn keys(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .unwrap()
            .send_keys(keys)
            .await
            .unwrap();
    }

    /// axe-core's violations on the page as it is now (drawers and dialogs included).
    pub async fn axe(&self) -> Vec<String> {
        let present = self
            .client
            .execute("return typeof window.axe !== 'undefined'", vec![])
            .await
            .unwrap();
        if present != json!(true) {
            self.client
                .execute(&format!("{AXE}\n;return true;"), vec![])
                .await
                .unwrap();
        }
        let v = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v =>
                   v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(' | '))))
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Zero axe violations. (axe is JavaScript: with JavaScript off it cannot run, so the same
    /// whole pages are audited by the JavaScript-on tests instead.)
    pub async fn assert_accessible(&self, state: &str) {
        if !self.javascript {
            return;
        }
        let v = self.axe().await;
        assert!(v.is_empty(), "axe violations on {state}: {v:#?}");
    }

    /// Writes a screenshot at 1280 and 390 px wide into tests/screenshots/.
    pub async fn screenshots(&self, name: &str) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        for (w, h) in [(1280, 900), (390, 844)] {
            self.client.set_window_size(w, h).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(dir.join(format!("{name}-{w}.png")), png).unwrap();
        }
        self.client.set_window_size(1280, 900).await.unwrap();
    }
}

/// Calls the JSON API with a key, as the integration would.
pub async fn api(
    base: &str,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> u16 {
    let mut req = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .header("authorization", format!("Bearer {key}"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap().status().as_u16()
}
