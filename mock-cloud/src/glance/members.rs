//! Image members: the owner shares a `shared` image with other projects, each member accepts
//! or rejects it (accepted shared images appear in the member's default list).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::image::{
    Image, Member, bad_request, conflict, forbidden, glance_time, not_authorized, not_found,
};
use super::policy;
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

fn member_wire(image_id: &str, member: &Member) -> Value {
    json!({
        "created_at": glance_time(member.created_at),
        "image_id": image_id,
        "member_id": member.member_id,
        "schema": "/v2/schemas/member",
        "status": member.status,
        "updated_at": glance_time(member.updated_at),
    })
}

fn body_json(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|_| bad_request("Malformed JSON in request body."))
}

/// Glance's refusal for a non-shared image; each call words it its own way (`refusal` gets
/// the inner message "Only shared images have members.").
fn only_shared(image: &Image, refusal: impl FnOnce(&str) -> ApiError) -> Result<(), ApiError> {
    if image.visibility == "shared" {
        Ok(())
    } else {
        Err(refusal("Only shared images have members."))
    }
}

/// The 404 of the member calls for an image the caller cannot see.
fn image_missing(id: &str) -> ApiError {
    not_found(format!("Image {id} not found."))
}

fn member_not_found(image_id: &str, member_id: &str) -> ApiError {
    not_found(format!(
        "{member_id} not found in the member list of the image {image_id}."
    ))
}

/// The member a `POST .../members` body names, read as Glance's deserializer reads it: a
/// missing key, an empty (Python-false) value and a body that is no object are each refused
/// in their own words.
fn requested_member(body: &Value) -> Result<String, ApiError> {
    let shape = || bad_request("Expected a member in the form: {\"member\": \"image_id\"}");
    let Some(fields) = body.as_object() else {
        return Err(shape());
    };
    match fields.get("member") {
        None => Err(bad_request("Member to be added not specified")),
        Some(Value::String(member)) if !member.is_empty() => Ok(member.clone()),
        Some(Value::Null | Value::Bool(false)) => Err(bad_request("Member can't be empty")),
        Some(Value::String(_)) => Err(bad_request("Member can't be empty")),
        Some(Value::Array(items)) if items.is_empty() => Err(bad_request("Member can't be empty")),
        Some(Value::Object(map)) if map.is_empty() => Err(bad_request("Member can't be empty")),
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => {
            Err(bad_request("Member can't be empty"))
        }
        Some(_) => Err(shape()),
    }
}

/// `POST /v2/images/{id}/members` `{"member": PROJECT}`: 200 + the pending membership.
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let member_id = requested_member(&body_json(&body)?)?;
    let mut images = state.glance.lock();
    let mut image = images
        .get_mut(&id)
        .filter(|image| policy::can_see(&caller, image))
        .ok_or_else(|| image_missing(&id))?;
    only_shared(&image, |_| {
        forbidden(format!("Not allowed to create members for image {id}."))
    })?;
    if !policy::can_modify(&caller, &image) {
        return Err(not_authorized("add_member"));
    }
    if image.member_status(&member_id).is_some() {
        return Err(conflict(format!(
            "Member {member_id} is duplicated for image {id}"
        )));
    }
    let now = Timestamp::now();
    let member = Member {
        member_id,
        status: "pending".to_owned(),
        created_at: now,
        updated_at: now,
    };
    let wire = member_wire(&id, &member);
    image.members.push(member);
    state.glance.save(&image)?;
    Ok(Json(wire))
}

/// `GET /v2/images/{id}/members`: the owner sees every member, a member only itself.
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let images = state.glance.lock();
    let image = images
        .get(&id)
        .filter(|image| policy::can_see(&caller, image))
        .ok_or_else(|| image_missing(&id))?;
    only_shared(image, |inner| {
        forbidden(format!(
            "Not allowed to list members for image {id}: {inner}"
        ))
    })?;
    let everyone = caller.is_admin() || policy::is_owner(&caller, image);
    let members: Vec<Value> = image
        .members
        .iter()
        .filter(|m| everyone || caller.project_id.as_deref() == Some(m.member_id.as_str()))
        .map(|m| member_wire(&id, m))
        .collect();
    Ok(Json(
        json!({"members": members, "schema": "/v2/schemas/members"}),
    ))
}

