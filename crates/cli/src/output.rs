//! Output in python-openstackclient's formats (cliff's formatters): `table`, `json`, `yaml`,
//! `value`, `csv` and `shell`, so scripts written against `openstack -f ...` keep working.
//!
//! A [`Cell`] carries what cliff calls a formattable column: a human rendering for tables
//! and a machine value for the other formats. Plain values render as Python would print
//! them (`None`, `True`), because that is what existing scripts parse.
//!
//! Choosing columns and the small formats are here; the table is in `output/table.rs`, JSON
//! in `output/json.rs` and YAML in `output/yaml.rs`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use self::json::{json_text, ordered_object};
use self::table::{list_table, table};

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A plain value: string, number, boolean or null.
    Plain(Value),
    /// A list shown as `a, b` in tables (osc's `ListColumn`), a list elsewhere.
    List(Vec<String>),
    /// A mapping shown as `k='v', k2='v2'` in tables (osc's `DictColumn`), a map elsewhere:
    /// in its own order in json and `value`, sorted in yaml and tables, as osc prints a dict.
    Dict(Vec<(String, Value)>),
    /// A value with its own table rendering (osc's other formattable columns: a power
    /// state shown as `Running` but carried as `1`, addresses shown as `net=10.0.0.3`).
    Formatted {
        /// What tables show.
        human: String,
        /// What the other formats carry.
        machine: Value,
    },
    /// A formatted value whose Python `str()` keeps an order a JSON map cannot (a dict osc
    /// builds by hand, keys in insertion order): `value`, `csv` and `shell` print `repr`.
    Ordered {
        /// What tables show.
        human: String,
        /// What json carries, objects made with [`ordered`] keeping their order (yaml
        /// sorts them, as PyYAML does).
        machine: Value,
        /// What `value`, `csv` and `shell` print.
        repr: String,
    },
}

impl Cell {
    /// A string cell.
    pub fn str(s: impl Into<String>) -> Cell {
        Cell::Plain(Value::String(s.into()))
    }

    /// An optional string cell (`None` when absent).
    pub fn opt(s: Option<impl Into<String>>) -> Cell {
        Cell::Plain(s.map_or(Value::Null, |s| Value::String(s.into())))
    }

    /// osc's `ListDictColumn`: each dict as `k='v', ...` on a line of its own in tables, the
    /// list of dicts, keys in their order, elsewhere.
    pub fn list_of_dicts(dicts: &[Vec<(String, Value)>]) -> Cell {
        let human = dicts
            .iter()
            .map(|d| format_dict(d))
            .collect::<Vec<_>>()
            .join("\n");
        let machine = Value::Array(
            dicts
                .iter()
                .map(|d| {
                    let names: Vec<&str> = d.iter().map(|(k, _)| k.as_str()).collect();
                    ordered_object(&names, d.iter().map(|(_, v)| v.clone()))
                })
                .collect(),
        );
        let repr = format!(
            "[{}]",
            dicts
                .iter()
                .map(|d| python_repr_pairs(d))
                .collect::<Vec<_>>()
                .join(", ")
        );
        Cell::Ordered {
            human,
            machine,
            repr,
        }
    }

    /// A cell from any JSON value.
    pub fn json(v: impl Into<Value>) -> Cell {
        Cell::Plain(v.into())
    }

    /// What tables show.
    pub fn human(&self) -> String {
        match self {
            Cell::Plain(v) => python_str(v),
            Cell::List(items) => {
                let mut sorted = items.clone();
                sorted.sort();
                sorted.join(", ")
            }
            Cell::Dict(pairs) => format_dict(pairs),
            Cell::Formatted { human, .. } | Cell::Ordered { human, .. } => human.clone(),
        }
    }

    /// What json and yaml carry.
    pub fn machine(&self) -> Value {
        match self {
            Cell::Plain(v) => v.clone(),
            Cell::List(items) => Value::Array(items.iter().cloned().map(Value::String).collect()),
            Cell::Dict(pairs) => Value::Object(pairs.iter().cloned().collect()),
            Cell::Formatted { machine, .. } => machine.clone(),
            Cell::Ordered { machine, .. } => self::json::unordered(machine),
        }
    }

    /// What json carries: the machine value, a mapping's keys in its own order (Python's
    /// `json.dump` keeps a dict's insertion order, where YAML's dump sorts them).
    fn json_value(&self) -> Value {
        match self {
            Cell::Dict(pairs) => {
                let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
                ordered_object(&names, pairs.iter().map(|(_, v)| v.clone()))
            }
            Cell::Ordered { machine, .. } => machine.clone(),
            other => other.machine(),
        }
    }

    /// What `value`, `csv` and `shell` print: Python's `str()` of the machine value.
    fn machine_str(&self) -> String {
        match self {
            Cell::Plain(v) => python_str(v),
            Cell::List(items) => python_repr(&Value::Array(
                items.iter().cloned().map(Value::String).collect(),
            )),
            Cell::Dict(pairs) => python_repr_pairs(pairs),
            Cell::Formatted { machine, .. } => python_str(machine),
            Cell::Ordered { repr, .. } => repr.clone(),
        }
    }

