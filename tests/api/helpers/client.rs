//! An HTTP client with a cookie jar kept by hand, and what tests read from pages.

use std::collections::HashMap;
use std::sync::Mutex;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, Response, StatusCode};

/// An HTTP client with its own cookie jar (kept by hand, so `__Host-`/`Secure` cookies work on
/// http://127.0.0.1 the way browsers treat localhost, and so tests can read and replay them).
pub struct Client {
    pub base: String,
    http: reqwest::Client,
    jar: Mutex<HashMap<String, String>>,
    pub last_set_cookies: Mutex<Vec<String>>,
}

impl Client {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            jar: Mutex::new(HashMap::new()),
            last_set_cookies: Mutex::new(Vec::new()),
        }
    }

    /// A second browser on the same server, with an empty jar.
    pub fn fresh(&self) -> Self {
        Self::new(&self.base)
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.jar
            .lock()
            .unwrap()
            .insert(name.to_owned(), value.to_owned());
    }

    fn cookie_header(&self) -> Option<String> {
        let jar = self.jar.lock().unwrap();
        (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn absorb(&self, resp: &Response) {
        let mut jar = self.jar.lock().unwrap();
        let mut last = self.last_set_cookies.lock().unwrap();
        last.clear();
        for raw in resp.headers().get_all("set-cookie") {
            let raw = raw.to_str().unwrap().to_owned();
            last.push(raw.clone());
            let first = raw.split(';').next().unwrap();
            let (name, value) = first.split_once('=').unwrap();
            let removed = value.is_empty() || raw.to_ascii_lowercase().contains("max-age=0");
            if removed {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: HeaderMap,
        body: Option<String>,
    ) -> Response {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .headers(headers);
        if let Some(c) = self.cookie_header() {
            req = req.header("cookie", c);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/x-www-form-urlencoded")
                .body(b);
        }
        let resp = req.send().await.expect("request sent");
        self.absorb(&resp);
        resp
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path, HeaderMap::new(), None)
            .await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&'static str, &str)]) -> Response {
        self.request(Method::GET, path, to_headers(headers), None)
            .await
    }

    /// GET a page and return its status and body.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        let s = r.status();
        (s, r.text().await.unwrap())
    }

    /// The CSRF token of this client's session (creating the session if needed).
    pub async fn csrf(&self) -> String {
        let (_, body) = self.page("/login").await;
        if let Some(token) = extract_csrf(&body) {
            return token;
        }
        let (_, body) = self.page("/settings/profile").await;
        extract_csrf(&body).expect("a page with a CSRF token")
    }

    /// POST a form exactly as given (no token added).
    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&'static str, &str)],
    ) -> Response {
        let body = serde_urlencoded::to_string(fields).unwrap();
        self.request(Method::POST, path, to_headers(headers), Some(body))
            .await
    }

    /// POST a form with this session's CSRF token, as the page's form would.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_raw(path, &all, &[]).await
    }

    /// Opens a key's Rotate confirmation and submits it with `fields`, as a person does: the
    /// confirmation names the secret it was issued for. (When the confirmation does not open, for
    /// someone who may not rotate, the form is posted without it, as a forged request would be.)
    pub async fn rotate_key(&self, key_public_id: &str, fields: &[(&str, &str)]) -> Response {
        let path = format!("/settings/api-keys/{key_public_id}/rotate");
        let version = self.rotate_confirmation(key_public_id).await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if let Some(v) = &version {
            all.push(("secret_version", v));
        }
        self.post_form(&path, &all).await
    }

    /// The `secret_version` of a key's Rotate confirmation as shown now, if it opens.
    pub async fn rotate_confirmation(&self, key_public_id: &str) -> Option<String> {
        let (status, body) = self
            .page(&format!("/settings/api-keys/{key_public_id}/rotate"))
            .await;
        (status == 200)
            .then(|| field_value(&body, "secret_version"))
            .flatten()
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }
}

pub fn to_headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

pub fn extract_csrf(body: &str) -> Option<String> {
    field_value(body, "csrf_token")
}

/// The value of the first `<input name="{name}" value="...">` in a page.
pub fn field_value(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

pub fn assert_redirect_to(resp: &Response, location: &str) {
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "expected a redirect to {location}"
    );
    assert_eq!(
        resp.headers().get("location").unwrap().to_str().unwrap(),
        location
    );
}

/// The key names of an API Keys list, in the order shown (HTML-escaped).
pub fn key_names(page: &str) -> Vec<String> {
    page.split("class=\"key-name\" href=\"")
        .skip(1)
        .filter_map(|rest| {
            let start = rest.find('>')? + 1;
            let end = rest.find("</a>")?;
            Some(rest[start..end].to_owned())
        })
        .collect()
}
