use askama::Template;

use super::{FormErrors, PageContext};
use crate::page;

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub ctx: PageContext,
    pub email: String,
    pub error: Option<String>,
    pub needs_setup: bool,
}

#[derive(Template)]
#[template(path = "auth/setup.html")]
pub struct SetupPage {
    pub ctx: PageContext,
    pub name: String,
    pub email: String,
    pub workspace: String,
    pub errors: FormErrors,
}

page!(LoginPage);
page!(SetupPage);
