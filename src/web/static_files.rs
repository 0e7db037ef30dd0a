//! Serves the embedded assets (`crate::assets`) with long-lived cache headers, in the encoding
//! the browser asks for.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::assets;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

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
    let Some(served) = assets::served(path.as_str()) else {
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
        .body(assets::FAVICON_ICO)
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
}
