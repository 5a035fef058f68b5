//! The baseline of the fax throughput benchmark (`scripts/bench-fax`): a bare hyper 1 server
//! that takes a request body whole and writes it to a fresh file in a directory, then
//! answers 202 — what `POST /v1/faxes` costs without auth, multipart parsing, sniffing,
//! encryption, the job row, the event and the audit record. Prints `listening on http://ADDR`.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

async fn store(
    request: Request<hyper::body::Incoming>,
    dir: Arc<PathBuf>,
    next: Arc<AtomicU64>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let Ok(body) = request.into_body().collect().await else {
        let mut bad = Response::new(Full::new(Bytes::new()));
        *bad.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(bad);
    };
    let n = next.fetch_add(1, Ordering::Relaxed);
    let path = dir.join(format!("upload-{n}"));
    let written = tokio::fs::write(&path, body.to_bytes()).await;
    let mut answer = Response::new(Full::new(Bytes::from(format!(
        "{{\"id\":\"up_{n}\",\"status\":\"queued\"}}"
    ))));
    *answer.status_mut() = if written.is_ok() {
        StatusCode::ACCEPTED
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    Ok(answer)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = Arc::new(PathBuf::from(args.next().unwrap_or_else(|| {
        eprintln!("usage: upload_hyper DIR [ADDR]");
        std::process::exit(2)
    })));
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
        println!(
            "listening on http://{}",
            listener.local_addr().expect("address")
        );
        let next = Arc::new(AtomicU64::new(0));
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (dir, next) = (dir.clone(), next.clone());
            tokio::spawn(async move {
                let service = service_fn(move |r| store(r, dir.clone(), next.clone()));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
