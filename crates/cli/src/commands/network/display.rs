//! How openstackclient shows a Neutron resource: every attribute openstacksdk knows, in
//! its order, each through its column formatter (`_formatters` in
//! `openstackclient/network/v2/*.py`). The network, subnet, port and router commands share it.

use anyhow::{Result, bail};
use serde::Serialize;
use serde_json::Value;

use crate::output::{Cell, python_str};

/// One of osc's formattable columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    /// No formatter: the value as it came.
    Plain,
    /// `ListColumn`: sorted and joined with `, ` in tables.
    List,
    /// `UnsortedListColumn` (a subnet's DNS servers): joined in order.
    UnsortedList,
    /// `AdminStateColumn`: `UP` or `DOWN`.
    AdminState,
    /// `RouterExternalColumn`: `External` or `Internal`.
    RouterExternal,
    /// `DictColumn`: `k='v', k2='v2'`.
    Dict,
    /// `ListDictColumn`: one `k='v', ...` line per item.
    ListDict,
    /// `RouterInfoColumn`: Python's `json.dumps`.
    Json,
    /// `AllocationPoolsColumn`: `start-end,start-end`.
    Pools,
    /// `HostRoutesColumn` and `RoutesColumn`: routes with `nexthop` shown as `gateway`.
    Routes,
    /// `SubPortColumn`: a port's trunk sub-ports as a `ListDictColumn`.
    SubPorts,
}

/// One shown field: the name osc prints, the key Neutron sends (`None`: an attribute
/// openstacksdk lists but never fills, shown empty), and its formatter.
pub type Field = (&'static str, Option<&'static str>, Fmt);

/// A resource as Neutron sent it, back to its wire form (the models keep every field).
pub fn wire(resource: &impl Serialize) -> Value {
    serde_json::to_value(resource).unwrap_or(Value::Null)
}

/// The fields of `doc` (`wire` of a resource) as osc's show prints them.
pub fn show(doc: &Value, fields: &[Field]) -> Vec<(&'static str, Cell)> {
    fields
        .iter()
        .map(|&(name, key, fmt)| {
            let cell = match key {
                Some(key) => cell(doc.get(key).unwrap_or(&Value::Null), fmt),
                None => Cell::str(""),
            };
            (name, cell)
        })
        .collect()
}

/// The cells of a list row: `keys` looked up in `doc`, each with its formatter.
pub fn row(doc: &Value, columns: &[(&str, Fmt)]) -> Vec<Cell> {
    columns
        .iter()
        .map(|&(key, fmt)| cell(doc.get(key).unwrap_or(&Value::Null), fmt))
        .collect()
}

/// One value through one formatter.
pub fn cell(value: &Value, fmt: Fmt) -> Cell {
    let items = || value.as_array().cloned().unwrap_or_default();
    match fmt {
        Fmt::Plain => Cell::Plain(value.clone()),
        Fmt::List => Cell::List(items().iter().map(python_str).collect()),
        Fmt::UnsortedList => Cell::Formatted {
            human: items()
                .iter()
                .map(python_str)
                .collect::<Vec<_>>()
                .join(", "),
            machine: Value::Array(items()),
        },
        Fmt::AdminState => Cell::Formatted {
            human: if truthy(value) { "UP" } else { "DOWN" }.into(),
            machine: value.clone(),
        },
        Fmt::RouterExternal => Cell::Formatted {
            human: if truthy(value) {
                "External"
            } else {
                "Internal"
            }
            .into(),
            machine: value.clone(),
        },
        Fmt::Dict => Cell::Formatted {
            human: match value {
                Value::Object(_) => format_dict(value, None),
                _ => "None".into(),
            },
            machine: match value {
                Value::Object(_) => value.clone(),
                _ => Value::Object(serde_json::Map::new()),
            },
        },
        Fmt::ListDict => list_of_dicts(items()),
        Fmt::SubPorts => {
            let ports = value.get("sub_ports").unwrap_or(value);
            list_of_dicts(ports.as_array().cloned().unwrap_or_default())
        }
        Fmt::Json => Cell::Formatted {
            human: py_json(value),
            machine: value.clone(),
        },
        Fmt::Pools => Cell::Formatted {
            human: items()
                .iter()
                .map(|pool| {
                    let part = |k: &str| pool.get(k).map(python_str).unwrap_or_default();
                    format!("{}-{}", part("start"), part("end"))
                })
                .collect::<Vec<_>>()
                .join(","),
            machine: value.clone(),
        },
        Fmt::Routes => {
            let shown: Vec<String> = items()
                .iter()
                .map(|route| {
                    let mut route = route.clone();
                    if let Some(map) = route.as_object_mut()
                        && let Some(hop) = map.remove("nexthop")
                    {
                        map.insert("gateway".into(), hop);
                    }
                    format_dict(&route, None)
                })
                .collect();
            Cell::Formatted {
                human: shown.join("\n"),
                machine: value.clone(),
            }
        }
    }
}

