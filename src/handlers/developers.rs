//! The Developer Quickstart: how to store a key and make a first call against this server.

use actix_web::{HttpRequest, HttpResponse};

use super::take_flash;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::views::developers::QuickstartPage;
use crate::views::{self, PageContext};

pub async fn quickstart(req: HttpRequest, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let info = req.connection_info();
    let base_url = format!("{}://{}", info.scheme(), info.host());
    let page = QuickstartPage {
        ctx: PageContext::new(me.csrf()?, Some(&me.user), take_flash(&me.session))
            .with_tab("quickstart"),
        base_url,
    };
    views::render(&page)
}
