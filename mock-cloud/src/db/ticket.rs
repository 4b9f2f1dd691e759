//! Which changes a request made, so that its answer waits for exactly those: every
//! [`Db::submit`](super::Db::submit) made while a request is served notes its sequence number
//! in the request's ticket (a task-local), and [`acknowledge`] waits for the highest one before
//! the response leaves. Handlers submit changes without awaiting anything under their locks,
//! and nothing is acknowledged before it is durable. Work spawned on other tasks is not
//! covered: it flushes for itself.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Db, StoreError};
use crate::errors::Service;

tokio::task_local! {
    static TICKET: Arc<AtomicU64>;
}

/// Records that the current request submitted change `seq` (outside a request: nothing).
pub(super) fn note(seq: u64) {
    let _ = TICKET.try_with(|ticket| ticket.fetch_max(seq, Ordering::Relaxed));
}

/// Runs `work`, then waits until every change it submitted is durable.
pub(crate) async fn acknowledge<F: Future>(db: &Db, work: F) -> Result<F::Output, StoreError> {
    let ticket = Arc::new(AtomicU64::new(0));
    let output = TICKET.scope(ticket.clone(), work).await;
    match ticket.load(Ordering::Relaxed) {
        0 => Ok(output),
        seq => db.wait(seq).await.map(|()| output),
    }
}

/// Answers a request's response only once its changes are durable (the layer over every route).
pub(crate) async fn acknowledged(State(db): State<Db>, request: Request, next: Next) -> Response {
    let service = Service::from_path(request.uri().path()).unwrap_or(Service::Identity);
    match acknowledge(&db, next.run(request)).await {
        Ok(response) => response,
        Err(e) => e.to_api(service).into_response(),
    }
}
