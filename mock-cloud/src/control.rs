//! The control plane: request ids, the request journal and fault injection on every service
//! request, and the `/_mock/` routes (reset, seed, tick, faults, journal) that drive them,
//! for the holder of the control token only (see [`access`]).

pub(crate) mod access;
pub(crate) mod faults;
pub(crate) mod journal;

use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;

use self::access::Access;
use self::faults::{Fault, FaultRule, Faults, InstalledRule};
use self::journal::{Journal, JournalEntry};
use crate::app::AppState;
use crate::cloud::Options;
use crate::cloud::seed::Seed;
use crate::errors::{ApiError, Service};

/// Fault rules, the request journal, and who may change them.
pub(crate) struct Control {
    /// The installed fault rules.
    pub(crate) faults: Faults,
    /// Every service request and its answer.
    pub(crate) journal: Journal,
    /// The control token and the folders seed files may come from.
    pub(crate) access: Access,
}

/// Put in a response's extensions to make the server close the connection without sending
/// it (the `drop` fault). The accept loop in `cloud.rs` honours it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

impl Control {
    /// An empty control plane with a fresh control token.
    pub(crate) fn new(options: &Options) -> Self {
        Self {
            faults: Faults::default(),
            journal: Journal::default(),
            access: Access::new(options.seed_folders.clone()),
        }
    }

    /// No rules, empty journal (the control token stays).
    pub(crate) fn reset(&self) {
        self.faults.clear();
        self.journal.clear();
    }
}

/// Wraps every route with request ids, fault injection and the journal.
pub(crate) fn layer(routes: Router<AppState>, state: AppState) -> Router<AppState> {
    routes.layer(middleware::from_fn_with_state(state, observe))
}

fn is_control(path: &str) -> bool {
    path == "/_mock" || path.starts_with("/_mock/")
}

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served (`req-<uuid>`, the `x-openstack-request-id` it is
/// answered with), as Nova records it in a server's instance actions.
pub(crate) fn request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// The middleware: a request id on every answer; for service requests, faults and the journal.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let request_id = format!("req-{}", uuid::Uuid::new_v4());
    REQUEST_ID
        .scope(
            request_id.clone(),
            observe_as(state, request, next, request_id),
        )
        .await
}

async fn observe_as(state: AppState, request: Request, next: Next, request_id: String) -> Response {
    let path = request.uri().path().to_owned();
    if is_control(&path) {
        let mut response = next.run(request).await;
        set_request_id(response.headers_mut(), &request_id, false);
        return response;
    }
    let method = request.method().to_string();
    let query = request.uri().query().map(str::to_owned);
    let service = Service::from_path(&path);
    let accepts_json = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let fault = state.control.faults.fire(service, &method, &path);

    let mut response = match &fault {
        None => next.run(request).await,
        Some(Fault::Status {
            status,
            message,
            retry_after,
        }) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let message = message.clone().unwrap_or_else(|| {
                format!(
                    "{} (a fault injected by mock-cloud)",
                    status.canonical_reason().unwrap_or("Error")
                )
            });
            let service = service.unwrap_or(Service::Identity);
            let mut error = ApiError::new(service, status, message)
                .json(accepts_json || service != Service::Image);
            if let Some(seconds) = retry_after {
                error = error.header(header::RETRY_AFTER, &seconds.to_string());
            }
            error.into_response()
        }
        Some(Fault::Latency { ms }) => {
            // The only sleep in the mock: latency is what the rule asks for.
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            next.run(request).await
        }
        Some(Fault::Drop) => {
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response.extensions_mut().insert(DropConnection);
            response
        }
        Some(Fault::Truncate) => truncate(next.run(request).await).await,
        Some(Fault::Corrupt) => corrupt(next.run(request).await).await,
    };
    set_request_id(
        response.headers_mut(),
        &request_id,
        service == Some(Service::Compute),
    );
    let dropped = response.extensions().get::<DropConnection>().is_some();
    state.control.journal.record(JournalEntry {
        seq: 0,
        method,
        path,
        query,
        status: if dropped {
            0
        } else {
            response.status().as_u16()
        },
        service,
        request_id,
        fault: fault.map(|f| f.name()),
    });
    response
}

fn set_request_id(headers: &mut HeaderMap, id: &str, compute: bool) {
    if let Ok(value) = HeaderValue::from_str(id) {
        if compute {
            headers.insert("x-compute-request-id", value.clone());
        }
        headers.insert("x-openstack-request-id", value);
    }
}

/// Declares the whole body's length but sends only the first half, then ends: the client sees
/// the connection close mid-body.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let declared = bytes.len().max(1);
    let sent = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(declared));
    parts.headers.remove(header::TRANSFER_ENCODING);
    // A stream has no exact size, so the server keeps the declared length. After the partial
    // chunk the stream yields (so the server flushes what it has), then fails: the server
    // closes the connection mid-body.
    let partial = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(sent) });
    let failure = futures::stream::once(async {
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        Err(std::io::Error::other("body truncated by a fault rule"))
    });
    Response::from_parts(parts, Body::from_stream(partial.chain(failure)))
}

