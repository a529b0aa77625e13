//! Running the HTTP server with graceful shutdown.

use crate::app::{build_app, metrics};
use crate::state::AppState;
use actix_web::HttpServer;
use std::net::TcpListener;

/// Serves the API on `listener` until SIGINT or SIGTERM; in-flight requests get up to
/// `shutdown_timeout_secs` to finish.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    workers: usize,
    shutdown_timeout_secs: u64,
) -> std::io::Result<()> {
    let metrics = metrics().map_err(std::io::Error::other)?;
    let collector = crate::job_metrics::JobCollector::new(state.engine.clone())
        .map_err(std::io::Error::other)?;
    metrics
        .registry
        .register(Box::new(collector))
        .map_err(std::io::Error::other)?;
    crate::job_metrics::refresh_depth(state.engine.clone());
    HttpServer::new(move || build_app(state.clone(), metrics.clone()))
        .workers(workers.max(1))
        .shutdown_timeout(shutdown_timeout_secs)
        .listen(listener)?
        .run()
        .await
}
