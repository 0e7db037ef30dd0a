//! Static assets, embedded in the binary and served under content-hashed names with long-lived
//! cache headers. htmx is vendored (never a CDN). Text assets are compressed once (Brotli and
//! gzip, at their best levels) and served in the encoding the browser asks for.

use std::collections::HashMap;
use std::io::Write;
use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
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
    Asset {
        logical: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../static/favicon.svg"),
    },
];

/// `/favicon.ico`, which browsers ask for whatever the page links.
const FAVICON_ICO: &[u8] = include_bytes!("../static/favicon.ico");

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// An asset ready to serve: its bytes as is, and compressed.
struct Served {
    asset: &'static Asset,
    brotli: Vec<u8>,
    gzip: Vec<u8>,
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

/// Content codings the client accepts, from `Accept-Encoding` (a `q=0` refuses one).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Accepts {
    pub brotli: bool,
    pub gzip: bool,
}

impl Accepts {
    pub fn from_request(req: &HttpRequest) -> Self {
        let mut accepts = Self::default();
        for value in req.headers().get_all(header::ACCEPT_ENCODING) {
            let Ok(value) = value.to_str() else { continue };
            for item in value.split(',') {
                let mut parts = item.split(';');
                let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
                let refused = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                match coding.as_str() {
                    "br" => accepts.brotli = !refused,
                    "gzip" | "x-gzip" => accepts.gzip = !refused,
                    "*" if !refused => {
                        accepts.brotli = true;
                        accepts.gzip = true;
                    }
                    _ => {}
                }
            }
        }
        accepts
    }
}

pub async fn serve(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let Some(served) = table().by_served.get(path.as_str()) else {
        return HttpResponse::NotFound()
            .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
            .body("not found");
    };
    let accepts = Accepts::from_request(&req);
    let (body, encoding): (&'static [u8], _) =
        if accepts.brotli && served.brotli.len() < served.asset.body.len() {
            (&served.brotli, "br")
        } else if accepts.gzip && served.gzip.len() < served.asset.body.len() {
            (&served.gzip, "gzip")
        } else {
            (served.asset.body, "identity")
        };
    let mut resp = HttpResponse::Ok();
    resp.insert_header((header::CONTENT_TYPE, served.asset.content_type))
        .insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .insert_header((header::VARY, "Accept-Encoding"))
        // Set even for identity, so the response compressor leaves the body as it is.
        .insert_header((header::CONTENT_ENCODING, HeaderValue::from_static(encoding)));
    resp.body(body)
}

pub async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "image/x-icon"))
        .insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .body(FAVICON_ICO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn accepts(value: &str) -> Accepts {
        Accepts::from_request(
            &TestRequest::default()
                .insert_header((header::ACCEPT_ENCODING, value))
                .to_http_request(),
        )
    }

    #[test]
    fn accept_encoding_is_negotiated() {
        assert_eq!(
            accepts("gzip, deflate, br, zstd"),
            Accepts {
                brotli: true,
                gzip: true
            }
        );
        assert_eq!(
            accepts("gzip;q=1.0, br;q=0"),
            Accepts {
                brotli: false,
                gzip: true
            }
        );
        assert_eq!(accepts("identity"), Accepts::default());
        assert!(accepts("*").brotli);
    }

    #[test]
    fn compressed_assets_decode_to_the_original() {
        use std::io::Read;
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