/// Flips bytes in the middle of a successful body, keeping its length and headers.
async fn corrupt(response: Response) -> Response {
    if !response.status().is_success() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut bytes = bytes.to_vec();
    if let Some(middle) = bytes.len().checked_sub(1).map(|last| last / 2 + last % 2) {
        bytes[middle] ^= 0xff;
    }
    Response::from_parts(parts, Body::from(bytes))
}

pub(crate) fn control_error(status: StatusCode, message: impl Into<String>) -> Response {
    let mut response = (
        status,
        axum::Json(json!({"error": {"code": status.as_u16(), "message": message.into()}})),
    )
        .into_response();
    response.extensions_mut().insert(crate::errors::Shaped);
    response
}

/// Routes under `/_mock`, behind [`access::guard`].
pub(crate) fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/journal", get(read_journal).delete(clear_journal))
        .route("/reset", post(reset))
        .route("/seed", post(seed))
        .route("/tick", post(tick))
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/faults/{id}", delete(remove_fault))
        .fallback(|request: Request| async move {
            control_error(
                StatusCode::NOT_FOUND,
                format!(
                    "No control route {} {}: see /_mock/journal, reset, seed, tick, faults",
                    request.method(),
                    crate::app::full_path(&request)
                ),
            )
        })
        .layer(axum::extract::DefaultBodyLimit::max(access::MAX_BODY))
        // An extractor's rejection (a fault id that is no number) in the control plane's form.
        .layer(middleware::from_fn(|request, next| {
            crate::errors::reshape_with(control_error, request, next)
        }))
        .layer(middleware::from_fn_with_state(state, access::guard))
}

async fn read_journal(State(state): State<AppState>) -> Response {
    axum::Json(json!({"entries": state.control.journal.entries()})).into_response()
}

async fn clear_journal(State(state): State<AppState>) -> StatusCode {
    state.control.journal.clear();
    StatusCode::NO_CONTENT
}

async fn reset(State(state): State<AppState>) -> Response {
    match state.reset().await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => control_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
    }
}

/// `POST /_mock/seed` with a JSON seed document. Its images may read files only from the
/// folders the cloud was started with.
async fn seed(State(state): State<AppState>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    let seed = match Seed::parse(&text, true) {
        Ok(seed) => seed,
        Err(e) => {
            return control_error(
                StatusCode::BAD_REQUEST,
                format!("invalid seed document: {e:#}"),
            );
        }
    };
    let seed = match state.control.access.check_seed_files(seed) {
        Ok(seed) => seed,
        Err((status, message)) => return control_error(status, message),
    };
    match state.apply_seed(&seed).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => control_error(StatusCode::BAD_REQUEST, format!("{e:#}")),
    }
}

#[derive(Deserialize)]
struct TickQuery {
    steps: Option<u32>,
}

/// `POST /_mock/tick?steps=N` or with body `{"steps": N}` (default 1): advances the fake
/// compute driver.
async fn tick(
    State(state): State<AppState>,
    Query(query): Query<TickQuery>,
    body: Bytes,
) -> Response {
    let from_body = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<TickQuery>(&body) {
            Ok(parsed) => parsed.steps,
            Err(e) => {
                return control_error(
                    StatusCode::BAD_REQUEST,
                    format!("invalid tick body (expected {{\"steps\": N}}): {e}"),
                );
            }
        }
    };
    let steps = query.steps.or(from_body).unwrap_or(1);
    let changed = state.tick(steps);
    axum::Json(json!({"steps": steps, "changed": changed})).into_response()
}

async fn list_faults(State(state): State<AppState>) -> Response {
    let rules: Vec<InstalledRule> = state.control.faults.list();
    axum::Json(json!({"faults": rules})).into_response()
}

async fn add_fault(State(state): State<AppState>, body: Bytes) -> Response {
    let rule: FaultRule = match serde_json::from_slice(&body) {
        Ok(rule) => rule,
        Err(e) => {
            return control_error(StatusCode::BAD_REQUEST, format!("invalid fault rule: {e}"));
        }
    };
    match state.control.faults.add(rule) {
        Ok(id) => (StatusCode::CREATED, axum::Json(json!({"id": id}))).into_response(),
        Err(e) => control_error(StatusCode::BAD_REQUEST, e),
    }
}

async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    state.control.faults.clear();
    StatusCode::NO_CONTENT
}

async fn remove_fault(State(state): State<AppState>, Path(id): Path<u64>) -> Response {
    if state.control.faults.remove(id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        control_error(StatusCode::NOT_FOUND, format!("no fault rule {id}"))
    }
}
