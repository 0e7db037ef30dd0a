//! File downloads streamed as they are read: a CSV export is written a batch at a time, so its
//! memory stays flat however many rows it holds.

use std::future::Future;

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

/// A download read in batches: `first` is already read (so that a refusal is an error page, not a
/// broken file); `write` turns a batch into bytes (`true` for the first, with its header row) and
/// says where the next batch starts, if there is one; `read` reads the batch that starts there
/// when the client has taken the previous one. Memory holds one batch, whatever the total.
pub fn batches<B, C, E, R, F, W>(
    what: &'static str,
    first: B,
    read: R,
    write: W,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> + 'static
where
    B: 'static,
    C: 'static,
    E: std::fmt::Display + 'static,
    R: Fn(C) -> F + Clone + 'static,
    F: Future<Output = Result<B, E>> + 'static,
    W: Fn(&B, bool) -> (Vec<u8>, Option<C>) + Clone + 'static,
{
    enum Next<B, C> {
        Read(B),
        After(C),
        Done,
    }
    futures_util::stream::unfold((Next::Read(first), true), move |(next, header)| {
        let (read, write) = (read.clone(), write.clone());
        async move {
            let batch = match next {
                Next::Done => return None,
                Next::Read(b) => b,
                Next::After(c) => match read(c).await {
                    Ok(b) => b,
                    Err(e) => return Some((Err(failed(what, e)), (Next::Done, false))),
                },
            };
            let (bytes, after) = write(&batch, header);
            let next = after.map_or(Next::Done, Next::After);
            Some((Ok(Bytes::from(bytes)), (next, false)))
        }
    })
}
