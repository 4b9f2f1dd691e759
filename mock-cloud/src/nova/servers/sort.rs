//! The order of `GET /servers[/detail]`, as Nova builds it: every `sort_key` and `sort_dir`
//! in the order given (`created_at` and `desc` when none), the ignored keys dropped with
//! their directions, missing directions taken from the first one, then `created_at` and the
//! creation order (`id`) in that direction, then `uuid` ascending. `NULL`s sort first, as in
//! the database; times compare in whole seconds, as Nova stores them.

use std::cmp::Ordering;

use jiff::Timestamp;

use super::Server;
use super::schema::IGNORED_SORT_KEYS;
use crate::errors::ApiError;
use crate::nova::microversion::Microversion;
use crate::nova::{ListQuery, bad_request, error};

/// A server's value for a sort key.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Value<'a> {
    Text(Option<&'a str>),
    Number(Option<u64>),
    Time(Option<i64>),
}

fn seconds(at: Timestamp) -> Option<i64> {
    Some(at.as_second())
}

fn value<'a>(server: &'a Server, key: &str) -> Value<'a> {
    use Value::*;
    match key {
        "display_name" => Text(Some(&server.name)),
        "display_description" => Text(server.description.as_deref()),
        "created_at" => Time(seconds(server.created)),
        "updated_at" => Time(seconds(server.updated)),
        "launched_at" => Time(server.launched_at.and_then(seconds)),
        "uuid" => Text(Some(&server.id)),
        // Nova's internal id: the creation order.
        "id" => Number(Some(server.seq)),
        "project_id" => Text(Some(&server.project_id)),
        "user_id" => Text(Some(&server.user_id)),
        "image_ref" => Text(Some(&server.image_id)),
        "instance_type_id" => Text(Some(&server.flavor.id)),
        "key_name" => Text(server.key_name.as_deref()),
        "kernel_id" => Text(Some(&server.kernel_id)),
        "ramdisk_id" => Text(Some(&server.ramdisk_id)),
        "vm_state" => Text(Some(server.vm_state)),
        "task_state" => Text(server.task_state),
        "power_state" => Number(Some(u64::from(server.power_state))),
        "launch_index" => Number(Some(u64::from(server.launch_index))),
        // The rest is the same for every server of the mock (one host, one zone, no
        // access IPs, never locked): ties, broken by the keys after them.
        _ => Text(None),
    }
}

/// The sort keys, each with whether it is ascending, for this query.
pub(super) fn order(
    query: &ListQuery,
    version: Microversion,
    admin: bool,
) -> Result<Vec<(String, bool)>, ApiError> {
    let given = |name: &str| -> Vec<String> {
        query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    };
    let (mut keys, mut dirs) = (given("sort_key"), given("sort_dir"));
    if keys.is_empty() {
        keys.push("created_at".to_owned());
    }
    if dirs.is_empty() {
        dirs.push("desc".to_owned());
    }
    // `remove_invalid_sort_keys`: an ignored key goes, and the direction at its place if any.
    let ignored =
        |key: &str| IGNORED_SORT_KEYS.contains(&key) && !(key == "locked" && version.at_least(73));
    for key in keys.clone() {
        if ignored(&key) {
            let at = keys.iter().position(|k| *k == key).unwrap_or_default();
            if dirs.len() > at {
                dirs.remove(at);
            }
            keys.remove(at);
        } else if matches!(key.as_str(), "host" | "node") && !admin {
            return Err(error(
                axum::http::StatusCode::FORBIDDEN,
                format!("Only administrators can sort servers by {key}"),
            ));
        }
    }
    // `process_sort_params` with Nova's default direction `desc`.
    let default = dirs.first().cloned().unwrap_or_else(|| "desc".to_owned());
    if dirs.len() > keys.len() {
        return Err(bad_request(
            "Invalid input received: Sort direction size exceeds sort key size",
        ));
    }
    dirs.resize(keys.len(), default.clone());
    for key in ["created_at", "id"] {
        if !keys.iter().any(|k| k == key) {
            keys.push(key.to_owned());
            dirs.push(default.clone());
        }
    }
    // The cell lister's last key, so that the order is total.
    if !keys.iter().any(|k| k == "uuid") {
        keys.push("uuid".to_owned());
        dirs.push("asc".to_owned());
    }
    Ok(keys
        .into_iter()
        .zip(dirs)
        .map(|(k, d)| (k, d == "asc"))
        .collect())
}

/// Orders `servers` by `order` (from [`order`]).
pub(super) fn sort(servers: &mut [Server], order: &[(String, bool)]) {
    servers.sort_by(|a, b| {
        order
            .iter()
            .map(|(key, asc)| {
                let ordering = value(a, key).cmp(&value(b, key));
                if *asc { ordering } else { ordering.reverse() }
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> ListQuery {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn keys(order: &[(String, bool)]) -> Vec<String> {
        order
            .iter()
            .map(|(k, asc)| format!("{k}:{}", if *asc { "asc" } else { "desc" }))
            .collect()
    }

    #[test]
    fn orders_are_built_as_nova_builds_them() {
        let v = Microversion(1);
        let built = |pairs: &[(&str, &str)]| keys(&order(&q(pairs), v, false).unwrap());
        assert_eq!(built(&[]), ["created_at:desc", "id:desc", "uuid:asc"]);
        assert_eq!(
            built(&[("sort_key", "display_name")]),
            [
                "display_name:desc",
                "created_at:desc",
                "id:desc",
                "uuid:asc"
            ]
        );
        assert_eq!(
            built(&[
                ("sort_key", "display_name"),
                ("sort_dir", "asc"),
                ("sort_key", "key_name")
            ]),
            [
                "display_name:asc",
                "key_name:asc",
                "created_at:asc",
                "id:asc",
                "uuid:asc"
            ]
        );
        assert_eq!(
            built(&[
                ("sort_key", "vcpus"),
                ("sort_dir", "asc"),
                ("sort_key", "display_name"),
                ("sort_dir", "desc")
            ]),
            [
                "display_name:desc",
                "created_at:desc",
                "id:desc",
                "uuid:asc"
            ]
        );
        assert_eq!(
            built(&[("sort_dir", "asc")]),
            ["created_at:asc", "id:asc", "uuid:asc"]
        );
        let err = order(&q(&[("sort_dir", "asc"), ("sort_dir", "desc")]), v, false).unwrap_err();
        assert_eq!(err.status, 400);
        let err = order(&q(&[("sort_key", "host")]), v, false).unwrap_err();
        assert_eq!(err.status, 403);
        assert!(order(&q(&[("sort_key", "host")]), v, true).is_ok());
        let locked = q(&[("sort_key", "locked")]);
        assert_eq!(
            keys(&order(&locked, v, false).unwrap())[0],
            "created_at:desc"
        );
        let at_73 = order(&locked, Microversion(73), false).unwrap();
        assert_eq!(keys(&at_73)[0], "locked:desc");
    }
}
