//! The hostile corpus (testdata/hostile, whose README gives the format) as differential
//! cases: each request goes to the real service and to the mock, and the real answer must
//! also be the status the corpus records (mock-cloud's tests hold the mock to it offline).
//! Cases marked `mock_only` stay out, and so does `control.yaml` (the mock's own control
//! plane has no real counterpart).

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::Value;

use super::{Body, Case, Svc, Who, case};

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
    /// The form is checked by mock-cloud's test; here the two answers' key sets are compared.
    #[serde(default)]
    #[allow(dead_code)]
    form: Option<String>,
    #[serde(default)]
    mock_only: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

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

fn service(name: &str) -> Result<Svc> {
    Ok(match name {
        "identity" => Svc::Identity,
        "image" => Svc::Image,
        "compute" => Svc::Compute,
        other => bail!("no real service {other}"),
    })
}

/// The cases of `testdata/hostile/{file}.yaml` (`identity`, `image` or `compute`) that the
/// real services can answer.
pub fn cases(file: &str) -> Result<Vec<Case>> {
    let path = xtask::workspace_root()
        .join("testdata/hostile")
        .join(format!("{file}.yaml"));
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let entries: Vec<Entry> =
        serde_norway::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let mut cases = Vec::new();
    for entry in entries {
        let svc = service(entry.service.as_deref().unwrap_or(file))?;
        if entry.mock_only.is_some() {
            continue;
        }
        let (who, token) = match entry.who.as_deref().unwrap_or("admin") {
            "admin" => (Who::Admin, None),
            "demo" => (Who::Demo, None),
            "nobody" => (Who::Nobody, None),
            "bogus" => (Who::Bogus, None),
            captured => (Who::Nobody, Some(captured.to_owned())),
        };
        let name = format!("hostile {file}: {}", entry.name);
        let mut case = case(&name, svc, who, &entry.method, &entry.path);
        if let Some(token) = token {
            case = case.header("X-Auth-Token", token);
        }
        for (header, value) in entry.headers {
            let values = match value {
                OneOrMany::One(v) => vec![v],
                OneOrMany::Many(vs) => vs,
            };
            for value in values {
                case = case.header(&header, value);
            }
        }
        case.body = match (entry.json, entry.raw, entry.repeat) {
            (Some(json), None, None) => Body::Json(json),
            (None, Some(raw), None) => Body::Raw(raw.into_bytes()),
            (None, None, Some(r)) => {
                Body::Raw(format!("{}{}{}", r.before, r.text.repeat(r.times), r.after).into_bytes())
            }
            (None, None, None) => Body::None,
            _ => bail!("{name}: give one of json, raw and repeat"),
        };
        for (var, source) in &entry.capture {
            case = case.capture(var, source);
        }
        case.expect = Some(entry.expect);
        cases.push(case);
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_reads_and_leaves_out_what_only_the_mock_answers() {
        for file in ["identity", "image", "compute"] {
            let cases = cases(file).unwrap();
            assert!(cases.len() > 20, "{file}: {}", cases.len());
            assert!(cases.iter().all(|c| c.expect.is_some()), "{file}");
        }
        let image = cases("image").unwrap();
        assert!(
            !image.iter().any(|c| c.name.contains("huge body")),
            "Glance's huge body is mock-only"
        );
        assert!(
            cases("control").is_err(),
            "the control plane has no real counterpart"
        );
    }
}
