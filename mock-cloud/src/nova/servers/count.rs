//! How many servers one `POST /servers` makes, as Nova 34 decides it: from `min_count`
//! (default one) to `max_count` (default `min_count`), as many as the project's quota allows
//! but never fewer than `min_count`. With more than one, each is named `NAME-N`, N counting
//! from one (Nova 34 has no `multi_instance_display_name_template` any more; this is what
//! its old default gave), and all share one reservation id.

use serde_json::{Map, Value};

use super::Server;
use crate::errors::ApiError;
use crate::nova::bad_request;
use crate::nova::flavors::Flavor;
use crate::nova::limits::QUOTA;

/// The counts a create request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Count {
    /// Fewest servers to make (else nothing is made).
    pub(super) min: u64,
    /// Most servers to make.
    pub(super) max: u64,
    /// Whether the answer is `{"reservation_id"}` instead of the first server.
    pub(super) reservation_only: bool,
}

/// A count field (the schema has checked it is a positive integer, or such a string).
fn number(request: &Map<String, Value>, key: &str) -> Option<u64> {
    match request.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Python's truth of a JSON value (Nova tests `return_reservation_id` with a bare `if`).
fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

impl Count {
    /// The counts of `request` (the `server` object), with the 400s Nova answers for
    /// several servers that cannot all have what was asked for one.
    pub(super) fn of(request: &Map<String, Value>) -> Result<Count, ApiError> {
        let min = number(request, "min_count").unwrap_or(1);
        let max = number(request, "max_count").unwrap_or(min);
        if min > max {
            return Err(bad_request("min_count must be <= max_count"));
        }
        if max > 1 {
            let networks = request.get("networks").and_then(Value::as_array);
            let asks = |key: &str| networks.is_some_and(|n| n.iter().any(|n| n.get(key).is_some()));
            if asks("fixed_ip") {
                return Err(bad_request(
                    "Failed to launch instances: max_count cannot be greater than 1 if an fixed_ip is specified.",
                ));
            }
            if asks("port") {
                return Err(bad_request(
                    "Failed to launch instances: Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.",
                ));
            }
            if request.get("hostname").is_some() {
                return Err(bad_request(
                    "Unable to allocate a single hostname to multiple instances",
                ));
            }
        }
        Ok(Count {
            min,
            max,
            reservation_only: truthy(request.get("return_reservation_id")),
        })
    }

    /// How many servers of `flavor` the project may make now, given its `servers`
    /// (`check_num_instances_quota`): `max` when they fit, else as many as fit if that is at
    /// least `min`, else 403 with Nova's `TooManyInstances` message.
    pub(super) fn allowed<'a>(
        self,
        servers: impl Iterator<Item = &'a Server>,
        flavor: &Flavor,
    ) -> Result<u64, ApiError> {
        let (mut instances, mut cores, mut ram) = (0u64, 0u64, 0u64);
        for server in servers {
            instances += 1;
            cores += u64::from(server.flavor.vcpus);
            ram += server.flavor.ram;
        }
        let vcpus = u64::from(flavor.vcpus);
        let wanted = [
            ("cores", cores, self.max * vcpus, QUOTA.cores),
            ("instances", instances, self.max, QUOTA.instances),
            ("ram", ram, self.max * flavor.ram, QUOTA.ram),
        ];
        let overs: Vec<_> = wanted
            .iter()
            .filter(|(_, used, delta, quota)| used + delta > *quota)
            .collect();
        if overs.is_empty() {
            return Ok(self.max);
        }
        let headroom = |used: u64, quota: u64| quota.saturating_sub(used);
        let mut allowed = headroom(instances, QUOTA.instances);
        if let Some(fit) = headroom(cores, QUOTA.cores).checked_div(vcpus) {
            allowed = allowed.min(fit);
        }
        if let Some(fit) = headroom(ram, QUOTA.ram).checked_div(flavor.ram) {
            allowed = allowed.min(fit);
        }
        if allowed >= self.min && allowed > 0 {
            return Ok(allowed.min(self.max));
        }
        let requested = |name: &str, delta: u64| {
            if name != "instances" {
                delta.to_string()
            } else if self.min == self.max {
                self.min.to_string()
            } else {
                format!("{}-{}", self.min, self.max)
            }
        };
        let join = |parts: Vec<String>| parts.join(", ");
        let names = join(overs.iter().map(|o| o.0.to_owned()).collect());
        Err(crate::nova::error(
            axum::http::StatusCode::FORBIDDEN,
            format!(
                "Quota exceeded for {names}: Requested {}, but already used {} of {} {names}",
                join(overs.iter().map(|o| requested(o.0, o.2)).collect()),
                join(overs.iter().map(|o| o.1.to_string()).collect()),
                join(overs.iter().map(|o| o.3.to_string()).collect()),
            ),
        ))
    }
}

/// The display name of server `index` (from 0) of `count` made by one request.
pub(super) fn name_of(name: &str, index: u64, count: u64) -> String {
    if count > 1 {
        format!("{name}-{}", index + 1)
    } else {
        name.to_owned()
    }
}

/// The reservation id of a request whose first server is number `first_seq`: `r-` and 8
/// characters of `[0-9a-z]` like Nova's random ones, but made of the number, so that it is
/// unique and a record from before reservations were kept gets the same one.
pub(super) fn reservation_id(first_seq: u64) -> String {
    format!("r-{first_seq:08x}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn count(body: Value) -> Result<Count, ApiError> {
        Count::of(body.as_object().unwrap())
    }

    #[test]
    fn counts_default_and_are_checked() {
        let one = count(json!({})).unwrap();
        assert_eq!((one.min, one.max, one.reservation_only), (1, 1, false));
        let c = count(json!({"min_count": "2", "return_reservation_id": "False"})).unwrap();
        assert_eq!((c.min, c.max, c.reservation_only), (2, 2, true));
        assert_eq!(count(json!({"max_count": 3})).unwrap().min, 1);
        let err = count(json!({"min_count": 3, "max_count": 2})).unwrap_err();
        assert_eq!(err.message, "min_count must be <= max_count");
        let fixed = json!({"max_count": 2, "networks": [{"uuid": "n", "fixed_ip": "10.0.0.9"}]});
        assert_eq!(count(fixed).unwrap_err().status, 400);
        assert_eq!(
            count(json!({"max_count": 2, "networks": [{"port": "p"}]}))
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            count(json!({"max_count": 2, "hostname": "h"}))
                .unwrap_err()
                .status,
            400
        );
        assert!(count(json!({"max_count": 1, "hostname": "h"})).is_ok());
    }

    #[test]
    fn names_get_a_suffix_only_when_several() {
        assert_eq!(name_of("web", 0, 1), "web");
        assert_eq!(name_of("web", 0, 3), "web-1");
        assert_eq!(name_of("web", 2, 3), "web-3");
        assert_eq!(reservation_id(1), "r-00000001");
    }
}
