//! How an image is printed: the fields of `image show`/`create`/`import`, the columns of
//! `image list`, and the client-side `--sort` and `--property` of `image list`, all as
//! python-openstackclient 10 does them.
//!
//! openstackclient files `os_hidden`, `os_hash_algo` and `os_hash_value` under `properties`
//! (its SDK renames them, so they miss its list of base fields), and so does fstack by
//! default; `--lift-hash-fields` shows them at the top, where Glance's image schema has them.

use anyhow::{Result, bail};
use ferrostack::image::Image;
use serde_json::Value;

use super::args::ImageLayout;
use crate::output::{Cell, python_str};

/// The columns of `image list`.
pub const LIST_COLUMNS: [&str; 3] = ["ID", "Name", "Status"];

/// The columns of `image list --long`.
pub const LONG_COLUMNS: [&str; 13] = [
    "ID",
    "Name",
    "Disk Format",
    "Container Format",
    "Size",
    "Checksum",
    "Status",
    "Visibility",
    "Protected",
    "Project",
    "Hash Algorithm",
    "Hash Value",
    "Tags",
];

/// The base fields of Glance's schema that openstackclient files under `properties`, in
/// the order its SDK's image resource declares them.
const HASH_FIELDS: [&str; 3] = ["os_hidden", "os_hash_algo", "os_hash_value"];

/// How openstacksdk's image resource types an attribute it knows.
#[derive(Clone, Copy)]
enum SdkType {
    /// Kept as sent.
    Any,
    Int,
    Float,
    Str,
    Dict,
    /// `FlexibleBoolStr`: a bool, or true for `1`, `t`, `true`, `on`, `y`, `yes`.
    FlexibleBool,
}

/// The attributes openstacksdk's image resource knows beyond the fields openstackclient
/// shows at the top, in the order it declares them: `to_dict` (and so openstackclient's
/// `properties`) lists them in this order, after the keys it does not know.
const SDK_ATTRIBUTES: &[(&str, SdkType)] = &[
    ("store", SdkType::Any),
    ("locations", SdkType::Any),
    ("direct_url", SdkType::Any),
    ("url", SdkType::Any),
    ("metadata", SdkType::Dict),
    ("architecture", SdkType::Any),
    ("hypervisor_type", SdkType::Any),
    ("instance_type_rxtx_factor", SdkType::Float),
    ("instance_uuid", SdkType::Any),
    ("img_config_drive", SdkType::Any),
    ("kernel_id", SdkType::Any),
    ("os_distro", SdkType::Any),
    ("os_version", SdkType::Any),
    ("os_secure_boot", SdkType::Any),
    ("os_shutdown_timeout", SdkType::Int),
    ("ramdisk_id", SdkType::Any),
    ("vm_mode", SdkType::Any),
    ("hw_cpu_sockets", SdkType::Int),
    ("hw_cpu_cores", SdkType::Int),
    ("hw_cpu_threads", SdkType::Int),
    ("hw_disk_bus", SdkType::Any),
    ("hw_cpu_policy", SdkType::Any),
    ("hw_cpu_thread_policy", SdkType::Any),
    ("hw_rng_model", SdkType::Any),
    ("hw_machine_type", SdkType::Any),
    ("hw_scsi_model", SdkType::Any),
    ("hw_serial_port_count", SdkType::Int),
    ("hw_video_model", SdkType::Any),
    ("hw_video_ram", SdkType::Int),
    ("hw_watchdog_action", SdkType::Any),
    ("os_command_line", SdkType::Any),
    ("hw_vif_model", SdkType::Any),
    ("hw_vif_multiqueue_enabled", SdkType::FlexibleBool),
    ("hw_boot_menu", SdkType::FlexibleBool),
    ("vmware_adaptertype", SdkType::Any),
    ("vmware_ostype", SdkType::Any),
    ("auto_disk_config", SdkType::Any),
    ("os_type", SdkType::Any),
    ("os_admin_user", SdkType::Any),
    ("hw_qemu_guest_agent", SdkType::Str),
    ("os_require_quiesce", SdkType::FlexibleBool),
];