    /// Tables right-align numbers (by the type of the first row's value, as cliff does).
    fn right_aligned(&self) -> bool {
        matches!(self, Cell::Plain(Value::Number(_)))
    }
}

/// `k='v', k2='v2'`, keys sorted, as osc_lib's `format_dict`.
fn format_dict(pairs: &[(String, Value)]) -> String {
    format_dict_under(pairs, None)
}

/// osc_lib's `format_dict`: keys sorted, a nested dict flattened as `outer.inner='v'`, a
/// null as `key=` (no quotes).
fn format_dict_under(pairs: &[(String, Value)], prefix: Option<&str>) -> String {
    let mut sorted: Vec<&(String, Value)> = pairs.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
        .iter()
        .map(|(k, v)| {
            let key = prefix.map_or_else(|| k.clone(), |p| format!("{p}.{k}"));
            match v {
                Value::Object(map) => {
                    let inner: Vec<(String, Value)> =
                        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                    format_dict_under(&inner, Some(&key))
                }
                Value::Null => format!("{key}="),
                Value::String(s) => format!("{key}='{s}'"),
                other => format!("{key}='{}'", python_str(other)),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Python's `str()` of a JSON value.
pub fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => python_repr(other),
    }
}

/// Python's `repr()` of a JSON value (what `str()` of a list or dict prints).
pub fn python_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => python_repr_str(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let pairs: Vec<(String, Value)> =
                map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            python_repr_pairs(&pairs)
        }
    }
}

fn python_repr_pairs(pairs: &[(String, Value)]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}: {}", python_repr_str(k), python_repr(v)))
        .collect();
    format!("{{{}}}", inner.join(", "))
}

/// Python's string repr: single quotes unless the text has a `'` and no `"`.
fn python_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `json.dumps(v)` with its defaults (`, ` and `: `, non-ASCII escaped), as osc's
/// `RouterInfoColumn` shows a value; keys in the order of an [`ordered`] object.
pub fn python_json_dumps(v: &Value) -> String {
    let opts = Options {
        noindent: true,
        ..Options::default()
    };
    json_text(v, &opts).trim_end_matches('\n').to_owned()
}

/// An object whose keys keep this order in [`python_json_dumps`] and the JSON formats.
pub fn ordered(names: &[&str], values: impl Iterator<Item = Value>) -> Value {
    ordered_object(names, values)
}

/// The output format (`-f`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Boxed table (the default).
    Table,
    /// JSON, indented unless `--noindent`.
    Json,
    /// YAML.
    Yaml,
    /// Values only, space-separated.
    Value,
    /// CSV (lists only).
    Csv,
    /// `name="value"` lines (single objects only).
    Shell,
}

/// CSV quoting (`--quote`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quote {
    /// Quote every field.
    All,
    /// Quote only when needed.
    Minimal,
    /// Quote everything that is not a number (the default).
    #[default]
    Nonnumeric,
    /// Never quote; escape instead.
    None,
}

/// The formatting options of every list and show command.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `-c COLUMN` (repeatable): only these columns (in the command's order, as cliff).
    pub columns: Vec<String>,
    /// `--max-width N`: wrap table cells to fit N characters.
    pub max_width: usize,
    /// `--fit-width`: fit the table to the terminal.
    pub fit_width: bool,
    /// `--print-empty`: print an empty table's header.
    pub print_empty: bool,
    /// `--noindent` for JSON.
    pub noindent: bool,
    /// `--quote` for CSV.
    pub quote: Quote,
    /// `--prefix` for shell.
    pub prefix: String,
    /// `--variable` (repeatable) for shell.
    pub variables: Vec<String>,
    /// The terminal width, when stdout is a terminal (for `--fit-width` and tables).
    pub terminal_width: Option<usize>,
}

/// An error in the formatting options, naming the flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FormatError {}

/// Keeps the columns named by `-c`, as cliff does: in the command's own order, names it
/// does not know ignored, and an error (listing the valid ones) only when none is known.
fn select(columns: &[&str], wanted: &[String]) -> Result<Vec<usize>, FormatError> {
    if wanted.is_empty() {
        return Ok((0..columns.len()).collect());
    }
    let keep: Vec<usize> = (0..columns.len())
        .filter(|&i| wanted.iter().any(|w| w == columns[i]))
        .collect();
    if keep.is_empty() {
        // cliff's words: the names as a Python list, the columns as a tuple.
        let list: Vec<String> = wanted.iter().map(|w| python_repr_str(w)).collect();
        let tuple: Vec<String> = columns.iter().map(|c| python_repr_str(c)).collect();
        let tuple = match tuple.as_slice() {
            [one] => format!("({one},)"),
            many => format!("({})", many.join(", ")),
        };
        return Err(FormatError(format!(
            "No recognized column names in [{}]. Recognized columns are {tuple}.",
            list.join(", ")
        )));
    }
    Ok(keep)
}

