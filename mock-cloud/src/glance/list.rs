//! `GET /v2/images`: visibility rules, filters (`in:` lists, size and time ranges, tags,
//! extra properties), sorting (`sort_key`/`sort_dir` or `sort=`), marker pagination with
//! `first` and `next` links.

use std::cmp::Ordering;

use axum::Json;
use axum::extract::{RawQuery, State};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::image::{Image, bad_request, image_not_found, whole_seconds};
use super::policy;
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// `limit_param_default`.
pub const DEFAULT_LIMIT: usize = 25;
/// `api_limit_max`.
pub const MAX_LIMIT: usize = 1000;

const SORT_KEYS: &[&str] = &[
    "name",
    "status",
    "container_format",
    "disk_format",
    "size",
    "id",
    "created_at",
    "updated_at",
];

/// A parsed list request.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    params: Vec<(String, String)>,
    limit: usize,
    marker: Option<String>,
    member_status: String,
    tags: Vec<String>,
    sort: Vec<(String, bool)>,
    filters: Vec<(String, String)>,
}

/// The query string as Glance's deserializer reads it.
pub fn parse_query(raw: Option<&str>) -> Result<Query, ApiError> {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let mut query = Query {
        params: params.clone(),
        limit: DEFAULT_LIMIT,
        marker: None,
        member_status: "accepted".to_owned(),
        tags: Vec::new(),
        sort: Vec::new(),
        filters: Vec::new(),
    };
    let mut new_sort = None;
    let (mut keys, mut dirs) = (Vec::new(), Vec::new());
    for (key, value) in params {
        match key.as_str() {
            "limit" => {
                let n: i64 = value
                    .trim()
                    .parse()
                    .map_err(|_| bad_request("limit param must be an integer"))?;
                if n < 0 {
                    return Err(bad_request("limit param must be positive"));
                }
                query.limit = (n as usize).min(MAX_LIMIT);
            }
            "marker" => query.marker = Some(value),
            "member_status" => {
                if !matches!(value.as_str(), "pending" | "accepted" | "rejected" | "all") {
                    return Err(bad_request(format!("Invalid status: {value}")));
                }
                query.member_status = value;
            }
            "tag" => query.tags.push(value.trim().to_owned()),
            "sort" => new_sort = Some(value),
            "sort_key" => keys.push(sort_key(value.trim())?),
            "sort_dir" => dirs.push(sort_dir(value.trim())?),
            "visibility" => {
                if !matches!(
                    value.as_str(),
                    "community" | "public" | "private" | "shared" | "all"
                ) {
                    return Err(bad_request(format!("Invalid visibility value: {value}")));
                }
                query.filters.push((key, value));
            }
            "changes-since" => {
                return Err(bad_request(
                    "The \"changes-since\" filter is no longer available on v2.",
                ));
            }
            _ => query.filters.push((key, value)),
        }
    }
    if let Some(sort) = new_sort {
        if !keys.is_empty() || !dirs.is_empty() {
            return Err(bad_request("Old and new sorting syntax cannot be combined"));
        }
        for part in sort.trim().split(',') {
            let (key, dir) = part.split_once(':').unwrap_or((part, "desc"));
            query
                .sort
                .push((sort_key(key.trim())?, sort_dir(dir.trim())? == "asc"));
        }
    } else {
        if dirs.len() > 1 && dirs.len() != keys.len() {
            return Err(bad_request(
                "Number of sort dirs does not match the number of sort keys",
            ));
        }
        if keys.is_empty() {
            keys.push("created_at".to_owned());
        }
        let default_dir = dirs.first().cloned().unwrap_or_else(|| "desc".to_owned());
        for (i, key) in keys.into_iter().enumerate() {
            let dir = dirs.get(i).unwrap_or(&default_dir);
            query.sort.push((key, dir == "asc"));
        }
    }
    // Glance's tie-breakers, so that markers are unambiguous.
    for tie in ["created_at", "id"] {
        if !query.sort.iter().any(|(k, _)| k == tie) {
            query.sort.push((tie.to_owned(), false));
        }
    }
    for (key, value) in &query.filters {
        validate_filter(key, value)?;
    }
    Ok(query)
}

fn sort_key(key: &str) -> Result<String, ApiError> {
    if SORT_KEYS.contains(&key) {
        Ok(key.to_owned())
    } else {
        Err(bad_request(format!(
            "Invalid sort key: {key}. It must be one of the following: {}.",
            SORT_KEYS.join(", ")
        )))
    }
}

fn sort_dir(dir: &str) -> Result<String, ApiError> {
    if matches!(dir, "asc" | "desc") {
        Ok(dir.to_owned())
    } else {
        Err(bad_request(format!("Invalid sort direction: {dir}")))
    }
}