impl SdkType {
    /// `value` as openstacksdk's `_convert_type` makes it.
    fn convert(self, value: &Value) -> Value {
        match (self, value) {
            (SdkType::Any, v) => v.clone(),
            (SdkType::Int, Value::Bool(_)) => value.clone(),
            (SdkType::Int, Value::Number(n)) => n
                .as_i64()
                .map(Value::from)
                .or_else(|| n.as_u64().map(Value::from))
                // int() of a float truncates.
                .or_else(|| n.as_f64().map(|f| Value::from(f.trunc() as i64)))
                .unwrap_or(Value::from(0)),
            (SdkType::Int, Value::String(s))
                if !s.is_empty() && s.chars().all(char::is_numeric) =>
            {
                s.parse::<i64>().map_or(Value::from(0), Value::from)
            }
            (SdkType::Int, _) => Value::from(0),
            (SdkType::Float, Value::Number(n)) => n.as_f64().map_or(Value::Null, Value::from),
            (SdkType::Float, Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .map_or_else(|_| value.clone(), Value::from),
            (SdkType::Float, Value::Bool(b)) => Value::from(if *b { 1.0 } else { 0.0 }),
            (SdkType::Float, _) => Value::from(0.0),
            (SdkType::Str, v) => Value::String(python_str(v)),
            (SdkType::Dict, Value::Object(_)) => value.clone(),
            (SdkType::Dict, _) => Value::Object(serde_json::Map::new()),
            (SdkType::FlexibleBool, Value::Bool(_)) => value.clone(),
            (SdkType::FlexibleBool, v) => {
                let text = python_str(v).trim().to_lowercase();
                Value::Bool(["1", "t", "true", "on", "y", "yes"].contains(&text.as_str()))
            }
        }
    }
}

/// openstackclient's `properties` of an image, in its order: the hash fields, the keys its
/// SDK does not know in the order the server sent them (nulls kept), then the attributes it
/// knows in their declared order, typed as it types them (nulls left out).
fn osc_properties(image: &Image, hash_fields: bool) -> Vec<(String, Value)> {
    let mut properties: Vec<(String, Value)> = Vec::new();
    if hash_fields {
        let values = [
            Some(Value::Bool(image.os_hidden)),
            image.os_hash_algo.clone().map(Value::String),
            image.os_hash_value.clone().map(Value::String),
        ];
        for (name, value) in HASH_FIELDS.into_iter().zip(values) {
            if let Some(value) = value {
                properties.push((name.to_owned(), value));
            }
        }
    }
    let known = |key: &str| SDK_ATTRIBUTES.iter().any(|(name, _)| *name == key);
    properties.extend(
        image
            .properties
            .iter()
            .filter(|(k, _)| !known(k))
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    for (name, kind) in SDK_ATTRIBUTES {
        if let Some(value) = image.properties.get(*name).filter(|v| !v.is_null()) {
            properties.push(((*name).to_owned(), kind.convert(value)));
        }
    }
    properties
}

/// The fields of one image, sorted by name as openstackclient sorts them; fields Glance
/// left unset are left out (openstackclient formats with `ignore_none`).
pub fn show(image: &Image, human_readable: bool, layout: ImageLayout) -> Vec<(&'static str, Cell)> {
    let mut fields: Vec<(&'static str, Cell)> = Vec::new();
    let mut opt = |name: &'static str, value: Option<Cell>| {
        if let Some(cell) = value {
            fields.push((name, cell));
        }
    };
    opt("checksum", image.checksum.clone().map(Cell::str));
    opt(
        "container_format",
        image
            .container_format
            .as_ref()
            .map(|f| Cell::str(f.as_str())),
    );
    opt("created_at", image.created_at.map(|t| Cell::str(time(t))));
    opt(
        "disk_format",
        image.disk_format.as_ref().map(|f| Cell::str(f.as_str())),
    );
    opt("file", image.file.clone().map(Cell::str));
    opt("id", Some(Cell::str(image.id.as_str())));
    opt("min_disk", Some(Cell::json(image.min_disk)));
    opt("min_ram", Some(Cell::json(image.min_ram)));
    opt("name", image.name.clone().map(Cell::str));
    if layout.lift_hash_fields {
        opt("os_hash_algo", image.os_hash_algo.clone().map(Cell::str));
        opt("os_hash_value", image.os_hash_value.clone().map(Cell::str));
        opt("os_hidden", Some(Cell::json(image.os_hidden)));
    }
    opt("owner", image.owner.clone().map(Cell::str));
    let properties = osc_properties(image, !layout.lift_hash_fields);
    opt(
        "properties",
        (!properties.is_empty()).then_some(Cell::Dict(properties)),
    );
    opt("protected", Some(Cell::json(image.protected)));
    opt("schema", image.schema.clone().map(Cell::str));
    opt(
        "size",
        if human_readable {
            Some(Cell::str(format_size(image.size)))
        } else {
            image.size.map(Cell::json)
        },
    );
    opt("status", Some(Cell::str(image.status.as_str())));
    opt("tags", Some(Cell::List(image.tags.clone())));
    opt("updated_at", image.updated_at.map(|t| Cell::str(time(t))));
    opt("virtual_size", image.virtual_size.map(Cell::json));
    opt("visibility", Some(Cell::str(image.visibility.as_str())));
    fields
}

/// One row of `image list` (or `--long`).
pub fn row(image: &Image, long: bool) -> Vec<Cell> {
    let id = Cell::str(image.id.as_str());
    let name = Cell::opt(image.name.clone());
    let status = Cell::str(image.status.as_str());
    if !long {
        return vec![id, name, status];
    }
    vec![
        id,
        name,
        Cell::opt(image.disk_format.as_ref().map(|f| f.as_str().to_owned())),
        Cell::opt(
            image
                .container_format
                .as_ref()
                .map(|f| f.as_str().to_owned()),
        ),
        image.size.map_or(Cell::Plain(Value::Null), Cell::json),
        Cell::opt(image.checksum.clone()),
        status,
        Cell::str(image.visibility.as_str()),
        Cell::json(image.protected),
        Cell::opt(image.owner.clone()),
        Cell::opt(image.os_hash_algo.clone()),
        Cell::opt(image.os_hash_value.clone()),
        Cell::List(image.tags.clone()),
    ]
}

/// Glance's own time format, RFC 3339 in UTC (the SDK parses it; this prints it back the
/// same, `2026-11-28T17:49:23Z`).
fn time(t: impl std::fmt::Display) -> String {
    t.to_string()
}

/// `--human-readable`: osc_lib's `format_size`, powers of 1000 with one decimal at most
/// (`196.6K`, `1M`); no size reads as 0.
pub fn format_size(size: Option<u64>) -> String {
    const SUFFIXES: [&str; 8] = ["", "K", "M", "G", "T", "P", "E", "Z"];
    #[allow(clippy::cast_precision_loss)] // a display rounded to one decimal
    let mut value = size.unwrap_or(0) as f64;
    let mut index = 0;
    while value >= 1000.0 && index < SUFFIXES.len() - 1 {
        index += 1;
        value /= 1000.0;
    }
    let padded = format!("{value:.1}");
    let stripped = padded.trim_end_matches('0').trim_end_matches('.');
    format!("{stripped}{}", SUFFIXES[index])
}

/// An image's value for a key of `--sort` or `--property`: the base field of that name
/// (or the name openstacksdk gives it), else the extra property. `None` when it has neither.
fn value_of(image: &Image, key: &str) -> Option<Value> {
    let text = |s: Option<&str>| s.map_or(Value::Null, |s| Value::String(s.to_owned()));
    Some(match key {
        "id" => Value::String(image.id.as_str().to_owned()),
        "name" => text(image.name.as_deref()),
        "status" => Value::String(image.status.as_str().to_owned()),
        "visibility" => Value::String(image.visibility.as_str().to_owned()),
        "protected" | "is_protected" => Value::Bool(image.protected),
        "os_hidden" | "is_hidden" => Value::Bool(image.os_hidden),
        "checksum" => text(image.checksum.as_deref()),
        "os_hash_algo" | "hash_algo" => text(image.os_hash_algo.as_deref()),
        "os_hash_value" | "hash_value" => text(image.os_hash_value.as_deref()),
        "size" => image.size.map_or(Value::Null, Value::from),
        "virtual_size" => image.virtual_size.map_or(Value::Null, Value::from),
        "min_disk" => Value::from(image.min_disk),
        "min_ram" => Value::from(image.min_ram),
        "owner" | "owner_id" => text(image.owner.as_deref()),
        "container_format" => text(image.container_format.as_ref().map(|f| f.as_str())),
        "disk_format" => text(image.disk_format.as_ref().map(|f| f.as_str())),
        "tags" => Value::from(image.tags.clone()),
        "created_at" => image
            .created_at
            .map_or(Value::Null, |t| Value::String(time(t))),
        "updated_at" => image
            .updated_at
            .map_or(Value::Null, |t| Value::String(time(t))),
        "file" => text(image.file.as_deref()),
        "schema" => text(image.schema.as_deref()),
        other => image.properties.get(other)?.clone(),
    })
}

/// `--property key=value` (repeatable): openstackclient filters on the client, keeping the
/// images whose field or property `key` is exactly the text `value`.
pub fn matches_property(image: &Image, key: &str, value: &str) -> bool {
    matches!(value_of(image, key), Some(Value::String(s)) if s == value)
}

/// `--sort key[:asc|desc],...` on the client, as osc_lib's `sort_items` with `str`: every
/// value compared as Python's `str()` of it (so sizes compare as text, as they do there),
/// stable, last key first.
pub fn sort(images: &mut [Image], spec: &str) -> Result<()> {
    let spec = spec.trim();
    if spec.is_empty() {
        return Ok(());
    }
    for part in spec.split(',').rev() {
        let (key, descending) = match part.split_once(':') {
            None => (part, false),
            Some(("", _)) => bail!("--sort {spec}: '<empty string>' is not a valid sort key"),
            Some((key, "asc")) => (key, false),
            Some((key, "desc")) => (key, true),
            Some((key, direction)) => {
                let direction = if direction.is_empty() {
                    "<empty string>"
                } else {
                    direction
                };
                bail!(
                    "--sort {spec}: '{direction}' is not a valid sort direction for sort key \
                     {key}, use 'asc' or 'desc' instead"
                )
            }
        };
        let known = images.is_empty() || images.iter().any(|i| value_of(i, key).is_some());
        if !known {
            bail!("--sort {spec}: images have no field or property {key:?}");
        }
        let text = |image: &Image| python_str(&value_of(image, key).unwrap_or(Value::Null));
        images.sort_by(|a, b| {
            let order = text(a).cmp(&text(b));
            if descending { order.reverse() } else { order }
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(name: &str, size: u64) -> Image {
        serde_json::from_value(serde_json::json!({
            "id": format!("id-{name}"), "name": name, "status": "active",
            "visibility": "public", "protected": false, "os_hidden": false,
            "size": size, "min_disk": 0, "min_ram": 0, "tags": ["b", "a"],
            "os_hash_algo": "sha512", "os_hash_value": "abc",
            "created_at": "2026-11-28T17:49:23Z", "os_distro": "cirros", "stores": "fs",
        }))
        .unwrap()
    }

    #[test]
    fn sizes_read_as_osc_lib_prints_them() {
        assert_eq!(format_size(Some(196_616)), "196.6K");
        assert_eq!(format_size(Some(1_000_000)), "1M");
        assert_eq!(format_size(Some(999)), "999");
        assert_eq!(format_size(None), "0");
        assert_eq!(format_size(Some(16_777_216)), "16.8M");
    }

    fn names(fields: &[(&'static str, Cell)]) -> Vec<&'static str> {
        fields.iter().map(|(n, _)| *n).collect()
    }

    #[test]
    fn show_files_the_hash_fields_under_properties_as_openstackclient_does() {
        let fields = show(&image("cirros", 1), false, ImageLayout::default());
        let names = names(&fields);
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "sorted as openstackclient sorts them");
        assert!(names.contains(&"created_at"));
        for name in HASH_FIELDS {
            assert!(
                !names.contains(&name),
                "{name} is a property in openstackclient"
            );
        }
        // Unset fields are left out, as openstackclient's ignore_none does.
        assert!(!names.contains(&"checksum") && !names.contains(&"virtual_size"));
        let properties = &fields.iter().find(|(n, _)| *n == "properties").unwrap().1;
        assert_eq!(
            properties.human(),
            "os_distro='cirros', os_hash_algo='sha512', os_hash_value='abc', \
             os_hidden='False', stores='fs'"
        );
    }

    #[test]
    fn lift_hash_fields_shows_them_at_the_top_as_glance_has_them() {
        let layout = ImageLayout {
            lift_hash_fields: true,
        };
        let fields = show(&image("cirros", 1), false, layout);
        let names = names(&fields);
        for name in HASH_FIELDS {
            assert!(names.contains(&name), "{name}");
        }
        let properties = &fields.iter().find(|(n, _)| *n == "properties").unwrap().1;
        assert_eq!(properties.human(), "os_distro='cirros', stores='fs'");
    }

    #[test]
    fn sort_compares_text_as_osc_does_and_names_bad_keys() {
        let mut images = vec![image("b", 196_616), image("a", 1_048_576), image("c", 2)];
        sort(&mut images, "name:desc").unwrap();
        let names: Vec<_> = images.iter().map(|i| i.name.clone().unwrap()).collect();
        assert_eq!(names, ["c", "b", "a"]);
        sort(&mut images, "size").unwrap();
        let names: Vec<_> = images.iter().map(|i| i.name.clone().unwrap()).collect();
        assert_eq!(names, ["a", "b", "c"], "'1048576' < '196616' < '2' as text");
        let err = sort(&mut images, "name:up").unwrap_err().to_string();
        assert!(err.contains("'up' is not a valid sort direction"), "{err}");
        let err = sort(&mut images, "nope").unwrap_err().to_string();
        assert!(err.contains("\"nope\""), "{err}");
    }

    #[test]
    fn property_filters_match_fields_and_properties_exactly() {
        let i = image("cirros", 1);
        assert!(matches_property(&i, "os_distro", "cirros"));
        assert!(matches_property(&i, "name", "cirros"));
        assert!(!matches_property(&i, "os_distro", "cirro"));
        assert!(
            !matches_property(&i, "min_disk", "0"),
            "not a string, as in osc"
        );
        assert!(!matches_property(&i, "nope", "x"));
    }
}
