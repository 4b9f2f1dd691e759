//! `GET /servers` and `GET /servers/detail`: filters, `all_tenants` for admins, pagination,
//! in the order `sort_key`/`sort_dir` ask (newest first by default).

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Server;
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;
use crate::nova::microversion::Microversion;
use crate::nova::{ListQuery, page, policy_forbids};

/// The servers `caller` may list with these filters, in the asked order.
fn listed(
    state: &AppState,
    caller: &Caller,
    query: &ListQuery,
    version: Microversion,
    detail: bool,
) -> Result<Vec<Server>, ApiError> {
    // Every listing rule needs a role on a project: an unscoped token holds none.
    if caller.roles.is_empty() {
        return Err(policy_forbids(if detail {
            "os_compute_api:servers:detail"
        } else {
            "os_compute_api:servers:index"
        }));
    }
    let value = |key: &str| {
        query
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let all_tenants = value("all_tenants").is_some_and(|v| {
        !matches!(
            v.to_ascii_lowercase().as_str(),
            "0" | "false" | "f" | "off" | "no"
        )
    });
    if all_tenants && !caller.is_admin() {
        return Err(policy_forbids(
            "os_compute_api:servers:index:get_all_tenants",
        ));
    }
    let project = value("project_id").or(value("tenant_id"));
    let order = super::sort::order(query, version, caller.is_admin())?;
    let mut servers: Vec<Server> = {
        let mut inner = state.nova.lock();
        for server in &mut inner.servers {
            let vm = state.nova.driver().observe(&server.id, false);
            if server.reconcile(vm) {
                state.nova.save(server);
            }
        }
        inner.servers.clone()
    };
    servers.retain(|s| {
        let in_scope = if all_tenants {
            project.is_none_or(|p| s.project_id == p)
        } else {
            caller.project_id.as_deref() == Some(s.project_id.as_str())
        };
        in_scope
            && value("name").is_none_or(|n| name_matches(n, &s.name))
            && value("status").is_none_or(|st| s.status().eq_ignore_ascii_case(st))
            && value("image").is_none_or(|i| s.image_id == i.rsplit('/').next().unwrap_or(i))
            && value("flavor").is_none_or(|f| s.flavor.id == f.rsplit('/').next().unwrap_or(f))
            && value("reservation_id").is_none_or(|r| s.reservation_id() == r)
    });
    super::sort::sort(&mut servers, &order);
    Ok(servers)
}

/// Nova filters names with a regular expression search; this handles the common forms
/// (plain text anywhere, `^` and `$` anchors).
fn name_matches(pattern: &str, name: &str) -> bool {
    let (anchored_start, rest) = match pattern.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    let (anchored_end, core) = match rest.strip_suffix('$') {
        Some(core) => (true, core),
        None => (false, rest),
    };
    match (anchored_start, anchored_end) {
        (true, true) => name == core,
        (true, false) => name.starts_with(core),
        (false, true) => name.ends_with(core),
        (false, false) => name.contains(core),
    }
}

async fn list(
    state: &AppState,
    caller: &Caller,
    version: Microversion,
    query: &ListQuery,
    detail: bool,
) -> Result<Response, ApiError> {
    let servers = match super::schema::check_list(query, version, caller)? {
        super::schema::ListCheck::List => listed(state, caller, query, version, detail)?,
        super::schema::ListCheck::Nothing => Vec::new(),
    };
    let path = if detail {
        "/compute/v2.1/servers/detail"
    } else {
        "/compute/v2.1/servers"
    };
    let (items, next) = page(
        &servers,
        |s| &s.id,
        query,
        &format!("{}{path}", state.base_url),
    )?;
    let items: Vec<Server> = if detail {
        polled(state, items)
    } else {
        items.to_vec()
    };
    let body: Vec<Value> = items
        .iter()
        .map(|s| {
            if detail {
                s.detail(&state.base_url, version, caller)
            } else {
                s.summary(&state.base_url)
            }
        })
        .collect();
    let mut out = json!({"servers": body});
    if let Some(next) = next {
        out["servers_links"] = json!([{"rel": "next", "href": next}]);
    }
    Ok(axum::Json(out).into_response())
}

/// A detailed listing shows each server's status, so it counts as a look at each of them (as
/// a `GET` of the server does): clients that find a server by name wait through listings.
fn polled(state: &AppState, items: &[Server]) -> Vec<Server> {
    let mut inner = state.nova.lock();
    items
        .iter()
        .map(
            |item| match inner.servers.iter_mut().find(|s| s.id == item.id) {
                Some(server) => {
                    if server.reconcile(state.nova.driver().observe(&server.id, true)) {
                        state.nova.save(server);
                    }
                    server.clone()
                }
                None => item.clone(),
            },
        )
        .collect()
}

/// `GET /servers`.
pub(crate) async fn index(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    list(&state, &caller, version, &query, false).await
}

/// `GET /servers/detail`.
pub(crate) async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Extension(version): Extension<Microversion>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    list(&state, &caller, version, &query, true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_filter_forms() {
        assert!(name_matches("web", "my-web-1"));
        assert!(name_matches("^my", "my-web-1"));
        assert!(!name_matches("^web", "my-web-1"));
        assert!(name_matches("-1$", "my-web-1"));
        assert!(name_matches("^my-web-1$", "my-web-1"));
    }
}