/// Rejects malformed filter values up front (400), so matching never fails.
fn validate_filter(key: &str, value: &str) -> Result<(), ApiError> {
    match key {
        "size_min" | "size_max" => {
            value
                .trim()
                .parse::<u64>()
                .map_err(|_| bad_request(format!("Invalid value for {key}: {value}")))?;
        }
        "protected" | "os_hidden" => {
            parse_bool(value).ok_or_else(|| {
                bad_request(format!(
                    "Invalid value '{value}' for '{key}': expected true or false"
                ))
            })?;
        }
        "created_at" | "updated_at" => {
            time_filter(value)?;
        }
        _ => {}
    }
    Ok(())
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
        "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
        _ => None,
    }
}

/// `op:timestamp` (op in gt, gte, eq, neq, lt, lte; `eq` when absent).
fn time_filter(value: &str) -> Result<(String, Timestamp), ApiError> {
    let (op, time) = match value.split_once(':') {
        Some((op, rest)) if op.chars().all(|c| c.is_ascii_alphabetic()) => (op, rest),
        _ => ("eq", value),
    };
    if !matches!(op, "gt" | "gte" | "eq" | "neq" | "lt" | "lte") {
        return Err(bad_request("Unable to filter on a unknown operator."));
    }
    let time = parse_time(time.trim())
        .ok_or_else(|| bad_request(format!("Invalid timestamp for the filter: {time}")))?;
    Ok((op.to_owned(), time))
}

fn parse_time(text: &str) -> Option<Timestamp> {
    text.parse::<Timestamp>().ok().or_else(|| {
        text.parse::<jiff::civil::DateTime>()
            .ok()
            .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp())
    })
}

/// `in:a,b,"c,d"` -> the values; anything else is one value (`eq:` stripped).
fn values_of(filter: &str) -> Vec<String> {
    if let Some(list) = filter.strip_prefix("in:") {
        let mut values = Vec::new();
        let mut current = String::new();
        let mut quoted = false;
        for c in list.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => values.push(std::mem::take(&mut current).trim().to_owned()),
                c => current.push(c),
            }
        }
        values.push(current.trim().to_owned());
        values
    } else {
        vec![filter.strip_prefix("eq:").unwrap_or(filter).to_owned()]
    }
}

/// Whether the caller sees `image` in a list with this `visibility` filter.
fn listed(caller: &Caller, image: &Image, visibility: Option<&str>, member_status: &str) -> bool {
    let project = caller.project_id.as_deref();
    let owned = policy::is_owner(caller, image);
    let member = project
        .and_then(|p| image.member_status(p))
        .is_some_and(|s| member_status == "all" || s == member_status);
    let admin = caller.is_admin();
    let vis = image.visibility.as_str();
    match visibility {
        None => admin || vis == "public" || owned || (vis == "shared" && member),
        Some("all") => admin || matches!(vis, "public" | "community") || owned || member,
        Some("public") => vis == "public",
        Some("community") => vis == "community",
        Some("private") => vis == "private" && (admin || owned),
        Some("shared") => vis == "shared" && (admin || owned || member),
        Some(_) => false,
    }
}

fn matches(image: &Image, key: &str, filter: &str) -> bool {
    let text = |v: Option<&str>| values_of(filter).iter().any(|f| Some(f.as_str()) == v);
    match key {
        "name" => text(image.name.as_deref()),
        "status" => text(Some(image.status.as_str())),
        "id" => text(Some(&image.id)),
        "owner" => text(image.owner.as_deref()),
        "checksum" => text(image.checksum.as_deref()),
        "os_hash_value" => text(image.os_hash_value.as_deref()),
        "disk_format" => text(image.disk_format.as_deref()),
        "container_format" => text(image.container_format.as_deref()),
        "visibility" => true, // handled by `listed`
        "protected" => parse_bool(filter) == Some(image.protected),
        "os_hidden" => parse_bool(filter) == Some(image.os_hidden),
        "size_min" => image
            .size
            .is_some_and(|s| filter.trim().parse::<u64>().is_ok_and(|min| s >= min)),
        "size_max" => image
            .size
            .is_some_and(|s| filter.trim().parse::<u64>().is_ok_and(|max| s <= max)),
        "created_at" | "updated_at" => {
            let Ok((op, at)) = time_filter(filter) else {
                return false;
            };
            let mine = whole_seconds(if key == "created_at" {
                image.created_at
            } else {
                image.updated_at
            });
            match op.as_str() {
                "gt" => mine > at,
                "gte" => mine >= at,
                "eq" => mine == at,
                "neq" => mine != at,
                "lt" => mine < at,
                _ => mine <= at,
            }
        }
        other => text(image.properties.get(other).map(String::as_str)),
    }
}