/// `GET /v2/images/{id}/members/{member}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, member_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let images = state.glance.lock();
    let image = images
        .get(&id)
        .filter(|image| policy::can_see(&caller, image))
        .ok_or_else(|| image_missing(&id))?;
    only_shared(image, |inner| not_found(inner))?;
    let allowed = caller.is_admin()
        || policy::is_owner(&caller, image)
        || caller.project_id.as_deref() == Some(member_id.as_str());
    image
        .members
        .iter()
        .find(|m| m.member_id == member_id && allowed)
        .map(|m| Json(member_wire(&id, m)))
        .ok_or_else(|| member_not_found(&id, &member_id))
}

/// `PUT /v2/images/{id}/members/{member}` `{"status": ...}`: only the member decides.
pub(crate) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, member_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = body_json(&body)?;
    let status = body
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request("Status not specified"))?
        .to_owned();
    let mut images = state.glance.lock();
    let mut image = images
        .get_mut(&id)
        .filter(|image| policy::can_see(&caller, image))
        .ok_or_else(|| image_missing(&id))?;
    only_shared(&image, |_| {
        forbidden(format!("Not allowed to update members for image {id}."))
    })?;
    let owner_view = caller.is_admin() || policy::is_owner(&caller, &image);
    let myself = caller.project_id.as_deref() == Some(member_id.as_str());
    let Some(member) = image
        .members
        .iter_mut()
        .find(|m| m.member_id == member_id && (owner_view || myself))
    else {
        return Err(member_not_found(&id, &member_id));
    };
    if !myself && !caller.is_admin() {
        return Err(not_authorized("modify_member"));
    }
    if !matches!(status.as_str(), "pending" | "accepted" | "rejected") {
        return Err(bad_request(
            "Incorrect request: Status must be \"pending\", \"accepted\" or \"rejected\".",
        ));
    }
    member.status = status;
    member.updated_at = Timestamp::now();
    let wire = member_wire(&id, member);
    state.glance.save(&image)?;
    Ok(Json(wire))
}

/// `DELETE /v2/images/{id}/members/{member}`: 204, owner only.
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, member_id)): Path<(String, String)>,
) -> Result<axum::http::StatusCode, ApiError> {
    let mut images = state.glance.lock();
    let mut image = images
        .get_mut(&id)
        .filter(|image| policy::can_see(&caller, image))
        .ok_or_else(|| image_missing(&id))?;
    only_shared(&image, |_| {
        forbidden(format!("Not allowed to delete members for image {id}."))
    })?;
    let owner_view = caller.is_admin() || policy::is_owner(&caller, &image);
    let myself = caller.project_id.as_deref() == Some(member_id.as_str());
    if !image
        .members
        .iter()
        .any(|m| m.member_id == member_id && (owner_view || myself))
    {
        return Err(member_not_found(&id, &member_id));
    }
    if !policy::can_modify(&caller, &image) {
        return Err(not_authorized("delete_member"));
    }
    image.members.retain(|m| m.member_id != member_id);
    state.glance.save(&image)?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_bodies_are_read_as_glance_reads_them() {
        assert_eq!(requested_member(&json!({"member": "p1"})).unwrap(), "p1");
        let message = |body: Value| requested_member(&body).unwrap_err().message;
        assert_eq!(message(json!({})), "Member to be added not specified");
        for empty in [
            json!(""),
            json!(null),
            json!([]),
            json!({}),
            json!(0),
            json!(false),
        ] {
            assert_eq!(message(json!({"member": empty})), "Member can't be empty");
        }
        for wrong in [json!([1]), json!("p1"), json!({"member": 5})] {
            assert!(message(wrong).starts_with("Expected a member in the form"));
        }
    }
}
