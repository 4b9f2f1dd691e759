//! The hostile corpus's format (`testdata/hostile/*.yaml`; its README describes it), read in
//! one place for both of its runs: mock-cloud's own test, which sends every case to an
//! embedded cloud, and `cargo xtask conformance`, which sends them to the real services too.
//! It lives here because the conformance tooling may use the mock, never the other way round.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::Value;

/// One request of the corpus and the answer the real service gives it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HostileCase {
    /// What it is; unique in its file.
    pub name: String,
    /// `identity`, `image`, `compute` or `control`: the file's own unless the case says.
    pub service: String,
    /// The HTTP method.
    pub method: String,
    /// The path under the service root; `{var}` is an earlier capture.
    pub path: String,
    /// Who sends it: `admin`, `demo`, `nobody`, `bogus`, or `{var}`, a captured token.
    pub who: String,
    /// Headers in order, a repeated header once for each value.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: CaseBody,
    /// Values to capture from the answer: name -> JSON pointer, or `header:NAME`.
    pub capture: BTreeMap<String, String>,
    /// The real service's status.
    pub expect: u16,
    /// The error body's form, when it is not the service's own.
    pub form: Option<String>,
    /// Why only the mock is sent this case, if so.
    pub mock_only: Option<String>,
}

/// A case's request body.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CaseBody {
    /// None.
    None,
    /// A JSON document (`application/json` unless the case gives a content type).
    Json(Value),
    /// Text, sent as it is (the corpus's `raw`, or its `repeat` spelled out).
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    #[serde(default)]
    service: Option<String>,
    method: String,
    path: String,
    #[serde(rename = "as", default)]
    who: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    json: Option<Value>,
    #[serde(default)]
    raw: Option<String>,
    #[serde(default)]
    repeat: Option<Repeat>,
    #[serde(default)]
    capture: BTreeMap<String, String>,
    expect: u16,
    #[serde(default)]
    form: Option<String>,
    #[serde(default)]
    mock_only: Option<String>,
}

/// A header sent once, or repeated.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// A huge body: `before`, `text` `times` times, `after`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Repeat {
    #[serde(default)]
    before: String,
    text: String,
    times: usize,
    #[serde(default)]
    after: String,
}

/// The cases of one corpus file, in order; an error names the file (and the case).
pub fn load(path: &Path) -> anyhow::Result<Vec<HostileCase>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let entries: Vec<Entry> =
        serde_norway::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let file_service = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    entries
        .into_iter()
        .map(|entry| {
            let body = match (entry.json, entry.raw, entry.repeat) {
                (Some(json), None, None) => CaseBody::Json(json),
                (None, Some(raw), None) => CaseBody::Text(raw),
                (None, None, Some(r)) => {
                    CaseBody::Text(format!("{}{}{}", r.before, r.text.repeat(r.times), r.after))
                }
                (None, None, None) => CaseBody::None,
                _ => bail!(
                    "{}: {}: give one of json, raw and repeat",
                    path.display(),
                    entry.name
                ),
            };
            let headers = entry
                .headers
                .into_iter()
                .flat_map(|(name, value)| {
                    let values = match value {
                        OneOrMany::One(v) => vec![v],
                        OneOrMany::Many(vs) => vs,
                    };
                    values.into_iter().map(move |v| (name.clone(), v))
                })
                .collect();
            Ok(HostileCase {
                name: entry.name,
                service: entry.service.unwrap_or_else(|| file_service.clone()),
                method: entry.method,
                path: entry.path,
                who: entry.who.unwrap_or_else(|| "admin".to_owned()),
                headers,
                body,
                capture: entry.capture,
                expect: entry.expect,
                form: entry.form,
                mock_only: entry.mock_only,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_reads_with_its_defaults_and_a_bad_one_names_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("image.yaml");
        std::fs::write(
            &path,
            "- {name: a, method: GET, path: /v2, headers: {X-A: [one, two]}, expect: 200}\n\
             - {name: b, service: control, method: POST, path: /x, as: demo,\n   \
                repeat: {text: ab, times: 2, after: '!'}, expect: 413, mock_only: why}\n",
        )
        .unwrap();
        let cases = load(&path).unwrap();
        assert_eq!(cases[0].service, "image");
        assert_eq!(cases[0].who, "admin");
        assert_eq!(
            cases[0].headers,
            [("X-A".into(), "one".into()), ("X-A".into(), "two".into())]
        );
        assert_eq!(cases[0].body, CaseBody::None);
        assert_eq!(cases[1].service, "control");
        assert_eq!(cases[1].body, CaseBody::Text("abab!".into()));
        assert_eq!(cases[1].mock_only.as_deref(), Some("why"));
        std::fs::write(
            &path,
            "- {name: both, method: GET, path: /, json: {}, raw: x, expect: 400}\n",
        )
        .unwrap();
        let err = format!("{:#}", load(&path).unwrap_err());
        assert!(err.contains("image.yaml") && err.contains("both"), "{err}");
    }
}
