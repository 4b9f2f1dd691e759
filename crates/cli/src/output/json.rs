//! JSON as Python's `json.dump` writes it, which scripts compare as text: keys in the
//! command's order, `indent=2` or `--noindent`, non-ASCII escaped.

use std::fmt::Write as _;

use serde_json::Value;

use super::Options;

/// A JSON object with keys in the given order (serde_json's map is sorted, so build text).
pub fn ordered_object(names: &[&str], values: impl Iterator<Item = Value>) -> Value {
    let pairs: Vec<Value> = names
        .iter()
        .zip(values)
        .map(|(n, v)| Value::Array(vec![Value::String((*n).to_owned()), v]))
        .collect();
    // Marked as an ordered object for `json_text`.
    let mut wrapper = serde_json::Map::new();
    wrapper.insert(ORDERED.to_owned(), Value::Array(pairs));
    Value::Object(wrapper)
}

const ORDERED: &str = "\u{0}ordered";

/// `v` with every object made by [`ordered_object`] turned back into a plain (sorted) one.
pub fn unordered(v: &Value) -> Value {
    match v {
        Value::Object(map) => match map.get(ORDERED) {
            Some(Value::Array(pairs)) if map.len() == 1 => Value::Object(
                pairs
                    .iter()
                    .filter_map(|p| match p {
                        Value::Array(kv) if kv.len() == 2 => Some((
                            kv[0].as_str().unwrap_or_default().to_owned(),
                            unordered(&kv[1]),
                        )),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => Value::Object(map.iter().map(|(k, v)| (k.clone(), unordered(v))).collect()),
        },
        Value::Array(items) => Value::Array(items.iter().map(unordered).collect()),
        other => other.clone(),
    }
}

/// JSON as Python's `json.dump(indent=2)` writes it (or compact `, ` / `: ` with `--noindent`).
pub fn json_text(v: &Value, opts: &Options) -> String {
    let mut out = String::new();
    write_json(&mut out, v, if opts.noindent { None } else { Some(2) }, 0);
    out.push('\n');
    out
}

fn write_json(out: &mut String, v: &Value, indent: Option<usize>, depth: usize) {
    let entries: Option<Vec<(String, Value)>> = match v {
        Value::Object(map) => match map.get(ORDERED) {
            Some(Value::Array(pairs)) if map.len() == 1 => Some(
                pairs
                    .iter()
                    .filter_map(|p| match p {
                        Value::Array(kv) if kv.len() == 2 => {
                            Some((kv[0].as_str().unwrap_or_default().to_owned(), kv[1].clone()))
                        }
                        _ => None,
                    })
                    .collect(),
            ),
            _ => Some(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        },
        _ => None,
    };
    let newline = |out: &mut String, depth: usize| {
        if let Some(n) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(n * depth));
        }
    };
    let sep = if indent.is_some() { "," } else { ", " };
    match (v, entries) {
        (_, Some(entries)) => {
            if entries.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (k, val)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                newline(out, depth + 1);
                out.push_str(&python_json_string(k));
                out.push_str(": ");
                write_json(out, val, indent, depth + 1);
            }
            newline(out, depth);
            out.push('}');
        }
        (Value::Array(items), None) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                newline(out, depth + 1);
                write_json(out, item, indent, depth + 1);
            }
            newline(out, depth);
            out.push(']');
        }
        (Value::String(s), None) => out.push_str(&python_json_string(s)),
        (other, None) => out.push_str(&other.to_string()),
    }
}

/// A JSON string as Python's json module writes it (`ensure_ascii=True`).
fn python_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
