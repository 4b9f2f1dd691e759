//! Finding and reading clouds.yaml, secure.yaml and clouds-public.yaml.
//!
//! Each kind is searched for on its own, as openstacksdk does: its `OS_CLIENT_*_FILE`
//! variable first, then every search folder in order, each as `.yaml`, `.yml`, `.json`; the
//! first file that exists wins, so a secure.yaml in `~/.config/openstack` completes a
//! clouds.yaml in the current folder.

use std::path::{Path, PathBuf};

use serde_norway::{Mapping, Value};

use super::ConfigSource;
use super::layer::kind;
use super::origin::{FileKind, FileRef};

/// Suffixes tried in each folder, in order.
const SUFFIXES: &[&str] = &["yaml", "yml", "json"];

/// A file's clouds, by name in file order, each still raw: a cloud's keys are typed only
/// when it is loaded, so a mistake in one cloud does not stop another from loading.
#[derive(Debug)]
pub(crate) struct CloudsFile {
    pub(crate) file: FileRef,
    pub(crate) clouds: Vec<(String, Mapping)>,
    /// Whether the top-level `clouds` (or `public-clouds`) key was there at all.
    pub(crate) has_clouds_key: bool,
}

impl CloudsFile {
    /// A cloud's raw mapping.
    pub(crate) fn cloud(&self, name: &str) -> Option<&Mapping> {
        self.clouds.iter().find(|(n, _)| n == name).map(|(_, m)| m)
    }

    /// The names, in file order.
    pub(crate) fn names(&self) -> Vec<&str> {
        self.clouds.iter().map(|(n, _)| n.as_str()).collect()
    }
}

/// The three files, each found or not.
#[derive(Debug)]
pub(crate) struct Files {
    pub(crate) clouds: Option<CloudsFile>,
    pub(crate) secure: Option<CloudsFile>,
    pub(crate) public: Option<CloudsFile>,
    /// The folders searched, for "not found" messages.
    pub(crate) searched: Vec<PathBuf>,
}

impl Files {
    /// Finds and parses each kind of file, and checks that secure.yaml only completes
    /// clouds that clouds.yaml defines.
    pub(crate) fn find(source: &ConfigSource) -> crate::Result<Self> {
        let files = Self {
            clouds: read(source, FileKind::Clouds)?,
            secure: read(source, FileKind::Secure)?,
            public: read(source, FileKind::Public)?,
            searched: source
                .search_dirs()
                .into_iter()
                .map(Path::to_owned)
                .collect(),
        };
        if let Some(secure) = &files.secure {
            for name in secure.names() {
                let known = files
                    .clouds
                    .as_ref()
                    .is_some_and(|c| c.cloud(name).is_some());
                if !known {
                    let problem = match &files.clouds {
                        Some(clouds) => format!("not defined in {}", clouds.file),
                        None => format!("not defined: {}", files.not_found(FileKind::Clouds)),
                    };
                    return Err(secure.file.error(format!("cloud \"{name}\": {problem}")));
                }
            }
        }
        Ok(files)
    }

    /// "no clouds.yaml, clouds.yml or clouds.json in /a, /b".
    pub(crate) fn not_found(&self, kind: FileKind) -> String {
        let names: Vec<String> = SUFFIXES
            .iter()
            .map(|s| format!("{}.{s}", kind.stem()))
            .collect();
        let dirs: Vec<String> = self
            .searched
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        format!(
            "no {} or {} in {}",
            names[..names.len() - 1].join(", "),
            names[names.len() - 1],
            if dirs.is_empty() {
                "any folder (none configured)".to_owned()
            } else {
                dirs.join(", ")
            }
        )
    }
}

/// The file of this kind that wins, if any.
fn locate(source: &ConfigSource, kind: FileKind) -> crate::Result<Option<PathBuf>> {
    if let Some(var) = kind.override_var()
        && let Some(named) = source.var(var)
    {
        // A relative name is relative to the current folder, as for openstacksdk.
        let path = match &source.current_dir {
            Some(cwd) => cwd.join(named),
            None => PathBuf::from(named),
        };
        if path.is_file() {
            return Ok(Some(path));
        }
        return Err(crate::Error::config(format!(
            "{var} names {}, which is not a file",
            path.display()
        )));
    }
    for dir in source.search_dirs() {
        for suffix in SUFFIXES {
            let path = dir.join(format!("{}.{suffix}", kind.stem()));
            if path.is_file() {
                return Ok(Some(path));
            }
        }
    }
    Ok(None)
}

