//! File downloads streamed as they are read: a CSV export is written a batch at a time, so its
//! memory stays flat however many rows it holds.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use futures_util::Stream;

/// A CSV attachment named `filename` (letters, digits, `-` and `.` only), never cached. A batch
/// that fails part-way ends the stream with an error: the download is cut short, never a
/// complete-looking file with rows missing.
pub fn csv<S>(filename: &str, body: S) -> HttpResponse
where
    S: Stream<Item = Result<Bytes, actix_web::Error>> + 'static,
{
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .streaming(body)
}

/// A batch that failed after the download began: logged, and the connection is closed.
pub fn failed(what: &str, e: impl std::fmt::Display) -> actix_web::Error {
    tracing::warn!(error = %e, "{what}: a batch failed; the download was cut short");
    actix_web::error::ErrorInternalServerError("the export was cut short")
}
