//! YAML as cliff writes it: PyYAML's `safe_dump(data, default_flow_style=False)`.
//!
//! A general YAML library quotes by YAML 1.2 rules, but whoever reads `-f yaml` output most
//! likely reads it with PyYAML, which resolves plain scalars by YAML 1.1. There `on`, `yes`,
//! `2026-11-28T10:00:00Z`, `1:20` and `0x1F` are a bool, a timestamp and numbers, so PyYAML
//! quotes such strings when it writes them, and so does this emitter. Its other choices
//! follow PyYAML too:
//! - block style, with sequences in a mapping not indented;
//! - plain scalars where they are allowed, else single quotes;
//! - double quotes with escapes for control characters, line breaks and non-ASCII text
//!   (PyYAML's `allow_unicode=False`);
//! - plain and single-quoted scalars folded at spaces past column 80.
//!
//! Multi-line strings are double-quoted with `\n`, where PyYAML folds single-quoted lines:
//! the value read back is the same.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

/// Where PyYAML folds long scalars.
const BEST_WIDTH: usize = 80;

/// The document for `value`.
pub fn to_string(value: &Value) -> String {
    let mut emitter = Emitter::default();
    match value {
        Value::Object(map) if !map.is_empty() => emitter.mapping(map, 0, false),
        Value::Array(items) if !items.is_empty() => emitter.sequence(items, 0, false),
        scalar => {
            emitter.scalar(scalar, 0);
            emitter.newline();
        }
    }
    emitter.out
}

#[derive(Default)]
struct Emitter {
    out: String,
    column: usize,
}

impl Emitter {
    fn write(&mut self, text: &str) {
        self.out.push_str(text);
        match text.rfind('\n') {
            Some(at) => self.column = text.len() - at - 1,
            None => self.column += text.chars().count(),
        }
    }

    fn newline(&mut self) {
        self.write("\n");
    }

    fn indent(&mut self, indent: usize) {
        self.write(&" ".repeat(indent));
    }

    /// A block mapping at `indent`; with `inline`, its first key continues the current line
    /// (after a sequence's `- `).
    fn mapping(&mut self, map: &Map<String, Value>, indent: usize, inline: bool) {
        for (i, (key, value)) in map.iter().enumerate() {
            if i > 0 || !inline {
                self.indent(indent);
            }
            self.write(&simple_key(key));
            self.write(":");
            self.value(value, indent);
        }
    }

    /// A block sequence at `indent`; with `inline`, its first item continues the line.
    fn sequence(&mut self, items: &[Value], indent: usize, inline: bool) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 || !inline {
                self.indent(indent);
            }
            self.write("- ");
            match item {
                Value::Object(map) if !map.is_empty() => self.mapping(map, indent + 2, true),
                Value::Array(inner) if !inner.is_empty() => self.sequence(inner, indent + 2, true),
                scalar => {
                    self.scalar(scalar, indent + 2);
                    self.newline();
                }
            }
        }
    }

    /// What follows `key:` in a mapping at `indent`.
    fn value(&mut self, value: &Value, indent: usize) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                self.newline();
                self.mapping(map, indent + 2, false);
            }
            // PyYAML does not indent a sequence that is a mapping's value.
            Value::Array(items) if !items.is_empty() => {
                self.newline();
                self.sequence(items, indent, false);
            }
            scalar => {
                self.write(" ");
                self.scalar(scalar, indent + 2);
                self.newline();
            }
        }
    }

    /// A scalar (or an empty collection, in flow style); folded lines continue at `indent`.
    fn scalar(&mut self, value: &Value, indent: usize) {
        match value {
            Value::Null => self.write("null"),
            Value::Bool(b) => self.write(if *b { "true" } else { "false" }),
            Value::Number(n) => self.write(&number(n)),
            Value::String(s) => match style(s) {
                Style::Plain => self.folded(s, indent, ""),
                Style::SingleQuoted => self.folded(&s.replace('\'', "''"), indent, "'"),
                Style::DoubleQuoted => self.write(&double_quoted(s)),
            },
            Value::Array(_) => self.write("[]"),
            Value::Object(_) => self.write("{}"),
        }
    }

    /// `text` between `quote`s, broken at a single space once the line is past column 80
    /// (PyYAML's rule: the line may end a little past 80, never in a run of spaces).
    fn folded(&mut self, text: &str, indent: usize, quote: &str) {
        self.write(quote);
        let bytes = text.as_bytes();
        let mut start = 0;
        for (at, _) in text.match_indices(' ') {
            // Only a single space strictly inside the text is a break point.
            if at == 0 || at + 1 == text.len() || bytes[at - 1] == b' ' || bytes[at + 1] == b' ' {
                continue;
            }
            if self.column + text[start..at].chars().count() > BEST_WIDTH {
                self.write(&text[start..at]);
                self.newline();
                self.indent(indent);
                start = at + 1;
            }
        }
        self.write(&text[start..]);
        self.write(quote);
    }
}

