//! Static assets, embedded in the binary under content-hashed names (htmx is vendored, never a
//! CDN), and compressed once, Brotli and gzip at their best levels. `web::static_files` serves
//! them; pages link them by `url`.

use std::collections::HashMap;
use std::io::Write;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

pub struct Asset {
    pub logical: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
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
    Asset {
        logical: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../static/favicon.svg"),
    },
];

/// `/favicon.ico`, which browsers ask for whatever the page links.
pub const FAVICON_ICO: &[u8] = include_bytes!("../static/favicon.ico");

/// An asset ready to serve: its bytes as is, and compressed.
pub struct Served {
    pub asset: &'static Asset,
    pub brotli: Vec<u8>,
    pub gzip: Vec<u8>,
}

struct Table {
    by_served: HashMap<String, Served>,
    url_of: HashMap<&'static str, String>,
}

fn brotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        // Writing into a Vec cannot fail.
        let _ = w.write_all(body);
    }
    out
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = w.write_all(body);
    w.finish().unwrap_or_default()
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
            url_of.insert(asset.logical, format!("/static/{served}"));
            by_served.insert(
                served,
                Served {
                    asset,
                    brotli: brotli(asset.body),
                    gzip: gzip(asset.body),
                },
            );
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

/// The asset served under this name (`app.1a2b3c4d5e.css`).
pub fn served(name: &str) -> Option<&'static Served> {
    table().by_served.get(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn compressed_assets_decode_to_the_original() {
        for served in table().by_served.values() {
            let mut out = Vec::new();
            brotli::Decompressor::new(served.brotli.as_slice(), 4096)
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, served.asset.body);
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(served.gzip.as_slice())
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, served.asset.body);
        }
    }
}