/// Orders two images by the sort keys.
fn compare(a: &Image, b: &Image, sort: &[(String, bool)]) -> Ordering {
    for (key, asc) in sort {
        let ordering = match key.as_str() {
            "name" => a.name.cmp(&b.name),
            "status" => a.status.as_str().cmp(b.status.as_str()),
            "container_format" => a.container_format.cmp(&b.container_format),
            "disk_format" => a.disk_format.cmp(&b.disk_format),
            "size" => a.size.cmp(&b.size),
            "id" => a.id.cmp(&b.id),
            "created_at" => a.created_at.cmp(&b.created_at),
            _ => a.updated_at.cmp(&b.updated_at),
        };
        let ordering = if *asc { ordering } else { ordering.reverse() };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

/// The page of images `caller` asked for, plus the next marker when the page is full.
pub fn select<'a>(
    caller: &Caller,
    images: impl Iterator<Item = &'a Image> + Clone,
    query: &Query,
) -> Result<(Vec<&'a Image>, Option<String>), ApiError> {
    let visibility = query
        .filters
        .iter()
        .find(|(k, _)| k == "visibility")
        .map(|(_, v)| v.as_str());
    let hidden_filter = query.filters.iter().any(|(k, _)| k == "os_hidden");
    let marker = match &query.marker {
        Some(id) => Some(
            images
                .clone()
                .find(|image| image.id == *id && policy::can_see(caller, image))
                .ok_or_else(|| bad_request(image_not_found(id).message))?,
        ),
        None => None,
    };
    let mut selected: Vec<&Image> = images
        .filter(|image| listed(caller, image, visibility, &query.member_status))
        .filter(|image| hidden_filter || !image.os_hidden)
        .filter(|image| query.tags.iter().all(|t| image.tags.contains(t)))
        .filter(|image| query.filters.iter().all(|(k, v)| matches(image, k, v)))
        .filter(|image| marker.is_none_or(|m| compare(image, m, &query.sort) == Ordering::Greater))
        .collect();
    selected.sort_by(|a, b| compare(a, b, &query.sort));
    selected.truncate(query.limit);
    let next = (query.limit > 0 && selected.len() == query.limit)
        .then(|| selected.last().map(|i| i.id.clone()))
        .flatten();
    Ok((selected, next))
}

fn encode(params: &[(String, String)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        out.append_pair(k, v);
    }
    out.finish()
}

/// `GET /v2/images`: `{"images", "first", "schema"}` and `next` when the page was full.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = parse_query(raw.as_deref())?;
    let images = state.glance.lock();
    let (page, next) = select(&caller, images.values(), &query)?;
    let without_marker: Vec<(String, String)> = query
        .params
        .iter()
        .filter(|(k, _)| k != "marker")
        .cloned()
        .collect();
    let mut first = "/v2/images".to_owned();
    if !without_marker.is_empty() {
        first = format!("{first}?{}", encode(&without_marker));
    }
    let mut body = json!({
        "images": page.iter().map(|i| i.to_wire()).collect::<Vec<_>>(),
        "first": first,
        "schema": "/v2/schemas/images",
    });
    if let Some(marker) = next {
        let mut params = without_marker;
        params.push(("marker".to_owned(), marker));
        body["next"] = json!(format!("/v2/images?{}", encode(&params)));
    }
    Ok(Json(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_syntaxes() {
        let q = parse_query(Some("sort=name:asc,size")).unwrap();
        assert_eq!(q.sort[0], ("name".into(), true));
        assert_eq!(q.sort[1], ("size".into(), false));
        let q = parse_query(Some("sort_key=name&sort_key=size&sort_dir=asc")).unwrap();
        assert_eq!(q.sort[1], ("size".into(), true));
        assert_eq!(
            parse_query(Some("sort=name&sort_key=size"))
                .unwrap_err()
                .message,
            "Old and new sorting syntax cannot be combined"
        );
        assert!(parse_query(Some("sort_key=bogus")).is_err());
        assert!(parse_query(Some("sort_key=a&sort_dir=asc&sort_dir=desc")).is_err());
        let q = parse_query(None).unwrap();
        assert_eq!(
            q.sort,
            vec![("created_at".into(), false), ("id".into(), false)]
        );
    }

    #[test]
    fn limits_and_filters_are_validated() {
        assert_eq!(parse_query(Some("limit=5000")).unwrap().limit, MAX_LIMIT);
        assert_eq!(
            parse_query(Some("limit=x")).unwrap_err().message,
            "limit param must be an integer"
        );
        assert_eq!(
            parse_query(Some("limit=-1")).unwrap_err().message,
            "limit param must be positive"
        );
        assert!(parse_query(Some("visibility=everyone")).is_err());
        assert!(parse_query(Some("created_at=soon:2020-01-01T00:00:00Z")).is_err());
        assert!(parse_query(Some("created_at=gt:yesterday")).is_err());
        assert!(parse_query(Some("size_min=big")).is_err());
        assert!(parse_query(Some("member_status=maybe")).is_err());
        assert!(parse_query(Some("changes-since=2020-01-01")).is_err());
    }

    #[test]
    fn in_lists_keep_quoted_commas() {
        assert_eq!(values_of("in:a, b,\"c,d\""), vec!["a", "b", "c,d"]);
        assert_eq!(values_of("eq:x"), vec!["x"]);
        assert_eq!(values_of("plain"), vec!["plain"]);
    }
}