/// Renders a list (`openstack ... list`).
pub fn render_list(
    format: Format,
    columns: &[&str],
    rows: &[Vec<Cell>],
    opts: &Options,
) -> Result<String, FormatError> {
    let keep = select(columns, &opts.columns)?;
    let names: Vec<&str> = keep.iter().map(|&i| columns[i]).collect();
    let rows: Vec<Vec<&Cell>> = rows
        .iter()
        .map(|r| keep.iter().map(|&i| &r[i]).collect())
        .collect();
    Ok(match format {
        Format::Table => list_table(&names, &rows, opts),
        Format::Json => {
            let items: Vec<Value> = rows
                .iter()
                .map(|r| ordered_object(&names, r.iter().map(|c| c.json_value())))
                .collect();
            json_text(&Value::Array(items), opts)
        }
        Format::Yaml => {
            // PyYAML sorts the keys of each item.
            let items: Vec<BTreeMap<&str, Value>> = rows
                .iter()
                .map(|r| {
                    names
                        .iter()
                        .copied()
                        .zip(r.iter().map(|c| c.machine()))
                        .collect()
                })
                .collect();
            yaml_text(&items)
        }
        Format::Value => rows
            .iter()
            .map(|r| {
                let line: Vec<String> = r.iter().map(|c| c.machine_str()).collect();
                line.join(" ") + "\n"
            })
            .collect(),
        Format::Csv => {
            let mut out = csv_line(names.iter().map(|n| (n.to_string(), false)), opts.quote);
            for r in &rows {
                out += &csv_line(
                    r.iter().map(|c| match c {
                        Cell::Plain(Value::Null) => (String::new(), false),
                        Cell::Plain(Value::Number(_) | Value::Bool(_)) => (c.machine_str(), true),
                        _ => (c.machine_str(), false),
                    }),
                    opts.quote,
                );
            }
            out
        }
        Format::Shell => {
            return Err(FormatError(
                "-f shell: only commands that show one item support the shell format".into(),
            ));
        }
    })
}

/// Renders one item (`openstack ... show`): fields and their values.
pub fn render_one(
    format: Format,
    fields: &[(&str, Cell)],
    opts: &Options,
) -> Result<String, FormatError> {
    let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
    let keep = select(&names, &opts.columns)?;
    let fields: Vec<(&str, &Cell)> = keep.iter().map(|&i| (fields[i].0, &fields[i].1)).collect();
    Ok(match format {
        Format::Table => {
            let rows: Vec<Vec<Cell>> = fields
                .iter()
                .map(|(n, c)| vec![Cell::str(*n), Cell::str(c.human())])
                .collect();
            let rows: Vec<Vec<&Cell>> = rows.iter().map(|r| r.iter().collect()).collect();
            let mut o = opts.clone();
            o.print_empty = false;
            table(&["Field", "Value"], &rows, &o, 16)
        }
        Format::Json => json_text(
            &ordered_object(
                &fields.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
                fields.iter().map(|(_, c)| c.json_value()),
            ),
            opts,
        ),
        Format::Yaml => fields
            .iter()
            .map(|(n, c)| {
                let one: BTreeMap<&str, Value> = [(*n, c.machine())].into_iter().collect();
                yaml_text(&one)
            })
            .collect(),
        Format::Value => fields.iter().map(|(_, c)| c.machine_str() + "\n").collect(),
        Format::Shell => {
            let mut out = String::new();
            for (n, c) in &fields {
                let name = n.to_lowercase().replace(' ', "_");
                if !opts.variables.is_empty() && !opts.variables.contains(&name) {
                    continue;
                }
                let name = name.replace([':', '-'], "_");
                let value = c.machine_str().replace('"', "\\\"");
                let _ = writeln!(out, "{}{name}=\"{value}\"", opts.prefix);
            }
            out
        }
        Format::Csv => {
            return Err(FormatError(
                "-f csv: only list commands support the csv format".into(),
            ));
        }
    })
}

fn yaml_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .map(|value| yaml::to_string(&value))
        .unwrap_or_default()
}

/// One CSV line; `numeric` fields are left unquoted in `nonnumeric` mode.
fn csv_line(fields: impl Iterator<Item = (String, bool)>, quote: Quote) -> String {
    let cells: Vec<String> = fields
        .map(|(text, numeric)| {
            let special = text.contains([',', '"', '\n', '\r']);
            let quoted = match quote {
                Quote::All => true,
                Quote::Nonnumeric => !numeric,
                Quote::Minimal => special,
                Quote::None => false,
            };
            if quoted {
                format!("\"{}\"", text.replace('"', "\"\""))
            } else if quote == Quote::None {
                text.replace(',', "\\,").replace('"', "\\\"")
            } else {
                text
            }
        })
        .collect();
    cells.join(",") + "\n"
}

mod json;
mod table;
#[cfg(test)]
mod tests;
mod yaml;
