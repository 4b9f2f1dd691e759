//! The generic collection API every resource shares: list (filters, fields, sorting, paging,
//! tag filters), show, create (one or a bulk list, atomic), update, delete, and the `tags`
//! sub-resource; each kind's own rules are in its file.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::store::{NeutronState, list_of, str_of};
use super::{Doc, Kind, bad_request, error, extensions, invalid_input, policy_forbids, query};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// Who acts on the state: a caller's project and rights, or the cloud itself (the seed).
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    /// The project new resources belong to.
    pub(crate) project: String,
    /// Whether admin-only attributes and other projects' resources are allowed.
    pub(crate) admin: bool,
}

impl Actor {
    /// The caller as an actor (a caller without a project acts for no project).
    pub(crate) fn of(caller: &Caller) -> Actor {
        Actor {
            project: caller.project_id.clone().unwrap_or_default(),
            admin: caller.is_admin(),
        }
    }

    /// Whether `doc` is this actor's own (or the actor is an admin).
    pub(crate) fn owns(&self, doc: &Doc) -> bool {
        self.admin || str_of(doc, "project_id") == self.project
    }

    /// Whether the actor may see `doc` of `kind`.
    pub(crate) fn sees(&self, state: &NeutronState, kind: Kind, doc: &Doc) -> bool {
        if self.owns(doc) {
            return true;
        }
        let flag = |doc: &Doc, key: &str| doc.get(key).and_then(Value::as_bool) == Some(true);
        match kind {
            Kind::Network => flag(doc, "shared") || flag(doc, "router:external"),
            // An external network's subnets too (clients read its gateway and ranges).
            Kind::Subnet => state
                .get(Kind::Network, str_of(doc, "network_id"))
                .is_some_and(|n| flag(n, "shared") || flag(n, "router:external")),
            Kind::SecurityGroupRule => state
                .get(Kind::SecurityGroup, str_of(doc, "security_group_id"))
                .is_some_and(|g| self.owns(g)),
            _ => false,
        }
    }

    /// The resource `id` of `kind` if the actor sees it; Neutron's 404 otherwise.
    pub(crate) fn find<'a>(
        &self,
        state: &'a NeutronState,
        kind: Kind,
        id: &str,
    ) -> Result<&'a Doc, ApiError> {
        state
            .get(kind, id)
            .filter(|doc| self.sees(state, kind, doc))
            .ok_or_else(|| kind.not_found(id))
    }
}

/// The routes of every collection (and of the extensions list, which sits among them).
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2.0/{collection}", get(list).post(create))
        .route(
            "/v2.0/{collection}/{id}",
            get(show).put(update).delete(delete),
        )
        .route(
            "/v2.0/{collection}/{id}/{sub}",
            get(super::tags::show_all)
                .put(sub_put)
                .delete(super::tags::delete_all),
        )
        .route(
            "/v2.0/{collection}/{id}/tags/{tag}",
            get(super::tags::show_one)
                .put(super::tags::add_one)
                .delete(super::tags::delete_one),
        )
}

/// The collection named by a URL segment, or a 404 naming it.
pub(super) fn kind_of(collection: &str) -> Result<Kind, ApiError> {
    Kind::from_path(collection).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            "HTTPNotFound",
            format!("The resource could not be found: {collection}."),
        )
    })
}

/// A JSON body, Neutron's 400 when it is not one.
pub(super) fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| bad_request(format!("Malformed request body: {e}")))
}

/// The object under `key` in `body` (Neutron: "Unable to find 'network' in request body").
pub(super) fn member<'a>(body: &'a Value, key: &str) -> Result<&'a Doc, ApiError> {
    body.get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| bad_request(format!("Unable to find '{key}' in request body")))
}

fn strip_json(id: &str) -> &str {
    id.strip_suffix(".json").unwrap_or(id)
}

/// `GET /v2.0/{collection}`.
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(collection): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    if strip_json(&collection) == "extensions" {
        return Ok(extensions::list().await);
    }
    let kind = kind_of(&collection)?;
    let pairs = query::pairs(raw.as_deref());
    let actor = Actor::of(&caller);
    let url = format!("{}/networking/v2.0/{}", state.base_url, kind.path());
    let body = state.neutron.read(&state, &caller, |neutron| {
        let visible: Vec<Doc> = neutron
            .all(kind)
            .iter()
            .filter(|doc| actor.sees(neutron, kind, doc))
            .map(|doc| present(neutron, &actor, kind, doc))
            .collect();
        query::list(kind, visible.iter().collect(), &pairs, &url)
    })??;
    Ok(axum::Json(body).into_response())
}

