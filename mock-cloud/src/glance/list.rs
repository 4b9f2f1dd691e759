//! `GET /v2/images`: visibility rules, filters (`in:` lists, size and time ranges, tags,
//! extra properties), sorting (`sort_key`/`sort_dir` or `sort=`), marker pagination with
//! `first` and `next` links.

use std::cmp::Ordering;

use axum::Json;
use axum::extract::{RawQuery, State};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::image::{Image, Status, bad_request, image_not_found, not_authorized, whole_seconds};
use super::index::{Images, Part, SORT_KEYS};
use super::policy;
use crate::app::AppState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// `limit_param_default`.
pub(crate) const DEFAULT_LIMIT: usize = 25;
/// `api_limit_max`.
pub(crate) const MAX_LIMIT: usize = 1000;

/// A parsed list request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    params: Vec<(String, String)>,
    limit: usize,
    marker: Option<String>,
    member_status: String,
    tags: Vec<String>,
    sort: Vec<(String, bool)>,
    filters: Vec<(String, String)>,
}

/// The query string as Glance's deserializer reads it.
pub(crate) fn parse_query(raw: Option<&str>) -> Result<Query, ApiError> {
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
                query.limit = crate::paging::parse_limit(&value, MAX_LIMIT).map_err(bad_request)?;
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

/// Rejects malformed filter values up front (400, Glance's wording), so matching never fails.
fn validate_filter(key: &str, value: &str) -> Result<(), ApiError> {
    match key {
        "size_min" | "size_max" => {
            value.trim().parse::<i64>().map_err(|_| {
                bad_request("Unable to filter on a range with a non-numeric value.")
            })?;
        }
        "protected" | "os_hidden" => {
            parse_bool(key, value)?;
        }
        "created_at" | "updated_at" => {
            time_filter(key, value)?;
        }
        "name" | "id" | "status" | "container_format" | "disk_format" => {
            let (op, _) = split_filter_op(value);
            if op != "in" && op != "eq" {
                return Err(bad_request(format!(
                    "Unable to filter by unknown operator '{op}'."
                )));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Glance accepts exactly `true` or `false` (`os_hidden` case-insensitively).
fn parse_bool(key: &str, value: &str) -> Result<bool, ApiError> {
    let value = if key == "os_hidden" {
        value.to_ascii_lowercase()
    } else {
        value.to_owned()
    };
    match value.as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad_request(format!(
            "Invalid value '{value}' for '{key}' filter. Valid values are 'true' or 'false'."
        ))),
    }
}

/// Glance's `split_filter_op`: `op:value`, or `eq` when there is no operator (or when the
/// whole expression is a timestamp, colons and all).
fn split_filter_op(expression: &str) -> (&str, &str) {
    match expression.split_once(':') {
        Some(_) if parse_time(expression).is_some() => ("eq", expression),
        Some((op, threshold)) => (op, threshold),
        None => ("eq", expression),
    }
}

/// `created_at`/`updated_at` filters: `op:timestamp`, op in gt, gte, eq, neq, lt, lte.
fn time_filter(key: &str, value: &str) -> Result<(String, Timestamp), ApiError> {
    let (op, time) = split_filter_op(value);
    let time = parse_time(time.trim()).ok_or_else(|| {
        bad_request(format!(
            "Bad \"{key}\" query filter format. Use ISO 8601 DateTime notation."
        ))
    })?;
    if !matches!(op, "gt" | "gte" | "eq" | "neq" | "lt" | "lte") {
        return Err(bad_request("Unable to filter on a unknown operator."));
    }
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

/// The values an `in:`/`eq:` filter accepts: `in:a,b,"c,d"` splits on commas outside double
/// quotes (backslash escapes inside them), without trimming, as Glance does.
fn values_of(filter: &str) -> Vec<String> {
    let (op, list) = split_filter_op(filter);
    if op != "in" {
        return vec![list.to_owned()];
    }
    let mut values = Vec::new();
    let mut chars = list.chars().peekable();
    while chars.peek().is_some() {
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
            if chars.peek() == Some(&',') {
                chars.next();
            }
        } else {
            for c in chars.by_ref() {
                if c == ',' {
                    break;
                }
                value.push(c);
            }
        }
        values.push(value);
    }
    values
}

/// Whether the caller sees `image` in a list with this `visibility` filter (Glance's
/// `_select_images_query` and the community rule after it). Killed images are never listed.
fn listed(caller: &Caller, image: &Image, visibility: Option<&str>, member_status: &str) -> bool {
    if image.status == Status::Killed {
        return false;
    }
    let owned = policy::is_owner(caller, image);
    let vis = image.visibility.as_str();
    let member = vis == "shared"
        && caller
            .project_id
            .as_deref()
            .and_then(|p| image.member_status(p))
            .is_some_and(|s| member_status == "all" || s == member_status);
    let candidate = caller.is_admin() || matches!(vis, "public" | "community") || owned || member;
    candidate
        && match visibility {
            // Without a visibility filter, community images appear only to their owner.
            None => vis != "community" || owned,
            Some("all") => true,
            Some(wanted) => vis == wanted,
        }
}

fn matches(image: &Image, key: &str, filter: &str) -> bool {
    let listed = |v: Option<&str>| values_of(filter).iter().any(|f| Some(f.as_str()) == v);
    let exact = |v: Option<String>| v.as_deref() == Some(filter);
    match key {
        "name" => listed(image.name.as_deref()),
        "status" => listed(Some(image.status.as_str())),
        "id" => listed(Some(&image.id)),
        "disk_format" => listed(image.disk_format.as_deref()),
        "container_format" => listed(image.container_format.as_deref()),
        "owner" => exact(image.owner.clone()),
        "checksum" => exact(image.checksum.clone()),
        "os_hash_algo" => exact(image.os_hash_algo.clone()),
        "os_hash_value" => exact(image.os_hash_value.clone()),
        "size" => exact(image.size.map(|n| n.to_string())),
        "virtual_size" => exact(image.virtual_size.map(|n| n.to_string())),
        "min_ram" => exact(Some(image.min_ram.to_string())),
        "min_disk" => exact(Some(image.min_disk.to_string())),
        "visibility" => true, // handled by `listed`
        "protected" => parse_bool(key, filter).is_ok_and(|b| b == image.protected),
        "os_hidden" => parse_bool(key, filter).is_ok_and(|b| b == image.os_hidden),
        "size_min" => image.size.is_some_and(|s| {
            filter
                .trim()
                .parse::<i64>()
                .is_ok_and(|min| s as i64 >= min)
        }),
        "size_max" => image.size.is_some_and(|s| {
            filter
                .trim()
                .parse::<i64>()
                .is_ok_and(|max| s as i64 <= max)
        }),
        "created_at" | "updated_at" => {
            let Ok((op, at)) = time_filter(key, filter) else {
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
        other => exact(image.properties.get(other).cloned()),
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

/// Conditions every image this list can show meets, each a union of [`Part`]s, for the
/// index to walk the smallest of: the caller's visibility rule and the owner, visibility and
/// status filters.
fn subsets(caller: &Caller, query: &Query, visibility: Option<&str>) -> Vec<Vec<Part>> {
    let mut subsets = Vec::new();
    if !caller.is_admin() {
        let mut visible = vec![Part::Visibility("public".to_owned())];
        if visibility == Some("all") {
            visible.push(Part::Visibility("community".to_owned()));
        }
        if let Some(project) = &caller.project_id {
            visible.push(Part::Owner(project.clone()));
            visible.push(Part::Member(project.clone()));
        }
        subsets.push(visible);
    }
    for (key, value) in &query.filters {
        match key.as_str() {
            "owner" => subsets.push(vec![Part::Owner(value.clone())]),
            "visibility" if value != "all" => subsets.push(vec![Part::Visibility(value.clone())]),
            "status" => subsets.push(values_of(value).into_iter().map(Part::Status).collect()),
            _ => {}
        }
    }
    subsets
}

/// The `visibility` filter, if any.
fn visibility(query: &Query) -> Option<&str> {
    query
        .filters
        .iter()
        .find(|(k, _)| k == "visibility")
        .map(|(_, v)| v.as_str())
}

/// Whether an image belongs in the list `caller` asked for: visible to it, matching every
/// filter, and after the marker.
pub(crate) fn wanted<'a>(
    caller: &'a Caller,
    query: &'a Query,
    marker: Option<&'a Image>,
) -> impl Fn(&Image) -> bool + 'a {
    let hidden_filter = query.filters.iter().any(|(k, _)| k == "os_hidden");
    move |image| {
        listed(caller, image, visibility(query), &query.member_status)
            && (hidden_filter || !image.os_hidden)
            && query.tags.iter().all(|t| image.tags.contains(t))
            && query.filters.iter().all(|(k, v)| matches(image, k, v))
            && marker.is_none_or(|m| compare(image, m, &query.sort) == Ordering::Greater)
    }
}

/// The page found by looking at every image: for orders no index has.
pub(crate) fn scan<'a>(
    images: impl Iterator<Item = &'a Image>,
    wanted: impl Fn(&Image) -> bool,
    query: &Query,
) -> Vec<&'a Image> {
    let mut selected: Vec<&Image> = images.filter(|image| wanted(image)).collect();
    // Only the page is sorted: the rest is partitioned away in linear time.
    if query.limit > 0 && selected.len() > query.limit {
        selected.select_nth_unstable_by(query.limit - 1, |a, b| compare(a, b, &query.sort));
    }
    selected.truncate(query.limit);
    selected.sort_by(|a, b| compare(a, b, &query.sort));
    selected
}

/// The page of images `caller` asked for, plus the next marker when the page is full. The
/// images are walked in the asked order from the marker on, through the index, until the
/// page is full; an order no index has is answered by a scan.
pub(crate) fn select<'a>(
    caller: &Caller,
    images: &'a Images,
    query: &Query,
) -> Result<(Vec<&'a Image>, Option<String>), ApiError> {
    let marker = match &query.marker {
        Some(id) => Some(
            images
                .get(id)
                .filter(|image| policy::can_see(caller, image))
                .ok_or_else(|| bad_request(image_not_found(id).message))?,
        ),
        None => None,
    };
    let wanted = wanted(caller, query, marker);
    let subsets = subsets(caller, query, visibility(query));
    let selected = match images.ordered(&query.sort, &subsets, marker) {
        Some(walk) => walk
            .filter(|image| wanted(image))
            .take(query.limit)
            .collect(),
        None => scan(images.values(), &wanted, query),
    };
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
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = parse_query(raw.as_deref())?;
    // `get_images` needs a role on a project: an unscoped token holds none.
    if caller.roles.is_empty() {
        return Err(not_authorized("get_images"));
    }
    let images = state.glance.lock();
    let (page, next) = select(&caller, &images, &query)?;
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
        assert_eq!(
            parse_query(Some("created_at=soon:2020-01-01T00:00:00Z"))
                .unwrap_err()
                .message,
            "Unable to filter on a unknown operator."
        );
        assert_eq!(
            parse_query(Some("created_at=gt:yesterday"))
                .unwrap_err()
                .message,
            "Bad \"created_at\" query filter format. Use ISO 8601 DateTime notation."
        );
        assert_eq!(
            parse_query(Some("size_min=big")).unwrap_err().message,
            "Unable to filter on a range with a non-numeric value."
        );
        assert_eq!(
            parse_query(Some("name=like:x")).unwrap_err().message,
            "Unable to filter by unknown operator 'like'."
        );
        assert!(parse_query(Some("protected=yes")).is_err());
        assert!(parse_query(Some("os_hidden=TRUE")).is_ok());
        assert!(parse_query(Some("member_status=maybe")).is_err());
        assert!(parse_query(Some("changes-since=2020-01-01")).is_err());
    }

    #[test]
    fn in_lists_keep_quoted_commas() {
        assert_eq!(values_of("in:a, b,\"c,d\""), vec!["a", " b", "c,d"]);
        assert_eq!(values_of("in:\"q\\\"x\""), vec!["q\"x"]);
        assert_eq!(
            values_of("2020-01-01T00:00:00Z"),
            vec!["2020-01-01T00:00:00Z"]
        );
        assert_eq!(values_of("eq:x"), vec!["x"]);
        assert_eq!(values_of("plain"), vec!["plain"]);
    }
}
