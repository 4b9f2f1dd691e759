//! `GET /v2.0/quotas/{project_id}` and `.../details.json` (the `quotas` extension): Neutron's
//! default limits, and what the project uses. Limits are not enforced here; they are what
//! clients such as `openstack quota show` ask for.

use serde_json::{Value, json};

use super::Kind;
use super::store::NeutronState;
use crate::auth::Caller;
use crate::errors::ApiError;

/// Neutron's default quotas (`neutron/conf/quota.py`), by resource, with the kind counted.
const LIMITS: [(&str, i64, Kind); 7] = [
    ("network", 100, Kind::Network),
    ("subnet", 100, Kind::Subnet),
    ("port", 500, Kind::Port),
    ("router", 10, Kind::Router),
    ("floatingip", 50, Kind::FloatingIp),
    ("security_group", 10, Kind::SecurityGroup),
    ("security_group_rule", 100, Kind::SecurityGroupRule),
];

/// 403 unless the caller is an admin or asks about its own project.
pub(super) fn check(caller: &Caller, project: &str) -> Result<(), ApiError> {
    if caller.is_admin() || caller.project_id.as_deref() == Some(project) {
        Ok(())
    } else {
        Err(super::policy_forbids("get_quota"))
    }
}

/// `{"quota": {...}}`: the limits, or with `details` each with its use.
pub(super) fn render(state: &NeutronState, project: &str, details: bool) -> Value {
    let mut quota = serde_json::Map::new();
    for (name, limit, kind) in LIMITS {
        let used = state
            .all(kind)
            .iter()
            .filter(|d| d["project_id"] == project)
            .count();
        let value = if details {
            json!({"limit": limit, "used": used, "reserved": 0})
        } else {
            json!(limit)
        };
        quota.insert(name.into(), value);
    }
    json!({ "quota": quota })
}