/// A mapping key: never folded.
fn simple_key(key: &str) -> String {
    match style(key) {
        Style::Plain => key.to_owned(),
        Style::SingleQuoted => format!("'{}'", key.replace('\'', "''")),
        Style::DoubleQuoted => double_quoted(key),
    }
}

/// Python's float repr, as PyYAML writes it (`1.0`, `0.5`, `1.0e+20`, `1.5e-05`, `.inf`).
fn number(n: &serde_json::Number) -> String {
    let Some(f) = n.as_f64().filter(|_| n.is_f64()) else {
        return n.to_string();
    };
    let magnitude = f.abs();
    if magnitude != 0.0 && !(1e-4..1e16).contains(&magnitude) {
        // Python switches to an exponent here, with at least two digits and a sign.
        let text = format!("{f:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_owned()
        } else {
            format!("{mantissa}.0")
        };
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(digits) => ('-', digits),
            None => ('+', exponent),
        };
        return format!("{mantissa}e{sign}{digits:0>2}");
    }
    if f.fract() == 0.0 {
        format!("{f:.1}")
    } else {
        f.to_string()
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
}

/// PyYAML's choice of style for a string in block context.
fn style(s: &str) -> Style {
    if s.chars().any(|c| !(' '..='~').contains(&c)) {
        // Control characters, line breaks and (with allow_unicode=False) non-ASCII text.
        return Style::DoubleQuoted;
    }
    if plain_allowed(s) && !resolves_to_non_string(s) {
        Style::Plain
    } else {
        Style::SingleQuoted
    }
}

/// Whether `s` (printable ASCII) may be written plain in block context: no leading or
/// trailing space, no indicator at its start, no `: ` or ` #` inside.
fn plain_allowed(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if first == b' ' || last == b' ' {
        return false;
    }
    let followed_by_space = |i: usize| bytes.get(i + 1).is_none_or(|&b| b == b' ');
    if b"#,[]{}&*!|>'\"%@`".contains(&first) || (b"?-".contains(&first) && followed_by_space(0)) {
        return false;
    }
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    !bytes.iter().enumerate().any(|(i, &b)| {
        (b == b':' && followed_by_space(i)) || (b == b'#' && i > 0 && bytes[i - 1] == b' ')
    })
}

/// Whether PyYAML's implicit resolvers (YAML 1.1) read the plain scalar `s` as something
/// other than a string: a bool, int, float, null, timestamp, merge key or value key.
fn resolves_to_non_string(s: &str) -> bool {
    static IMPLICIT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            "^(?:",
            // bool
            "yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
            // float
            r"|[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?",
            r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?",
            r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*",
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
            // int
            r"|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+",
            r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
            // null, merge, value
            r"|~|null|Null|NULL|<<|=",
            // timestamp
            r"|[0-9]{4}-[0-9]{2}-[0-9]{2}",
            r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}",
            r"(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?",
            ")$",
        ))
        .expect("the YAML 1.1 implicit resolvers are a valid pattern")
    });
    IMPLICIT.is_match(s)
}

