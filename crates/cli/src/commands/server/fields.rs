//! The fields of `server show` and `server create`, and the cells osc formats its own way
//! (power state, addresses, flavor, image), which `server list` shows too.

use std::collections::BTreeMap;

use anyhow::Result;
use ferrostack::compute::{ComputeClient, Microversion, Server, ServerFlavor};
use ferrostack::{Cloud, Secret};
use serde_json::{Map, Value, json};

use crate::output::Cell;

/// What osc shows for a server booted from a volume, in place of an image.
pub const BOOTED_FROM_VOLUME: &str = "N/A (booted from volume)";

/// What only the answer to `POST /servers` carries.
pub struct CreateExtras {
    /// The password Nova set, when the cloud sets one.
    pub admin_pass: Option<Secret>,
    /// The security groups as the create answer names them.
    pub security_groups: Option<Value>,
}

/// A server as Nova sent it: the SDK's model serializes back under Nova's names, with
/// every field it does not type kept as sent.
pub fn wire(server: &Server) -> Map<String, Value> {
    match serde_json::to_value(server) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// The attributes of openstacksdk's `Server` shown by `server show`, as (osc's name, Nova's
/// name). Absent ones are shown as None, as the SDK's resource does.
const PLAIN_FIELDS: &[(&str, &str)] = &[
    ("OS-DCF:diskConfig", "OS-DCF:diskConfig"),
    ("OS-EXT-AZ:availability_zone", "OS-EXT-AZ:availability_zone"),
    ("OS-EXT-SRV-ATTR:host", "OS-EXT-SRV-ATTR:host"),
    ("OS-EXT-SRV-ATTR:hostname", "OS-EXT-SRV-ATTR:hostname"),
    (
        "OS-EXT-SRV-ATTR:hypervisor_hostname",
        "OS-EXT-SRV-ATTR:hypervisor_hostname",
    ),
    (
        "OS-EXT-SRV-ATTR:instance_name",
        "OS-EXT-SRV-ATTR:instance_name",
    ),
    ("OS-EXT-SRV-ATTR:kernel_id", "OS-EXT-SRV-ATTR:kernel_id"),
    (
        "OS-EXT-SRV-ATTR:launch_index",
        "OS-EXT-SRV-ATTR:launch_index",
    ),
    ("OS-EXT-SRV-ATTR:ramdisk_id", "OS-EXT-SRV-ATTR:ramdisk_id"),
    (
        "OS-EXT-SRV-ATTR:reservation_id",
        "OS-EXT-SRV-ATTR:reservation_id",
    ),
    (
        "OS-EXT-SRV-ATTR:root_device_name",
        "OS-EXT-SRV-ATTR:root_device_name",
    ),
    ("OS-EXT-SRV-ATTR:user_data", "OS-EXT-SRV-ATTR:user_data"),
    ("OS-EXT-STS:task_state", "OS-EXT-STS:task_state"),
    ("OS-EXT-STS:vm_state", "OS-EXT-STS:vm_state"),
    ("OS-SRV-USG:launched_at", "OS-SRV-USG:launched_at"),
    ("OS-SRV-USG:terminated_at", "OS-SRV-USG:terminated_at"),
    ("accessIPv4", "accessIPv4"),
    ("accessIPv6", "accessIPv6"),
    ("config_drive", "config_drive"),
    ("created", "created"),
    ("description", "description"),
    ("hostId", "hostId"),
    ("host_status", "host_status"),
    ("id", "id"),
    ("key_name", "key_name"),
    ("locked", "locked"),
    ("locked_reason", "locked_reason"),
    ("name", "name"),
    ("progress", "progress"),
    ("project_id", "tenant_id"),
    ("server_groups", "server_groups"),
    ("status", "status"),
    ("trusted_image_certificates", "trusted_image_certificates"),
    ("updated", "updated"),
    ("user_id", "user_id"),
];

/// `server show` (and `server create`): osc's fields, sorted by name.
pub async fn server_fields(
    cloud: &Cloud,
    compute: &ComputeClient,
    server: &Server,
    created: Option<CreateExtras>,
) -> Result<Vec<(&'static str, Cell)>> {
    let wire = wire(server);
    let version = compute.microversion().await?;
    let mut fields: BTreeMap<&'static str, Cell> = BTreeMap::new();
    for (shown, key) in PLAIN_FIELDS {
        fields.insert(
            shown,
            Cell::json(wire.get(*key).cloned().unwrap_or(Value::Null)),
        );
    }
    if version >= Microversion(2, 96) {
        fields.insert(
            "pinned_availability_zone",
            Cell::json(
                wire.get("pinned_availability_zone")
                    .cloned()
                    .unwrap_or(Value::Null),
            ),
        );
    }
    fields.insert(
        "OS-EXT-STS:power_state",
        power_state(wire.get("OS-EXT-STS:power_state")),
    );
    fields.insert("addresses", addresses(wire.get("addresses")));
    fields.insert("image", Cell::str(image_label(cloud, server).await));
    fields.insert("flavor", flavor_cell(compute, server).await);
    fields.insert("properties", metadata(server));
    let tags = wire
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    fields.insert("tags", Cell::List(tags));
    let volumes = wire
        .get("os-extended-volumes:volumes_attached")
        .cloned()
        .unwrap_or_else(|| json!([]));
    fields.insert("volumes_attached", list_of_dicts(&volumes));
    if let Some(fault) = wire.get("fault").filter(|f| !f.is_null()) {
        fields.insert("fault", Cell::json(fault.clone()));
    }
    let created = created.unwrap_or(CreateExtras {
        admin_pass: None,
        security_groups: None,
    });
    // Only in the create answer, when the cloud sets a password: shown once, as osc does.
    if let Some(pass) = &created.admin_pass {
        fields.insert("adminPass", Cell::str(pass.expose()));
    }
    if let Some(groups) = created
        .security_groups
        .as_ref()
        .or(wire.get("security_groups"))
        .filter(|g| !g.is_null())
    {
        fields.insert("security_groups", list_of_dicts(groups));
    }
    Ok(fields.into_iter().collect())
}

/// osc's `PowerStateColumn`: the name in tables, Nova's integer elsewhere.
pub fn power_state(value: Option<&Value>) -> Cell {
    const NAMES: [&str; 8] = [
        "NOSTATE",
        "Running",
        "",
        "Paused",
        "Shutdown",
        "",
        "Crashed",
        "Suspended",
    ];
    let machine = value.cloned().unwrap_or(Value::Null);
    let human = machine
        .as_u64()
        .and_then(|code| NAMES.get(code as usize))
        .copied()
        .unwrap_or("N/A")
        .to_owned();
    Cell::Formatted { human, machine }
}

/// osc's `AddressesColumn`: `net=10.0.0.3, fd00::3; other=...` in tables, `{net: [addr]}`
/// elsewhere.
pub fn addresses(value: Option<&Value>) -> Cell {
    let mut machine = Map::new();
    let mut human = Vec::new();
    if let Some(Value::Object(networks)) = value {
        for (network, list) in networks {
            let addrs: Vec<String> = list
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter_map(|a| a.get("addr").and_then(Value::as_str).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            human.push(format!("{network}={}", addrs.join(", ")));
            machine.insert(network.clone(), json!(addrs));
        }
    }
    Cell::Formatted {
        human: human.join("; "),
        machine: Value::Object(machine),
    }
}

/// Metadata as osc's `properties` (a `DictColumn`).
pub fn metadata(server: &Server) -> Cell {
    Cell::Dict(
        server
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// osc's `ListDictColumn`: one `k='v'` line per item in tables, the list elsewhere.
fn list_of_dicts(value: &Value) -> Cell {
    let items = value.as_array().cloned().unwrap_or_default();
    let human = items
        .iter()
        .map(|item| {
            let pairs: Vec<(String, Value)> = item
                .as_object()
                .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            Cell::Dict(pairs).human()
        })
        .collect::<Vec<_>>()
        .join("\n");
    Cell::Formatted {
        human,
        machine: Value::Array(items),
    }
}

/// `name (id)` of the server's image, its id alone when Glance cannot say, or osc's
/// words for a server booted from a volume.
async fn image_label(cloud: &Cloud, server: &Server) -> String {
    match &server.image {
        Some(image) => match cloud.image().images().get(image.id.clone()).await {
            Ok(found) => format!("{} ({})", found.name.unwrap_or_default(), image.id),
            Err(_) => image.id.to_string(),
        },
        None => BOOTED_FROM_VOLUME.to_owned(),
    }
}

/// The flavor as osc shows it: from 2.47 the embedded copy as openstacksdk's `Flavor`
/// resource (its attributes in its order, the name standing in for the id it lacks);
/// before, `name (id)` from a lookup.
async fn flavor_cell(compute: &ComputeClient, server: &Server) -> Cell {
    match &server.flavor {
        Some(ServerFlavor::Embedded(e)) => {
            let specs: Map<String, Value> = e
                .extra_specs
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            let pairs: Vec<(String, Value)> = vec![
                ("name".into(), json!(e.original_name)),
                ("original_name".into(), json!(e.original_name)),
                ("description".into(), Value::Null),
                ("disk".into(), json!(e.disk)),
                ("is_public".into(), json!(true)),
                ("ram".into(), json!(e.ram)),
                ("vcpus".into(), json!(e.vcpus)),
                ("swap".into(), json!(e.swap)),
                ("ephemeral".into(), json!(e.ephemeral)),
                ("is_disabled".into(), Value::Null),
                ("rxtx_factor".into(), Value::Null),
                ("extra_specs".into(), Value::Object(specs)),
                ("id".into(), json!(e.original_name)),
                ("location".into(), Value::Null),
            ];
            // A Dict keeps openstacksdk's order for `-f value`, where scripts see it.
            Cell::Dict(pairs)
        }
        Some(ServerFlavor::Link { id, .. }) => match compute.flavors().get(id.clone()).await {
            Ok(flavor) => Cell::str(format!("{} ({id})", flavor.name)),
            Err(_) => Cell::str(id.to_string()),
        },
        // A flavor shape this fstack does not know yet, or none: osc shows nothing either.
        _ => Cell::str(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_states_and_addresses_read_as_osc_shows_them() {
        let cell = power_state(Some(&json!(4)));
        assert_eq!(cell.human(), "Shutdown");
        assert_eq!(cell.machine(), json!(4));
        assert_eq!(power_state(None).human(), "N/A");
        let cell = addresses(Some(&json!({
            "private": [{"addr": "10.0.0.3", "version": 4}, {"addr": "fd00::3", "version": 6}],
            "public": [{"addr": "172.24.4.9", "version": 4}],
        })));
        assert_eq!(cell.human(), "private=10.0.0.3, fd00::3; public=172.24.4.9");
        assert_eq!(
            cell.machine(),
            json!({"private": ["10.0.0.3", "fd00::3"], "public": ["172.24.4.9"]})
        );
    }
}
