use askama::Template;

use super::PageContext;

#[derive(Template)]
#[template(path = "developers/quickstart.html")]
pub struct QuickstartPage {
    pub ctx: PageContext,
    /// This server's own address, for copy-ready examples.
    pub base_url: String,
}
