//! Static assets, embedded in the binary and served under content-hashed names with long-lived
//! cache headers. htmx is vendored (never a CDN).

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};

struct Asset {
    logical: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        logical: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../static/app.css"),
    },
    Asset {
        logical: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/app.js"),
    },
    Asset {
        logical: "vendor/htmx-2.0.11.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/vendor/htmx-2.0.11.min.js"),
    },
];

struct Table {
    by_served: HashMap<String, &'static Asset>,
    url_of: HashMap<&'static str, String>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut by_served = HashMap::new();
        let mut url_of = HashMap::new();
        for asset in ASSETS {
            let digest = hex::encode(Sha256::digest(asset.body));
            let (stem, ext) = asset
                .logical
                .rsplit_once('.')
                .unwrap_or((asset.logical, ""));
            // The vendored file already carries its version; ours get a content hash.
            let served = if asset.logical.starts_with("vendor/") {
                asset.logical.to_owned()
            } else {
                format!("{stem}.{}.{ext}", &digest[..10])
            };
            by_served.insert(served.clone(), asset);
            url_of.insert(asset.logical, format!("/static/{served}"));
        }
        Table { by_served, url_of }
    })
}

/// The URL of an asset by its logical name (`app.css`).
pub fn url(logical: &str) -> &'static str {
    table()
        .url_of
        .get(logical)
        .map(String::as_str)
        .unwrap_or("/static/missing")
}

pub async fn serve(path: web::Path<String>) -> HttpResponse {
    match table().by_served.get(path.as_str()) {
        Some(asset) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, asset.content_type))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(asset.body),
        None => HttpResponse::NotFound()
            .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
            .body("not found"),
    }
}
