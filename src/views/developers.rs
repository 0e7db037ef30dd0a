use askama::Template;

use super::PageContext;
use crate::page;

#[derive(Template)]
#[template(path = "developers/quickstart.html")]
pub struct QuickstartPage {
    pub ctx: PageContext,
    /// This server's own address, for copy-ready examples.
    pub base_url: String,
}

page!(QuickstartPage);
