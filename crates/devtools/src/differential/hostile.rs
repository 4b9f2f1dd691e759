//! The hostile corpus (testdata/hostile, whose README gives the format) as differential
//! cases: each request goes to the real service and to the mock, and the real answer must
//! also be the status the corpus records (mock-cloud's tests hold the mock to it offline).
//! Cases marked `mock_only` stay out, and so does `control.yaml` (the mock's own control
//! plane has no real counterpart).

use anyhow::{Result, bail};
use mock_cloud::hostile::{self, CaseBody};

use super::{Body, Case, Svc, Who, case};

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
    let mut cases = Vec::new();
    for entry in hostile::load(&path)? {
        let svc = service(&entry.service)?;
        if entry.mock_only.is_some() {
            continue;
        }
        let (who, token) = match entry.who.as_str() {
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
            case = case.header(&header, value);
        }
        case.body = match entry.body {
            CaseBody::Json(json) => Body::Json(json),
            CaseBody::Text(text) => Body::Raw(text.into_bytes()),
            _ => Body::None,
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