fn list_of_dicts(items: Vec<Value>) -> Cell {
    Cell::Formatted {
        human: items
            .iter()
            .map(|d| format_dict(d, None))
            .collect::<Vec<_>>()
            .join("\n"),
        machine: Value::Array(items),
    }
}

/// Python's truth of a value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// osc_lib's `format_dict`: keys sorted, nested dicts flattened as `outer.inner='v'`, a null
/// shown as `k=`.
fn format_dict(value: &Value, prefix: Option<&str>) -> String {
    let Some(map) = value.as_object() else {
        return python_str(value);
    };
    let mut parts = Vec::new();
    for (k, v) in map {
        let key = match prefix {
            Some(p) => format!("{p}.{k}"),
            None => k.clone(),
        };
        match v {
            Value::Object(_) => parts.push(format_dict(v, Some(&key))),
            Value::Null => parts.push(format!("{key}=")),
            other => parts.push(format!("{key}='{}'", python_str(other))),
        }
    }
    parts.join(", ")
}

/// Python's `json.dumps` with its defaults.
pub fn py_json(value: &Value) -> String {
    crate::output::python_json_dumps(value)
}

/// `key=value,key=value` (osc's `MultiKeyValueAction`): the pairs, every key one of `keys`
/// and every key of `required` present.
pub fn parse_pairs(
    flag: &str,
    text: &str,
    keys: &[&str],
    required: &[&str],
) -> Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for part in text.split(',') {
        let Some((k, v)) = part.split_once('=') else {
            bail!("{flag}: expected key=value pairs separated by commas, got {text:?}");
        };
        if !keys.contains(&k) {
            bail!(
                "{flag}: invalid key {k:?} in {text:?} (valid keys: {})",
                keys.join(", ")
            );
        }
        pairs.push((k.to_owned(), v.to_owned()));
    }
    for key in required {
        if !pairs.iter().any(|(k, _)| k == key) {
            bail!("{flag}: {key}= is required in {text:?}");
        }
    }
    Ok(pairs)
}

/// The value of `key` in parsed pairs.
pub fn pair<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn formatters_print_what_osc_prints() {
        let gw = json!({"enable_snat": true, "external_fixed_ips": [{"ip_address": "127.42.0.2", "subnet_id": "s"}], "network_id": "n"});
        assert_eq!(
            cell(&gw, Fmt::Json).human(),
            r#"{"enable_snat": true, "external_fixed_ips": [{"ip_address": "127.42.0.2", "subnet_id": "s"}], "network_id": "n"}"#
        );
        assert_eq!(cell(&Value::Null, Fmt::Json).human(), "null");
        let ips = json!([{"ip_address": "10.0.0.3", "subnet_id": "s"}, {"ip_address": "10.0.0.4", "subnet_id": "s"}]);
        assert_eq!(
            cell(&ips, Fmt::ListDict).human(),
            "ip_address='10.0.0.3', subnet_id='s'\nip_address='10.0.0.4', subnet_id='s'"
        );
        assert_eq!(
            cell(&json!({"a": {"b": 1}, "c": null, "d": true}), Fmt::Dict).human(),
            "a.b='1', c=, d='True'"
        );
        assert_eq!(cell(&Value::Null, Fmt::AdminState).human(), "DOWN");
        assert_eq!(cell(&json!(true), Fmt::RouterExternal).human(), "External");
        let pools = json!([{"end": "10.0.0.254", "start": "10.0.0.2"}]);
        assert_eq!(cell(&pools, Fmt::Pools).human(), "10.0.0.2-10.0.0.254");
        let routes = json!([{"destination": "10.1.0.0/24", "nexthop": "10.0.0.1"}]);
        assert_eq!(
            cell(&routes, Fmt::Routes).human(),
            "destination='10.1.0.0/24', gateway='10.0.0.1'"
        );
        assert_eq!(cell(&json!(["b", "a"]), Fmt::UnsortedList).human(), "b, a");
        assert_eq!(cell(&json!(["b", "a"]), Fmt::List).human(), "a, b");
        assert_eq!(py_json(&json!("é\"")), r#""\u00e9\"""#);
    }

    #[test]
    fn pairs_name_the_flag_and_the_key() {
        let keys = ["subnet", "ip-address"];
        let pairs = parse_pairs("--fixed-ip", "subnet=s,ip-address=10.0.0.9", &keys, &[]).unwrap();
        assert_eq!(pair(&pairs, "ip-address"), Some("10.0.0.9"));
        let err = parse_pairs("--fixed-ip", "subnet=s,ip=1", &keys, &[]).unwrap_err();
        assert!(err.to_string().contains("invalid key \"ip\""), "{err}");
        let err = parse_pairs(
            "--allocation-pool",
            "start=1",
            &["start", "end"],
            &["start", "end"],
        )
        .unwrap_err();
        assert!(err.to_string().contains("end= is required"), "{err}");
        let err = parse_pairs("--fixed-ip", "nonsense", &keys, &[]).unwrap_err();
        assert!(err.to_string().contains("--fixed-ip"), "{err}");
    }
}
