//! Askama page structs. Views hold ready-to-show values; templates only lay them out.

pub mod api_keys;
pub mod apps;
pub mod auth;
pub mod developers;
pub mod export;
pub mod forms;
pub mod settings;
pub mod team;

use askama::Template;

pub use crate::domain::format::{format_date, format_time, relative};
pub use forms::{Choice, FormErrors};

pub const HTML: &str = "text/html; charset=utf-8";

/// What every page's layout needs.
pub struct PageContext {
    pub csrf: String,
    pub user: Option<UserSummary>,
    pub flash: Option<String>,
    /// The Settings tab shown (`profile`, `api-keys`, ...), for the tab bar.
    pub tab: &'static str,
    pub css: &'static str,
    pub js: &'static str,
    pub htmx: &'static str,
}

pub struct UserSummary {
    pub name: String,
    pub email: String,
    pub is_admin: bool,
}

impl PageContext {
    pub fn new(
        csrf: String,
        user: Option<&crate::models::users::User>,
        flash: Option<String>,
    ) -> Self {
        Self {
            csrf,
            user: user.map(|u| UserSummary {
                name: u.name.clone(),
                email: u.email.clone(),
                is_admin: u.is_admin,
            }),
            flash,
            tab: "",
            css: crate::assets::url("app.css"),
            js: crate::assets::url("app.js"),
            htmx: crate::assets::url("vendor/htmx-2.0.11.min.js"),
        }
    }

    pub fn with_tab(mut self, tab: &'static str) -> Self {
        self.tab = tab;
        self
    }
}

/// A whole error page (htmx requests get a toast instead).
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub ctx: PageContext,
    pub title: &'static str,
    pub message: String,
    pub status: u16,
}

impl ErrorPage {
    pub fn new(title: &'static str, message: String, status: u16) -> Self {
        // Outside the signed-in shell: no user, no form, so no CSRF token.
        Self {
            ctx: PageContext::new(String::new(), None, None),
            title,
            message,
            status,
        }
    }
}
