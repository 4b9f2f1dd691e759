//! Nova's metadata documents as the Python dicts and lists they are in Nova: written as
//! `json.dumps` writes them (`, ` and `: `, non-ASCII escaped), printed as the metadata
//! service's `ec2_md_print` prints them, walked as its `find_path_in_tree` walks them. Keys keep
//! the order Nova inserts them in (serde_json's map would sort them).

use std::fmt::Write as _;

/// A Python value of a metadata document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tree {
    /// `None`.
    Null,
    /// `True` / `False`.
    Bool(bool),
    /// An `int`.
    Int(i64),
    /// A `str`.
    Str(String),
    /// `bytes` (user data).
    Bytes(Vec<u8>),
    /// A `list`.
    List(Vec<Tree>),
    /// A `dict`, in insertion order.
    Map(Vec<(String, Tree)>),
}

impl Tree {
    /// An empty dict.
    pub(crate) fn map() -> Tree {
        Tree::Map(Vec::new())
    }

    /// This dict with `key` set to `value` (replacing an earlier value in its place).
    pub(crate) fn with(mut self, key: &str, value: impl Into<Tree>) -> Tree {
        self.insert(key, value.into());
        self
    }

    /// Sets `key` to `value` in a dict (in its place when it is there already).
    pub(crate) fn insert(&mut self, key: &str, value: Tree) {
        if let Tree::Map(entries) = self {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some((_, old)) => *old = value,
                None => entries.push((key.to_owned(), value)),
            }
        }
    }

    /// Removes `key` from a dict.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Tree> {
        let Tree::Map(entries) = self else {
            return None;
        };
        let index = entries.iter().position(|(k, _)| k == key)?;
        Some(entries.remove(index).1)
    }

    /// The value of `key` in a dict.
    pub(crate) fn get(&self, key: &str) -> Option<&Tree> {
        match self {
            Tree::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A mutable reference to the value of `key` in a dict.
    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Tree> {
        match self {
            Tree::Map(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// `json.dumps(self)` with Python's defaults.
    pub(crate) fn json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Tree::Null => out.push_str("null"),
            Tree::Bool(true) => out.push_str("true"),
            Tree::Bool(false) => out.push_str("false"),
            Tree::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Tree::Str(text) => python_json_string(out, text),
            Tree::Bytes(bytes) => python_json_string(out, &String::from_utf8_lossy(bytes)),
            Tree::List(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Tree::Map(entries) => {
                out.push('{');
                for (index, (key, value)) in entries.iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    python_json_string(out, key);
                    out.push_str(": ");
                    value.write_json(out);
                }
                out.push('}');
            }
        }
    }

    /// What the metadata service answers for this value (`ec2_md_print`): a dict's keys in
    /// sorted order, one a line, a sub-dict's with a trailing `/` (or its `_name`); a list's
    /// items one a line; a scalar as Python's `str` prints it.
    pub(crate) fn md_print(&self) -> Vec<u8> {
        match self {
            Tree::Map(entries) => {
                let mut sorted: Vec<&(String, Tree)> = entries.iter().collect();
                // Python sorts str keys by code point, which is UTF-8's byte order.
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                let lines: Vec<Vec<u8>> = sorted
                    .into_iter()
                    .filter(|(key, _)| key != "_name")
                    .map(|(key, value)| match value {
                        Tree::Map(_) => match value.get("_name") {
                            Some(name) => name.md_print(),
                            None => format!("{key}/").into_bytes(),
                        },
                        _ => key.clone().into_bytes(),
                    })
                    .collect();
                lines.join(&b"\n"[..])
            }
            Tree::List(items) => items
                .iter()
                .map(Tree::md_print)
                .collect::<Vec<_>>()
                .join(&b"\n"[..]),
            Tree::Str(text) => text.clone().into_bytes(),
            Tree::Bytes(bytes) => bytes.clone(),
            Tree::Int(n) => n.to_string().into_bytes(),
            Tree::Bool(true) => b"True".to_vec(),
            Tree::Bool(false) => b"False".to_vec(),
            Tree::Null => b"None".to_vec(),
        }
    }

    /// The value at `tokens` below this one, walking dicts only (`find_path_in_tree`; what
    /// Nova cannot walk it answers 404, or 500 where Python fails on it).
    pub(crate) fn find(&self, tokens: &[&str]) -> Option<&Tree> {
        tokens.iter().try_fold(self, |data, token| data.get(token))
    }
}

/// `s` as Python's `json.dumps` writes a string (`ensure_ascii`: everything outside
/// printable ASCII as `\uXXXX`, by UTF-16 unit).
fn python_json_string(out: &mut String, s: &str) {
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
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

impl From<&str> for Tree {
    fn from(value: &str) -> Self {
        Tree::Str(value.to_owned())
    }
}

impl From<String> for Tree {
    fn from(value: String) -> Self {
        Tree::Str(value)
    }
}

impl From<&String> for Tree {
    fn from(value: &String) -> Self {
        Tree::Str(value.clone())
    }
}

impl From<u32> for Tree {
    fn from(value: u32) -> Self {
        Tree::Int(i64::from(value))
    }
}

impl From<bool> for Tree {
    fn from(value: bool) -> Self {
        Tree::Bool(value)
    }
}

impl From<Vec<Tree>> for Tree {
    fn from(value: Vec<Tree>) -> Self {
        Tree::List(value)
    }
}

impl<T: Into<Tree>> From<Option<T>> for Tree {
    fn from(value: Option<T>) -> Self {
        value.map_or(Tree::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_written_as_python_writes_it() {
        let tree = Tree::map()
            .with("b", "é\"\\\n\u{7f}😀")
            .with(
                "a",
                Tree::List(vec![Tree::Int(1), Tree::Null, Tree::Bool(true)]),
            )
            .with("c", Tree::map());
        assert_eq!(
            tree.json(),
            r#"{"b": "\u00e9\"\\\n\u007f\ud83d\ude00", "a": [1, null, true], "c": {}}"#
        );
    }

    #[test]
    fn printing_follows_ec2_md_print() {
        let keys = Tree::map().with(
            "0",
            Tree::map()
                .with("_name", "0=mykey")
                .with("openssh-key", "ssh-ed25519 AAAA"),
        );
        let tree = Tree::map()
            .with("public-keys", keys.clone())
            .with("hostname", "vm.novalocal")
            .with("ami-launch-index", 0u32)
            .with("local-ipv4", Tree::Null);
        assert_eq!(
            String::from_utf8(tree.md_print()).unwrap(),
            "ami-launch-index\nhostname\nlocal-ipv4\npublic-keys/"
        );
        assert_eq!(keys.md_print(), b"0=mykey");
        assert_eq!(keys.get("0").unwrap().md_print(), b"openssh-key");
        assert_eq!(tree.get("local-ipv4").unwrap().md_print(), b"None");
        assert_eq!(Tree::map().md_print(), b"");
        let groups = Tree::List(vec!["default".into(), "web".into()]);
        assert_eq!(groups.md_print(), b"default\nweb");
        assert_eq!(
            tree.find(&["public-keys", "0", "openssh-key"]),
            Some(&Tree::from("ssh-ed25519 AAAA"))
        );
        assert_eq!(tree.find(&["hostname", "x"]), None);
        assert_eq!(tree.find(&[]), Some(&tree));
    }

    #[test]
    fn keys_keep_their_place() {
        let mut tree = Tree::map().with("x", 1u32).with("y", 2u32).with("x", 3u32);
        assert_eq!(tree.json(), r#"{"x": 3, "y": 2}"#);
        assert_eq!(tree.remove("x"), Some(Tree::Int(3)));
        assert_eq!(tree.remove("x"), None);
        assert_eq!(tree.json(), r#"{"y": 2}"#);
    }
}
