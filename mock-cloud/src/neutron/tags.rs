//! The `tags` sub-resource (`standard-attr-tag`): replace all, add one, check one, remove one
//! or all. A tag is a string of 1-255 characters; the list has no duplicates.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::resources::{Actor, kind_of, parse_body, writable};
use super::{Kind, bad_request, error};
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// A tag list from a body value.
pub(crate) fn validate(value: &Value) -> Result<Vec<String>, ApiError> {
    let items = value.as_array().ok_or_else(|| {
        bad_request(format!(
            "Invalid input for tags. Reason: '{value}' is not a list."
        ))
    })?;
    let mut tags: Vec<String> = Vec::new();
    for item in items {
        let tag = item.as_str().ok_or_else(|| {
            bad_request(format!(
                "Invalid input for tags. Reason: '{item}' is not a valid string."
            ))
        })?;
        check(tag)?;
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    Ok(tags)
}

fn check(tag: &str) -> Result<(), ApiError> {
    if tag.is_empty() || tag.chars().count() > 255 {
        return Err(bad_request(format!(
            "Invalid input for tags. Reason: '{tag}' is not a valid tag (1 to 255 characters)."
        )));
    }
    Ok(())
}

fn taggable(collection: &str) -> Result<Kind, ApiError> {
    let kind = kind_of(collection)?;
    if !kind.taggable() {
        return Err(error(
            StatusCode::NOT_FOUND,
            "HTTPNotFound",
            format!("The resource could not be found: {collection} have no tags."),
        ));
    }
    Ok(kind)
}

fn tags_of(doc: &super::Doc) -> Vec<String> {
    super::store::list_of(doc, "tags")
        .map(str::to_owned)
        .collect()
}

/// Changes the tags of `collection/id` with `change`; the tags afterwards.
fn change_tags(
    state: &AppState,
    caller: &Caller,
    collection: &str,
    id: &str,
    change: impl FnOnce(&mut Vec<String>) -> Result<(), ApiError>,
) -> Result<Vec<String>, ApiError> {
    let kind = taggable(collection)?;
    let actor = Actor::of(caller);
    state.neutron.write(state, caller, |neutron| {
        let mut doc = writable(neutron, &actor, caller, kind, id, "update")?;
        let mut tags = tags_of(&doc);
        change(&mut tags)?;
        doc.insert("tags".into(), json!(tags));
        neutron.replace(kind, doc);
        Ok(tags)
    })
}

/// `PUT .../tags` `{"tags": [...]}` → 200 with the same body.
pub(super) async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path((collection, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = parse_body(&body)?;
    let wanted = validate(body.get("tags").unwrap_or(&Value::Null))?;
    let tags = change_tags(&state, &caller, &collection, &id, |tags| {
        *tags = wanted;
        Ok(())
    })?;
    Ok(axum::Json(json!({ "tags": tags })).into_response())
}

/// `GET .../{sub}`: the tag list, or a project's quota details.
pub(super) async fn show_all(
    State(state): State<AppState>,
    caller: Caller,
    Path((collection, id, sub)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    if collection == "quotas" && (sub == "details" || sub == "details.json") {
        super::quotas::check(&caller, &id)?;
        let body = state.neutron.read(&state, &caller, |neutron| {
            super::quotas::render(neutron, &id, true)
        })?;
        return Ok(axum::Json(body).into_response());
    }
    if sub != "tags" {
        return Err(super::resources::kind_of("").unwrap_err());
    }
    let kind = taggable(&collection)?;
    let actor = Actor::of(&caller);
    let doc = state.neutron.read(&state, &caller, |neutron| {
        actor.find(neutron, kind, &id).cloned()
    })??;
    Ok(axum::Json(json!({ "tags": tags_of(&doc) })).into_response())
}

/// `DELETE .../tags` → 204.
pub(super) async fn delete_all(
    State(state): State<AppState>,
    caller: Caller,
    Path((collection, id, sub)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    if sub != "tags" {
        return Err(super::resources::kind_of("").unwrap_err());
    }
    change_tags(&state, &caller, &collection, &id, |tags| {
        tags.clear();
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

fn tag_not_found(tag: &str, kind: Kind, id: &str) -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        "TagNotFound",
        format!("Tag {tag} could not be found for {} {id}.", kind.singular()),
    )
}

/// `GET .../tags/{tag}` → 204, or 404 `TagNotFound`.
pub(super) async fn show_one(
    State(state): State<AppState>,
    caller: Caller,
    Path((collection, id, tag)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let kind = taggable(&collection)?;
    let actor = Actor::of(&caller);
    let doc = state.neutron.read(&state, &caller, |neutron| {
        actor.find(neutron, kind, &id).cloned()
    })??;
    if tags_of(&doc).contains(&tag) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(tag_not_found(&tag, kind, &id))
    }
}

/// `PUT .../tags/{tag}` → 201 with a JSON `null` body, as Neutron answers.
pub(super) async fn add_one(
    State(state): State<AppState>,
    caller: Caller,
    Path((collection, id, tag)): Path<(String, String, String)>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    check(&tag)?;
    change_tags(&state, &caller, &collection, &id, |tags| {
        if !tags.contains(&tag) {
            tags.push(tag.clone());
        }
        Ok(())
    })?;
    Ok((StatusCode::CREATED, axum::Json(Value::Null)))
}

/// `DELETE .../tags/{tag}` → 204, or 404 `TagNotFound`.
pub(super) async fn delete_one(
    State(state): State<AppState>,
    caller: Caller,
    Path((collection, id, tag)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let kind = taggable(&collection)?;
    change_tags(&state, &caller, &collection, &id, |tags| {
        let before = tags.len();
        tags.retain(|t| t != &tag);
        if tags.len() == before {
            return Err(tag_not_found(&tag, kind, &id));
        }
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}