/// `GET /v2.0/{collection}/{id}`.
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((collection, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    if collection == "extensions" {
        return extensions::show(strip_json(&id));
    }
    if collection == "quotas" {
        let project = strip_json(&id).to_owned();
        super::quotas::check(&caller, &project)?;
        let body = state.neutron.read(&state, &caller, |neutron| {
            super::quotas::render(neutron, &project, false)
        })?;
        return Ok(axum::Json(body).into_response());
    }
    let kind = kind_of(&collection)?;
    let id = strip_json(&id);
    let pairs = query::pairs(raw.as_deref());
    let actor = Actor::of(&caller);
    let doc = state.neutron.read(&state, &caller, |neutron| {
        actor
            .find(neutron, kind, id)
            .map(|doc| present(neutron, &actor, kind, doc))
    })??;
    let doc = query::select_fields(&doc, &pairs);
    Ok(axum::Json(json!({ kind.singular(): doc })).into_response())
}

/// `POST /v2.0/{collection}`: one resource, or a bulk list that is made whole or not at all.
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(collection): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind_of(&collection)?;
    let body = parse_body(&body)?;
    if !caller.can_write() || caller.project_id.is_none() && !caller.is_admin() {
        return Err(policy_forbids(&format!("create_{}", kind.singular())));
    }
    let actor = Actor::of(&caller);
    let bulk = body.get(kind.plural()).and_then(Value::as_array).cloned();
    let requests: Vec<Doc> = match &bulk {
        Some(items) => items
            .iter()
            .map(|item| {
                item.as_object().cloned().ok_or_else(|| {
                    bad_request(format!(
                        "Unable to find '{}' in request body",
                        kind.singular()
                    ))
                })
            })
            .collect::<Result<_, _>>()?,
        None => vec![member(&body, kind.singular())?.clone()],
    };
    let made = state.neutron.write(&state, &caller, |neutron| {
        let made = requests
            .iter()
            .map(|attrs| {
                let actor = owner_of(&actor, kind, attrs)?;
                create_one(neutron, &actor, kind, attrs)
            })
            .collect::<Result<Vec<Doc>, ApiError>>()?;
        Ok(made
            .iter()
            .map(|doc| present(neutron, &actor, kind, doc))
            .collect::<Vec<Doc>>())
    })?;
    let body = match bulk {
        Some(_) => json!({ kind.plural(): made }),
        None => json!({ kind.singular(): made.into_iter().next() }),
    };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// The actor a create acts as: the caller, or for an admin the project the body names. A
/// member naming another project is refused as Neutron refuses it.
fn owner_of(actor: &Actor, kind: Kind, attrs: &Doc) -> Result<Actor, ApiError> {
    let named = ["project_id", "tenant_id"]
        .iter()
        .filter_map(|k| attrs.get(*k).and_then(Value::as_str))
        .collect::<Vec<_>>();
    if named.len() == 2 && named[0] != named[1] {
        return Err(bad_request("'project_id' and 'tenant_id' do not match"));
    }
    match named.first() {
        Some(project) if *project != actor.project => {
            if !actor.admin {
                return Err(bad_request(format!(
                    "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges ({})",
                    kind.singular()
                )));
            }
            Ok(Actor {
                project: (*project).to_owned(),
                admin: true,
            })
        }
        _ => Ok(actor.clone()),
    }
}

/// A document as `actor` reads it. Neutron's policy shows a port's bindings and a router's
/// `distributed` and `ha` to admins only, and to admins a network's provider attributes
/// (each network here is one VXLAN segment, its id derived from the network's); a subnet
/// carries its network's `router:external`.
pub(crate) fn present(state: &NeutronState, actor: &Actor, kind: Kind, doc: &Doc) -> Doc {
    let mut doc = doc.clone();
    match kind {
        Kind::Network if actor.admin => {
            let vni = str_of(&doc, "id")
                .get(..3)
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .map_or(1, |n| n % 1000 + 1);
            doc.insert("provider:network_type".into(), json!("vxlan"));
            doc.insert("provider:physical_network".into(), Value::Null);
            doc.insert("provider:segmentation_id".into(), json!(vni));
        }
        Kind::Port if !actor.admin => {
            for key in [
                "binding:host_id",
                "binding:profile",
                "binding:vif_details",
                "binding:vif_type",
            ] {
                doc.remove(key);
            }
        }
        Kind::Router if !actor.admin => {
            doc.remove("distributed");
            doc.remove("ha");
        }
        Kind::Subnet => {
            let external = state
                .get(Kind::Network, str_of(&doc, "network_id"))
                .and_then(|n| n.get("router:external"))
                .cloned()
                .unwrap_or(json!(false));
            doc.insert("router:external".into(), external);
        }
        _ => {}
    }
    doc
}

/// Creates one resource of `kind` from `attrs`.
pub(crate) fn create_one(
    state: &mut NeutronState,
    actor: &Actor,
    kind: Kind,
    attrs: &Doc,
) -> Result<Doc, ApiError> {
    match kind {
        Kind::Network => super::networks::create(state, actor, attrs),
        Kind::Subnet => super::subnets::create(state, actor, attrs),
        Kind::Port => super::ports::create(state, actor, attrs),
        Kind::Router => super::routers::create(state, actor, attrs),
        Kind::SecurityGroup => super::security_groups::create(state, actor, attrs),
        Kind::SecurityGroupRule => super::security_groups::create_rule(state, actor, attrs),
        Kind::FloatingIp => super::floating_ips::create(state, actor, attrs),
    }
}

/// `PUT /v2.0/{collection}/{id}`.
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((collection, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind_of(&collection)?;
    let id = strip_json(&id).to_owned();
    let body = parse_body(&body)?;
    let attrs = member(&body, kind.singular())?.clone();
    let actor = Actor::of(&caller);
    let doc = state.neutron.write(&state, &caller, |neutron| {
        let old = writable(neutron, &actor, &caller, kind, &id, "update")?;
        let new = match kind {
            Kind::Network => super::networks::update(neutron, &actor, old, &attrs),
            Kind::Subnet => super::subnets::update(neutron, &actor, old, &attrs),
            Kind::Port => super::ports::update(neutron, &actor, old, &attrs),
            Kind::Router => super::routers::update(neutron, &actor, old, &attrs),
            Kind::SecurityGroup => super::security_groups::update(neutron, &actor, old, &attrs),
            Kind::SecurityGroupRule => Err(error(
                StatusCode::METHOD_NOT_ALLOWED,
                "HTTPMethodNotAllowed",
                "The method PUT is not allowed for security group rules.",
            )),
            Kind::FloatingIp => super::floating_ips::update(neutron, &actor, old, &attrs),
        }?;
        neutron.replace(kind, new);
        let doc = neutron.get(kind, &id).cloned().unwrap_or_default();
        Ok(present(neutron, &actor, kind, &doc))
    })?;
    Ok(axum::Json(json!({ kind.singular(): doc })).into_response())
}

/// The resource `id` if the caller may change it: 404 if it cannot see it, 403 if it sees it
/// but it is not its own (or the caller only reads).
pub(super) fn writable(
    state: &NeutronState,
    actor: &Actor,
    caller: &Caller,
    kind: Kind,
    id: &str,
    verb: &str,
) -> Result<Doc, ApiError> {
    let doc = actor.find(state, kind, id)?;
    if !actor.owns(doc) || !caller.can_write() {
        return Err(policy_forbids(&format!("{verb}_{}", kind.singular())));
    }
    Ok(doc.clone())
}

/// `DELETE /v2.0/{collection}/{id}`.
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((collection, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let kind = kind_of(&collection)?;
    let id = strip_json(&id).to_owned();
    let actor = Actor::of(&caller);
    state.neutron.write(&state, &caller, |neutron| {
        let doc = writable(neutron, &actor, &caller, kind, &id, "delete")?;
        match kind {
            Kind::Network => super::networks::delete(neutron, &doc),
            Kind::Subnet => super::subnets::delete(neutron, &doc),
            Kind::Port => super::ports::delete(neutron, &actor, &doc),
            Kind::Router => super::routers::delete(neutron, &doc),
            Kind::SecurityGroup => super::security_groups::delete(neutron, &actor, &doc),
            Kind::SecurityGroupRule => super::security_groups::delete_rule(neutron, &doc),
            Kind::FloatingIp => super::floating_ips::delete(neutron, &doc),
        }
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /v2.0/{collection}/{id}/{sub}`: the tag list, or a router's interface actions.
async fn sub_put(
    state: State<AppState>,
    caller: Caller,
    Path((collection, id, sub)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    match (collection.as_str(), sub.as_str()) {
        (_, "tags") => super::tags::replace(state, caller, Path((collection, id)), body).await,
        ("routers", "add_router_interface" | "remove_router_interface") => {
            super::routers::interface(state, caller, id, &sub, body).await
        }
        _ => Err(error(
            StatusCode::NOT_FOUND,
            "HTTPNotFound",
            format!("The resource could not be found: {collection}/{sub}."),
        )),
    }
}

/// The common attributes of a new resource: id, name, description, owner, tags, timestamps.
pub(crate) fn base(actor: &Actor, attrs: &Doc) -> Result<Doc, ApiError> {
    let mut doc = Doc::new();
    let id = match attrs.get("id").and_then(Value::as_str) {
        Some(id) if actor.admin => id.to_owned(),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    doc.insert("id".into(), json!(id));
    doc.insert(
        "name".into(),
        json!(text(attrs, "name", 255)?.unwrap_or_default()),
    );
    doc.insert(
        "description".into(),
        json!(text(attrs, "description", 255)?.unwrap_or_default()),
    );
    doc.insert("project_id".into(), json!(actor.project));
    doc.insert("tenant_id".into(), json!(actor.project));
    let tags = match attrs.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => super::tags::validate(value)?,
    };
    doc.insert("tags".into(), json!(tags));
    let now = super::now();
    doc.insert("created_at".into(), json!(now));
    doc.insert("updated_at".into(), json!(now));
    doc.insert("revision_number".into(), json!(0));
    Ok(doc)
}

/// A string attribute of at most `max` characters (`null` or absent: none).
pub(crate) fn text(attrs: &Doc, key: &str, max: usize) -> Result<Option<String>, ApiError> {
    match attrs.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
        Some(Value::String(s)) => Err(bad_request(format!(
            "Invalid input for {key}. Reason: '{s}' exceeds maximum length of {max}."
        ))),
        Some(other) => Err(bad_request(format!(
            "Invalid input for {key}. Reason: '{other}' is not a valid string."
        ))),
    }
}

/// A boolean attribute (Neutron's converter also takes "true"/"false" strings).
pub(crate) fn boolean(attrs: &Doc, key: &str) -> Result<Option<bool>, ApiError> {
    match attrs.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") || s == "1" => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") || s == "0" => Ok(Some(false)),
        Some(other) => {
            let shown = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_owned);
            Err(invalid_input(format!(
                "'{shown}' cannot be converted to boolean"
            )))
        }
    }
}

/// Refuses attributes outside `known` (400 "Unrecognized attribute(s)"), and known ones
/// outside `allowed` for this method.
pub(crate) fn check_attrs(
    attrs: &Doc,
    known: &[&str],
    allowed: &[&str],
    method: &str,
) -> Result<(), ApiError> {
    const COMMON: [&str; 4] = ["name", "description", "tags", "id"];
    let owner = ["project_id", "tenant_id"];
    let unknown: Vec<&str> = attrs
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k) && !COMMON.contains(k) && !owner.contains(k))
        .collect();
    if !unknown.is_empty() {
        return Err(bad_request(format!(
            "Unrecognized attribute(s) '{}'",
            unknown.join(", ")
        )));
    }
    let common_ok: &[&str] = if method == "POST" {
        &[
            "name",
            "description",
            "tags",
            "id",
            "project_id",
            "tenant_id",
        ]
    } else {
        &["name", "description"]
    };
    if let Some(key) = attrs
        .keys()
        .map(String::as_str)
        .find(|k| !allowed.contains(k) && !common_ok.contains(k))
    {
        return Err(match method {
            "POST" => bad_request(format!("Attribute '{key}' not allowed in POST")),
            _ => bad_request(format!("Cannot update read-only attribute {key}")),
        });
    }
    Ok(())
}

/// `name` and `description` from an update body, applied to `doc`.
pub(crate) fn update_common(doc: &mut Doc, attrs: &Doc) -> Result<(), ApiError> {
    for key in ["name", "description"] {
        if attrs.contains_key(key) {
            doc.insert(
                key.into(),
                json!(text(attrs, key, 255)?.unwrap_or_default()),
            );
        }
    }
    Ok(())
}

/// The ports of `state` whose fixed IPs use `subnet`.
pub(crate) fn ports_on_subnet<'a>(
    state: &'a NeutronState,
    subnet: &'a str,
) -> impl Iterator<Item = &'a Doc> + 'a {
    state.all(Kind::Port).iter().filter(move |p| {
        p["fixed_ips"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|ip| ip["subnet_id"] == subnet)
    })
}

/// Whether `doc`'s list attribute `key` holds `value`.
pub(crate) fn has(doc: &Doc, key: &str, value: &str) -> bool {
    list_of(doc, key).any(|v| v == value)
}