/// A double-quoted scalar with PyYAML's escapes.
fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xff => out.push_str(&format!("\\x{:02X}", u32::from(c))),
            c if u32::from(c) <= 0xffff => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08X}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Each line is what PyYAML 6 writes for `safe_dump({key: value}, default_flow_style=False)`.
    #[test]
    fn strings_are_quoted_where_pyyaml_quotes_them() {
        let cases = [
            ("2026-11-28T10:00:00Z", "'2026-11-28T10:00:00Z'"),
            ("2026-11-28", "'2026-11-28'"),
            ("2026-11-28 10:00:00.123456", "'2026-11-28 10:00:00.123456'"),
            ("yes", "'yes'"),
            ("on", "'on'"),
            ("True", "'True'"),
            ("y", "y"),
            ("1e5", "1e5"),
            ("0x1F", "'0x1F'"),
            ("012", "'012'"),
            ("1:20", "'1:20'"),
            ("1_000", "'1_000'"),
            ("3.14", "'3.14'"),
            (".inf", "'.inf'"),
            ("~", "'~'"),
            ("null", "'null'"),
            ("", "''"),
            (" lead", "' lead'"),
            ("x: y", "'x: y'"),
            ("- a", "'- a'"),
            ("#c", "'#c'"),
            ("=", "'='"),
            ("<<", "'<<'"),
            ("a'b", "a'b"),
            ("10.0.0.5", "10.0.0.5"),
            (
                "3f2a9c1e-0b4d-4c1e-9a57-1d2e3f4a5b6c",
                "3f2a9c1e-0b4d-4c1e-9a57-1d2e3f4a5b6c",
            ),
            ("multi\nline", "\"multi\\nline\""),
            ("tab\there", "\"tab\\there\""),
            ("中文", "\"\\u4E2D\\u6587\""),
            ("café", "\"caf\\xE9\""),
        ];
        for (value, written) in cases {
            assert_eq!(
                to_string(&json!({ "k": value })),
                format!("k: {written}\n"),
                "{value:?}"
            );
        }
    }

    #[test]
    fn long_scalars_fold_past_column_80() {
        let text = "a very long string that goes on and on and on past the eighty column limit \
                    of the emitter for sure yes";
        assert_eq!(
            to_string(&json!({ "aa": text })),
            "aa: a very long string that goes on and on and on past the eighty column limit of\n  \
             the emitter for sure yes\n"
        );
    }

    #[test]
    fn nested_scalars_fold_under_their_mapping() {
        let value = json!([{"a": "x ".repeat(50)}]);
        assert_eq!(
            to_string(&value),
            "- a: 'x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x\n    \
             x x x x x x x x x x x x '\n"
        );
        let value = json!({"a": {"b": format!("{}end", "word ".repeat(30))}});
        assert_eq!(
            to_string(&value),
            "a:\n  b: word word word word word word word word word word word word word word word \
             word\n    word word word word word word word word word word word word word word end\n"
        );
    }

    #[test]
    fn indicators_and_numbers() {
        for (value, written) in [
            ("---x", "'---x'"),
            ("...x", "'...x'"),
            (":x", ":x"),
            ("?x", "?x"),
            ("-x", "-x"),
            ("a #b", "'a #b'"),
            ("a:b", "a:b"),
            ("%x", "'%x'"),
            ("1.0e+20", "'1.0e+20'"),
            ("x ", "'x '"),
        ] {
            assert_eq!(to_string(&json!({ "k": value })), format!("k: {written}\n"));
        }
        assert_eq!(
            to_string(&json!({"j": 0.5, "k": 1e20, "l": -2.0, "m": 7, "n": 1.5e-5})),
            "j: 0.5\nk: 1.0e+20\nl: -2.0\nm: 7\nn: 1.5e-05\n"
        );
    }

    #[test]
    fn block_layout() {
        let value = json!([
            {"ID": "a1b2", "Tags": ["x", "y"], "Properties": {"kernel_id": "k"}, "Empty": {},
             "None": [], "Size": 1.0, "Nested": [[1, 2], {"a": null}]},
        ]);
        assert_eq!(
            to_string(&value),
            "- Empty: {}\n  ID: a1b2\n  Nested:\n  - - 1\n    - 2\n  - a: null\n  None: []\n  \
             Properties:\n    kernel_id: k\n  Size: 1.0\n  Tags:\n  - x\n  - y\n"
        );
    }
}
