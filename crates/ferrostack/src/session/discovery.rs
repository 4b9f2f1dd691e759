//! Version discovery: from the document at a service's URL to its versioned endpoint and
//! microversion range.
//!
//! Three shapes exist (WIRE.md): Keystone's `{"versions":{"values":[...]}}`, Glance's and
//! Nova's `{"versions":[...]}` (both lists of versions at an unversioned root), and
//! `{"version":{...}}`, the one version served at a versioned URL.

use serde::Deserialize;
use url::Url;

/// What discovery found for one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Discovered {
    /// The versioned endpoint requests are relative to, without a trailing `/`.
    pub(crate) url: Url,
    /// The microversion range `(min, max)`, for services that have one.
    pub(crate) microversions: Option<(String, String)>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Document {
    Many { versions: Versions },
    One { version: Version },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Versions {
    Keystone { values: Vec<Version> },
    List(Vec<Version>),
}

#[derive(Debug, Clone, Deserialize)]
struct Version {
    id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    links: Vec<Link>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    max_version: Option<String>,
    #[serde(default)]
    min_version: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Link {
    rel: String,
    href: String,
}

/// The major version parsed from an id (`v2.1` -> (2, 1), `v3.14` -> (3, 14), `v2` -> (2, 0)).
pub(crate) fn parse_version_id(id: &str) -> Option<(u64, u64)> {
    let digits = id.trim().trim_start_matches(['v', 'V']);
    let mut parts = digits.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = match parts.next() {
        Some(minor) => minor.parse().ok()?,
        None => 0,
    };
    Some((major, minor))
}

/// Whether the last path segment of `url` names a version (`/v3`, `/v2.1`), possibly followed
/// by a project id (`/v2.1/<project>`), so it can be used as is when discovery fails.
pub(crate) fn looks_versioned(url: &Url) -> bool {
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    segments
        .iter()
        .rev()
        .take(2)
        .any(|s| s.starts_with(['v', 'V']) && parse_version_id(s).is_some())
}

/// For a URL whose last segment follows a version segment (`/v2.1/<project_id>`), the URL
/// of that version (`/v2.1`).
pub(crate) fn version_parent(url: &Url) -> Option<Url> {
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let [.., version, last] = segments.as_slice() else {
        return None;
    };
    let is_version = |s: &str| s.starts_with(['v', 'V']) && parse_version_id(s).is_some();
    if !is_version(version) || is_version(last) {
        return None;
    }
    let mut parent = url.clone();
    parent.set_path(&segments[..segments.len() - 1].join("/"));
    Some(parent)
}

/// Reads a discovery document fetched from `fetched`, choosing the version whose major is
/// `major` (any, when `None`): the current/stable one first, then the highest.
pub(crate) fn choose(body: &[u8], fetched: &Url, major: Option<u64>) -> Result<Discovered, String> {
    let document: Document = serde_json::from_slice(body)
        .map_err(|e| format!("not a version discovery document ({e})"))?;
    let (version, from_list) = match document {
        Document::One { version } => (version, false),
        Document::Many { versions } => {
            let versions = match versions {
                Versions::Keystone { values } => values,
                Versions::List(list) => list,
            };
            let ids: Vec<String> = versions.iter().map(|v| v.id.clone()).collect();
            let best = versions
                .into_iter()
                .filter_map(|v| parse_version_id(&v.id).map(|parsed| (parsed, v)))
                .filter(|((m, _), _)| major.is_none_or(|want| *m == want))
                .max_by_key(|(parsed, v)| (status_rank(v.status.as_deref()), *parsed))
                .map(|(_, v)| v)
                .ok_or_else(|| match major {
                    Some(m) => format!("no version {m}.x among {ids:?}"),
                    None => format!("no usable version among {ids:?}"),
                })?;
            (best, true)
        }
    };
    let url = if from_list {
        // Only the path is taken from the link: see `links`.
        self_link(&version)
            .and_then(|href| super::links::version_url(fetched, href))
            .ok_or_else(|| format!("version {} has no usable self link", version.id))?
    } else {
        // A single version answers at its own URL: keep the URL the catalog gave, which is
        // reachable, rather than a self link that may name an internal host.
        fetched.clone()
    };
    Ok(Discovered {
        url: trim_trailing_slash(url),
        microversions: microversions(&version),
    })
}

/// CURRENT/stable over SUPPORTED over anything else (DEPRECATED, EXPERIMENTAL, unknown).
fn status_rank(status: Option<&str>) -> u8 {
    match status.map(str::to_ascii_lowercase).as_deref() {
        Some("current" | "stable") => 3,
        Some("supported") => 2,
        Some("deprecated") => 0,
        _ => 1,
    }
}

fn self_link(version: &Version) -> Option<&str> {
    version
        .links
        .iter()
        .find(|l| l.rel == "self")
        .map(|l| l.href.as_str())
}

fn microversions(version: &Version) -> Option<(String, String)> {
    let nonempty = |v: &Option<String>| v.as_ref().filter(|s| !s.is_empty()).cloned();
    let max = nonempty(&version.max_version).or_else(|| nonempty(&version.version))?;
    let min = nonempty(&version.min_version)?;
    Some((min, max))
}

/// One version as a discovery document lists it, in keystoneauth's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    pub(crate) version: String,
    pub(crate) status: String,
    pub(crate) url: String,
    pub(crate) min_microversion: Option<String>,
    pub(crate) max_microversion: Option<String>,
}

/// Every usable version of a document fetched from `fetched`, oldest first, as keystoneauth
/// lists them: stable, current, supported and deprecated ones (experimental and unknown
/// statuses left out), each with a `self` link; `None` when it is not such a document.
pub(crate) fn list(body: &[u8], fetched: &Url) -> Option<Vec<Listed>> {
    let versions = match serde_json::from_slice::<Document>(body).ok()? {
        Document::One { version } => vec![version],
        Document::Many {
            versions: Versions::Keystone { values },
        } => values,
        Document::Many {
            versions: Versions::List(list),
        } => list,
    };
    let text = |(major, minor): (u64, u64)| format!("{major}.{minor}");
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let mut listed: Vec<((u64, u64), Listed)> = versions
        .iter()
        .filter_map(|v| {
            let raw = v.status.as_deref()?;
            let kept = ["stable", "current", "supported", "deprecated"];
            if !kept.contains(&raw.to_ascii_lowercase().as_str()) {
                return None;
            }
            let parsed = parse_version_id(&v.id)?;
            let url = fetched.join(self_link(v)?).ok()?;
            let status = match raw.to_ascii_uppercase().as_str() {
                "STABLE" => "CURRENT".to_owned(),
                other => other.to_owned(),
            };
            let micro = |s: Option<String>| s.and_then(|s| parse_version_id(&s)).map(text);
            Some((
                parsed,
                Listed {
                    version: text(parsed),
                    status,
                    url: url.to_string(),
                    min_microversion: micro(nonempty(&v.min_version)),
                    max_microversion: micro(
                        nonempty(&v.max_version).or_else(|| nonempty(&v.version)),
                    ),
                },
            ))
        })
        .collect();
    listed.sort_by_key(|(parsed, _)| *parsed);
    Some(listed.into_iter().map(|(_, l)| l).collect())
}

/// The service's root for discovery: `url` without a trailing version segment (and the
/// project id after one), as keystoneauth tries first.
pub(crate) fn unversioned(url: &Url) -> Url {
    let base = version_parent(url).unwrap_or_else(|| url.clone());
    let segments: Vec<&str> = base
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    match segments.split_last() {
        Some((last, rest)) if last.starts_with(['v', 'V']) && parse_version_id(last).is_some() => {
            let mut root = base.clone();
            let path = rest.iter().map(|s| format!("/{s}")).collect::<String>() + "/";
            root.set_path(&path);
            root
        }
        _ => url.clone(),
    }
}

/// What keystoneauth shows for an endpoint without a document: the version its URL names
/// (if any), `CURRENT`, the URL with a trailing `/`.
pub(crate) fn inferred(url: &Url) -> Option<Listed> {
    let base = version_parent(url).unwrap_or_else(|| url.clone());
    let last = base
        .path_segments()?
        .rfind(|s| !s.is_empty())
        .map(str::to_owned)?;
    let version = last
        .starts_with(['v', 'V'])
        .then(|| parse_version_id(&last))
        .flatten()?;
    Some(Listed {
        version: format!("{}.{}", version.0, version.1),
        status: "CURRENT".to_owned(),
        url: format!("{}/", base.as_str().trim_end_matches('/')),
        min_microversion: None,
        max_microversion: None,
    })
}

/// `https://h/v2/` -> `https://h/v2`, so request paths (which start with `/`) append cleanly.
pub(crate) fn trim_trailing_slash(mut url: Url) -> Url {
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn keystone_values_shape() {
        let body = br#"{"versions":{"values":[{"id":"v3.14","status":"stable","updated":"2020-04-07T00:00:00Z","links":[{"rel":"self","href":"http://k/identity/v3/"}],"media-types":[{"base":"application/json","type":"application/vnd.openstack.identity-v3+json"}]}]}}"#;
        let d = choose(body, &url("http://k/identity"), Some(3)).unwrap();
        assert_eq!(d.url.as_str(), "http://k/identity/v3");
        assert_eq!(d.microversions, None);
    }

    #[test]
    fn glance_list_shape_picks_the_current_v2() {
        let body = br#"{"versions":[
            {"id":"v2.17","status":"CURRENT","links":[{"rel":"self","href":"http://g/v2/"}]},
            {"id":"v2.16","status":"SUPPORTED","links":[{"rel":"self","href":"http://g/v2/"}]},
            {"id":"v1.1","status":"DEPRECATED","links":[{"rel":"self","href":"http://g/v1/"}]}]}"#;
        let d = choose(body, &url("http://g"), Some(2)).unwrap();
        assert_eq!(d.url.as_str(), "http://g/v2");
        assert_eq!(d.microversions, None);
        let err = choose(body, &url("http://g"), Some(3)).unwrap_err();
        assert!(err.contains("no version 3.x"), "{err}");
    }

    #[test]
    fn nova_list_shape_yields_microversions() {
        let body = br#"{"versions":[
            {"id":"v2.0","status":"SUPPORTED","version":"","min_version":"","links":[{"rel":"self","href":"http://n/compute/v2/"}]},
            {"id":"v2.1","status":"CURRENT","version":"2.96","min_version":"2.1","links":[{"rel":"self","href":"http://n/compute/v2.1/"}]}]}"#;
        let d = choose(body, &url("http://n/compute"), Some(2)).unwrap();
        assert_eq!(d.url.as_str(), "http://n/compute/v2.1");
        assert_eq!(d.microversions, Some(("2.1".into(), "2.96".into())));
    }

    #[test]
    fn single_version_shape_keeps_the_fetched_url() {
        let body = br#"{"version":{"id":"v2.1","status":"CURRENT","max_version":"2.90","min_version":"2.1","links":[{"rel":"self","href":"http://internal/v2.1/"}]}}"#;
        let d = choose(body, &url("http://public/compute/v2.1/"), Some(2)).unwrap();
        assert_eq!(d.url.as_str(), "http://public/compute/v2.1");
        assert_eq!(d.microversions, Some(("2.1".into(), "2.90".into())));
    }

    #[test]
    fn list_shapes_keep_the_scheme_host_and_port_they_were_fetched_from() {
        // Glance behind a TLS-terminating proxy, without public_endpoint.
        let glance = br#"{"versions":[{"id":"v2.17","status":"CURRENT","links":[{"rel":"self","href":"http://10.0.0.5:9292/v2/"}]}]}"#;
        let d = choose(glance, &url("https://cloud.example/image"), Some(2)).unwrap();
        assert_eq!(d.url.as_str(), "https://cloud.example/image/v2");
        // An unversioned Keystone auth_url: the password goes where this says.
        let keystone = br#"{"versions":{"values":[{"id":"v3.14","status":"stable","links":[{"rel":"self","href":"http://keystone.internal:5000/v3/"}]}]}}"#;
        let d = choose(keystone, &url("https://cloud.example:5000/"), Some(3)).unwrap();
        assert_eq!(d.url.as_str(), "https://cloud.example:5000/v3");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(choose(b"<html>", &url("http://x"), None).is_err());
        assert!(choose(br#"{"servers":[]}"#, &url("http://x"), None).is_err());
    }

    #[test]
    fn versioned_urls() {
        assert!(looks_versioned(&url("http://k/identity/v3")));
        assert!(looks_versioned(&url("http://k/v3/")));
        assert!(looks_versioned(&url("http://n/v2.1/8f3a")));
        assert!(!looks_versioned(&url("http://g:9292")));
        assert!(!looks_versioned(&url("http://k/identity")));
        assert_eq!(
            version_parent(&url("http://n/compute/v2.1/8f3a/"))
                .unwrap()
                .as_str(),
            "http://n/compute/v2.1"
        );
        assert_eq!(version_parent(&url("http://n/compute/v2.1")), None);
        assert_eq!(version_parent(&url("http://n/compute")), None);
        assert_eq!(parse_version_id("v2.1"), Some((2, 1)));
        assert_eq!(parse_version_id("v3"), Some((3, 0)));
        assert_eq!(parse_version_id("volume"), None);
    }

    #[test]
    fn every_version_is_listed_oldest_first_as_keystoneauth_lists_them() {
        let glance = br#"{"versions":[{"id":"v2.17","status":"CURRENT","links":[{"rel":"self","href":"http://g/image/v2/"}]},{"id":"v2.1","status":"SUPPORTED","links":[{"rel":"self","href":"http://g/image/v2/"}]},{"id":"v2.0","status":"EXPERIMENTAL","links":[{"rel":"self","href":"http://g/image/v2/"}]},{"id":"v1.1","status":"DEPRECATED","links":[{"rel":"self","href":"v1/"}]}]}"#;
        let listed = list(glance, &url("http://g/image")).unwrap();
        let rows: Vec<(&str, &str, &str)> = listed
            .iter()
            .map(|l| (l.version.as_str(), l.status.as_str(), l.url.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("1.1", "DEPRECATED", "http://g/v1/"),
                ("2.1", "SUPPORTED", "http://g/image/v2/"),
                ("2.17", "CURRENT", "http://g/image/v2/"),
            ]
        );
        let nova = br#"{"versions":[{"id":"v2.1","status":"CURRENT","min_version":"2.1","version":"2.96","links":[{"rel":"self","href":"http://n/compute/v2.1/"}]},{"id":"v2.0","status":"SUPPORTED","min_version":"","version":"","links":[{"rel":"self","href":"http://n/compute/v2/"}]}]}"#;
        let listed = list(nova, &url("http://n/compute/")).unwrap();
        assert_eq!(listed[0].version, "2.0");
        assert_eq!(listed[0].max_microversion, None, "an empty version is none");
        assert_eq!(listed[1].min_microversion.as_deref(), Some("2.1"));
        assert_eq!(listed[1].max_microversion.as_deref(), Some("2.96"));
        let keystone = br#"{"versions":{"values":[{"id":"v3.14","status":"stable","links":[{"rel":"self","href":"http://k/identity/v3/"}]}]}}"#;
        let listed = list(keystone, &url("http://k/identity")).unwrap();
        assert_eq!(
            (listed[0].version.as_str(), listed[0].status.as_str()),
            ("3.14", "CURRENT")
        );
        assert_eq!(list(b"{}", &url("http://k/")), None);
    }

    #[test]
    fn discovery_starts_at_the_unversioned_root() {
        let root = |u: &str| unversioned(&url(u)).to_string();
        assert_eq!(root("http://n/compute/v2.1"), "http://n/compute/");
        assert_eq!(root("http://n/compute/v2.1/abc123"), "http://n/compute/");
        assert_eq!(root("http://g/image"), "http://g/image");
        assert_eq!(root("http://k:5000/v3/"), "http://k:5000/");
        let inferred = inferred(&url("http://n/compute/v2.1/abc123")).unwrap();
        assert_eq!(
            (inferred.version.as_str(), inferred.url.as_str()),
            ("2.1", "http://n/compute/v2.1/")
        );
        assert_eq!(super::inferred(&url("http://g/image")), None);
    }
}