/// Finds, reads and parses the file of this kind.
fn read(source: &ConfigSource, kind: FileKind) -> crate::Result<Option<CloudsFile>> {
    let Some(path) = locate(source, kind)? else {
        return Ok(None);
    };
    let file = FileRef { kind, path };
    let text = std::fs::read_to_string(&file.path)
        .map_err(|e| file.error(format!("cannot be read: {e}")))?;
    parse(file, &text).map(Some)
}

/// Parses a file's text: JSON for `.json`, YAML (with `<<` merge keys) otherwise.
pub(crate) fn parse(file: FileRef, text: &str) -> crate::Result<CloudsFile> {
    let is_json = file.path.extension().is_some_and(|e| e == "json");
    let top: Value = if is_json {
        serde_json::from_str(text).map_err(|e| file.error(format!("invalid JSON: {e}")))?
    } else {
        let mut value: Value =
            serde_norway::from_str(text).map_err(|e| file.error(format!("invalid YAML: {e}")))?;
        value
            .apply_merge()
            .map_err(|e| file.error(format!("invalid YAML merge (<<): {e}")))?;
        value
    };
    let top = match top {
        Value::Null => Mapping::new(),
        Value::Mapping(map) => map,
        other => {
            return Err(file.error(format!(
                "expected a mapping at the top level, found {}",
                kind(&other)
            )));
        }
    };
    let key = file.kind.clouds_key();
    let (entries, has_clouds_key) = match top.get(key) {
        None => (Mapping::new(), false),
        Some(Value::Null) => (Mapping::new(), true),
        Some(Value::Mapping(map)) => (map.clone(), true),
        Some(other) => {
            return Err(file.error(format!(
                "key \"{key}\": expected a mapping of clouds by name, found {}",
                kind(other)
            )));
        }
    };
    let mut clouds = Vec::with_capacity(entries.len());
    for (name, cloud) in entries {
        let name = match name {
            Value::String(name) => name,
            other => {
                return Err(file.error(format!(
                    "key \"{key}\": a cloud's name must be a string, found {}",
                    kind(&other)
                )));
            }
        };
        let cloud = match cloud {
            Value::Null => Mapping::new(),
            Value::Mapping(map) => map,
            other => {
                return Err(file.error(format!(
                    "cloud \"{name}\": expected a mapping of settings, found {}",
                    kind(&other)
                )));
            }
        };
        clouds.push((name, cloud));
    }
    Ok(CloudsFile {
        file,
        clouds,
        has_clouds_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str) -> FileRef {
        FileRef {
            kind: FileKind::Clouds,
            path: PathBuf::from(format!("/x/{name}")),
        }
    }

    #[test]
    fn yaml_merge_keys_are_applied() {
        let text = "base: &base {region_name: R1}\nclouds:\n  a:\n    <<: *base\n    interface: internal\n";
        let parsed = parse(file("clouds.yaml"), text).unwrap();
        let a = parsed.cloud("a").unwrap();
        assert_eq!(a.get("region_name").and_then(Value::as_str), Some("R1"));
    }

    #[test]
    fn json_is_parsed_as_json() {
        let parsed = parse(file("clouds.json"), r#"{"clouds": {"a": {}, "b": null}}"#).unwrap();
        assert_eq!(parsed.names(), ["a", "b"]);
        let err = parse(file("clouds.json"), "{\"clouds\": }").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("clouds.yaml (/x/clouds.json): invalid JSON: "),
            "{err}"
        );
    }

    #[test]
    fn shape_errors_name_the_file() {
        let err = parse(file("clouds.yaml"), "- a\n- b\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "clouds.yaml (/x/clouds.yaml): expected a mapping at the top level, found a list"
        );
        let err = parse(file("clouds.yaml"), "clouds:\n  a: just-text\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "clouds.yaml (/x/clouds.yaml): cloud \"a\": expected a mapping of settings, found a string"
        );
        let empty = parse(file("clouds.yaml"), "").unwrap();
        assert!(empty.clouds.is_empty() && !empty.has_clouds_key);
    }
}
