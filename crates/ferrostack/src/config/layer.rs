//! One layer of a cloud's settings (a clouds.yaml entry, its secure.yaml entry, a public
//! cloud, a region's values, the environment), typed and checked on its own so that an
//! error names the layer it came from; then layers merge, the higher one winning key by key.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_norway::{Mapping, Value};

use super::origin::Origin;
use super::{AuthConfig, AuthType, Interface};
use crate::secret::Secret;

/// The `auth:` keys, each with the older spellings it also answers to (preferred first).
/// In a cloud, `auth.<key>` wins over the same key written at the top level, which
/// openstacksdk also accepts.
pub(crate) const AUTH_KEYS: &[(&str, &[&str])] = &[
    ("auth_url", &["auth_url"]),
    ("username", &["username", "user_name"]),
    ("user_id", &["user_id"]),
    ("password", &["password"]),
    ("user_domain_name", &["user_domain_name"]),
    ("user_domain_id", &["user_domain_id"]),
    ("project_name", &["project_name", "tenant_name"]),
    ("project_id", &["project_id", "tenant_id"]),
    ("project_domain_name", &["project_domain_name"]),
    ("project_domain_id", &["project_domain_id"]),
    ("domain_name", &["domain_name"]),
    ("domain_id", &["domain_id"]),
    ("default_domain_id", &["default_domain_id"]),
    ("default_domain_name", &["default_domain_name"]),
    ("system_scope", &["system_scope"]),
    ("token", &["token", "auth_token"]),
    ("application_credential_id", &["application_credential_id"]),
    (
        "application_credential_name",
        &["application_credential_name"],
    ),
    (
        "application_credential_secret",
        &["application_credential_secret"],
    ),
    ("endpoint", &["endpoint"]),
];

/// A place in [`AuthConfig`] a key writes to.
pub(crate) enum AuthSlot<'a> {
    Text(&'a mut Option<String>),
    Secret(&'a mut Option<Secret>),
}

impl AuthSlot<'_> {
    /// Stores a value: a secret slot wraps it at once, so it is never printed. A secret that
    /// is the placeholder printed in place of one (a config saved from output) is refused.
    pub(crate) fn set(self, value: String) -> Result<(), String> {
        match self {
            AuthSlot::Text(slot) => *slot = Some(value),
            AuthSlot::Secret(slot) => {
                crate::secret::check_not_placeholder(&value)?;
                *slot = Some(Secret::new(value));
            }
        }
        Ok(())
    }
}

/// The slot of a canonical key of [`AUTH_KEYS`].
pub(crate) fn auth_slot<'a>(auth: &'a mut AuthConfig, key: &str) -> AuthSlot<'a> {
    use AuthSlot::{Secret, Text};
    match key {
        "auth_url" => Text(&mut auth.auth_url),
        "username" => Text(&mut auth.username),
        "user_id" => Text(&mut auth.user_id),
        "password" => Secret(&mut auth.password),
        "user_domain_name" => Text(&mut auth.user_domain_name),
        "user_domain_id" => Text(&mut auth.user_domain_id),
        "project_name" => Text(&mut auth.project_name),
        "project_id" => Text(&mut auth.project_id),
        "project_domain_name" => Text(&mut auth.project_domain_name),
        "project_domain_id" => Text(&mut auth.project_domain_id),
        "domain_name" => Text(&mut auth.domain_name),
        "domain_id" => Text(&mut auth.domain_id),
        "default_domain_id" => Text(&mut auth.default_domain_id),
        "default_domain_name" => Text(&mut auth.default_domain_name),
        "system_scope" => Text(&mut auth.system_scope),
        "token" => Secret(&mut auth.token),
        "application_credential_id" => Text(&mut auth.application_credential_id),
        "application_credential_name" => Text(&mut auth.application_credential_name),
        "application_credential_secret" => Secret(&mut auth.application_credential_secret),
        "endpoint" => Text(&mut auth.endpoint),
        other => unreachable!("{other} is not in AUTH_KEYS"),
    }
}

/// Whether a canonical auth key holds a secret (its value is never shown in an error).
fn is_secret_key(key: &str) -> bool {
    matches!(key, "password" | "token" | "application_credential_secret")
}

/// A region of a cloud: its name and the settings that differ there.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Region {
    pub(crate) name: String,
    pub(crate) values: Layer,
}

/// One layer of settings; `None` (or absent from a map) means "this layer does not say".
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Layer {
    pub(crate) auth_type: Option<AuthType>,
    pub(crate) auth: AuthConfig,
    pub(crate) profile: Option<String>,
    pub(crate) region_name: Option<String>,
    pub(crate) regions: Option<Vec<Region>>,
    pub(crate) interface: Option<Interface>,
    pub(crate) verify: Option<bool>,
    pub(crate) insecure: Option<bool>,
    pub(crate) cacert: Option<PathBuf>,
    pub(crate) cert: Option<PathBuf>,
    pub(crate) key: Option<PathBuf>,
    pub(crate) endpoint_overrides: BTreeMap<String, String>,
    pub(crate) api_versions: BTreeMap<String, String>,
    pub(crate) api_timeout: Option<f64>,
    /// A legacy `<service>_timeout` key (`compute_timeout`, `http_timeout`): openstacksdk
    /// lets it replace `api_timeout`, since one session has one timeout.
    pub(crate) service_timeout: Option<f64>,
}

/// Copies every field `over` sets onto `base`.
macro_rules! overlay {
    ($base:expr, $over:expr; $($field:ident),* $(,)?) => {
        $( if $over.$field.is_some() { $base.$field = $over.$field; } )*
    };
}

impl Layer {
    /// Puts `over` on top of `self`: every key `over` sets wins; `auth` and the per-service
    /// maps merge key by key (the deep merge secure.yaml gets); `regions` is replaced whole.
    pub(crate) fn merge(&mut self, over: Layer) {
        overlay!(self, over; auth_type, profile, region_name, regions, interface, verify,
            insecure, cacert, cert, key, api_timeout, service_timeout);
        overlay!(self.auth, over.auth; auth_url, username, user_id, password,
            user_domain_name, user_domain_id, project_name, project_id, project_domain_name,
            project_domain_id, domain_name, domain_id, default_domain_id, default_domain_name,
            system_scope, token, application_credential_id, application_credential_name,
            application_credential_secret, endpoint);
        self.endpoint_overrides.extend(over.endpoint_overrides);
        self.api_versions.extend(over.api_versions);
    }

    /// Reads a cloud's mapping from a file. Keys are normalized (`auth-url` = `auth_url`);
    /// unknown keys are ignored, as openstacksdk passes them through; a known key with a
    /// value of the wrong type is an error naming `origin` and the key.
    pub(crate) fn from_yaml(map: &Mapping, origin: &Origin) -> crate::Result<Self> {
        Self::from_yaml_at(map, origin, "")
    }

    /// [`Layer::from_yaml`] for a mapping nested under `prefix` (a region's `values`).
    fn from_yaml_at(map: &Mapping, origin: &Origin, prefix: &str) -> crate::Result<Self> {
        let top = normalized(map);
        let at = |key: &str| format!("{prefix}{key}");
        let mut layer = Layer::default();

        let auth = match top.get("auth") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Mapping(auth)) => normalized(auth),
            Some(other) => {
                return Err(origin.invalid(&at("auth"), expected("a mapping", other, false)));
            }
        };
        for (canonical, spellings) in AUTH_KEYS {
            let secret = is_secret_key(canonical);
            let in_auth = spellings
                .iter()
                .find_map(|s| auth.get(*s).map(|v| (format!("auth.{s}"), *v)));
            let found = in_auth.or_else(|| {
                spellings
                    .iter()
                    .find_map(|s| top.get(*s).map(|v| (s.to_string(), *v)))
            });
            let Some((key, value)) = found else { continue };
            if let Some(text) = string(value, secret).map_err(|p| origin.invalid(&at(&key), p))? {
                if matches!(*canonical, "auth_url" | "endpoint") {
                    check_url(&text).map_err(|p| origin.invalid(&at(&key), p))?;
                }
                auth_slot(&mut layer.auth, canonical)
                    .set(text)
                    .map_err(|p| origin.invalid(&at(&key), p))?;
            }
        }

        let first = |keys: &[&'static str]| {
            keys.iter()
                .find_map(|k| top.get(*k).map(|v| (*k, *v)))
                .filter(|(_, v)| !v.is_null())
        };
        if let Some((key, value)) = first(&["auth_type", "auth_plugin"]) {
            let name = string(value, false).map_err(|p| origin.invalid(&at(key), p))?;
            layer.auth_type = name
                .map(|n| parse_auth_type(&n))
                .transpose()
                .map_err(|p| origin.invalid(&at(key), p))?;
        }
        if let Some((key, value)) = first(&["interface", "endpoint_type"]) {
            let name = string(value, false).map_err(|p| origin.invalid(&at(key), p))?;
            layer.interface = name
                .map(|n| parse_interface(&n))
                .transpose()
                .map_err(|p| origin.invalid(&at(key), p))?;
        }
        if let Some((key, value)) = first(&["profile", "cloud"]) {
            layer.profile = string(value, false).map_err(|p| origin.invalid(&at(key), p))?;
        }
        for (key, value) in &top {
            let key = key.as_str();
            let invalid = |p: String| origin.invalid(&at(key), p);
            match key {
                "region_name" => layer.region_name = string(value, false).map_err(invalid)?,
                "regions" if prefix.is_empty() => layer.regions = regions(value, origin)?,
                "verify" => {
                    // requests takes a CA bundle path in `verify`; openstacksdk wants `cacert`.
                    layer.verify = boolean(value).map_err(|p| match value {
                        Value::String(_) => invalid(format!("{p} (a CA bundle goes in cacert)")),
                        _ => invalid(p),
                    })?;
                }
                "insecure" => layer.insecure = boolean(value).map_err(invalid)?,
                "cacert" => layer.cacert = string(value, false).map_err(invalid)?.map(Into::into),
                "cert" => layer.cert = string(value, false).map_err(invalid)?.map(Into::into),
                "key" => layer.key = string(value, false).map_err(invalid)?.map(Into::into),
                "api_timeout" => layer.api_timeout = timeout(value).map_err(invalid)?,
                // `timeout` alone is not the session's: openstacksdk takes it only from a
                // `--timeout` given on the command line.
                "timeout" => {}
                _ => {
                    if let Some(service) = service_of(key, "_endpoint_override")
                        && let Some(url) = string(value, false).map_err(invalid)?
                    {
                        check_url(&url).map_err(invalid)?;
                        layer.endpoint_overrides.insert(service.to_owned(), url);
                    } else if let Some(service) = service_of(key, "_api_version")
                        && let Some(version) = string(value, false).map_err(invalid)?
                    {
                        layer.api_versions.insert(service.to_owned(), version);
                    } else if service_of(key, "_timeout").is_some()
                        && let Some(seconds) = timeout(value).map_err(invalid)?
                    {
                        layer.service_timeout = Some(seconds);
                    }
                }
            }
        }
        Ok(layer)
    }
}

/// `image` for `image_endpoint_override`; `None` for other keys.
pub(crate) fn service_of<'a>(key: &'a str, suffix: &str) -> Option<&'a str> {
    key.strip_suffix(suffix).filter(|s| !s.is_empty())
}

/// A mapping's string keys with `-` read as `_`; other keys are not settings and are skipped.
fn normalized(map: &Mapping) -> BTreeMap<String, &Value> {
    map.iter()
        .filter_map(|(k, v)| Some((k.as_str()?.replace('-', "_"), untagged(v))))
        .collect()
}

/// A value under a YAML tag (`!secret x`) is read as the value itself.
fn untagged(value: &Value) -> &Value {
    match value {
        Value::Tagged(tagged) => untagged(&tagged.value),
        other => other,
    }
}

/// What a value is, for "expected X, found Y".
pub(crate) fn kind(value: &Value) -> &'static str {
    match untagged(value) {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// "expected X, found Y"; a string is quoted unless it may be a secret.
fn expected(what: &str, found: &Value, secret: bool) -> String {
    match found {
        Value::String(s) if !secret => format!("expected {what}, found \"{s}\""),
        other => format!("expected {what}, found {}", kind(other)),
    }
}

/// A text setting. Numbers are taken as their text (`project_id: 1234`,
/// `identity_api_version: 3`), as openstacksdk does; null means unset.
fn string(value: &Value, secret: bool) -> Result<Option<String>, String> {
    match untagged(value) {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(expected("a string", other, secret)),
    }
}

/// A yes/no setting: a YAML boolean, or `true`/`false` (and `yes`/`no`, `1`/`0`) as text.
fn boolean(value: &Value) -> Result<Option<bool>, String> {
    match untagged(value) {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::String(s) => parse_bool(s).map(Some),
        other => Err(expected("a boolean", other, false)),
    }
}

/// Seconds, as a number or as text.
fn timeout(value: &Value) -> Result<Option<f64>, String> {
    match untagged(value) {
        Value::Null => Ok(None),
        Value::Number(n) => {
            let seconds = n.as_f64().unwrap_or(f64::NAN);
            parse_timeout(&seconds.to_string()).map(Some)
        }
        Value::String(s) => parse_timeout(s).map(Some),
        other => Err(expected("a number of seconds", other, false)),
    }
}

/// `regions:` — a list of names, or of `{name, values}` mappings.
fn regions(value: &Value, origin: &Origin) -> crate::Result<Option<Vec<Region>>> {
    let invalid = |problem: String| origin.invalid("regions", problem);
    let items = match untagged(value) {
        Value::Null => return Ok(None),
        Value::Sequence(items) => items,
        other => return Err(invalid(expected("a list of regions", other, false))),
    };
    let mut regions = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let region = match untagged(item) {
            Value::String(name) => Region {
                name: name.clone(),
                values: Layer::default(),
            },
            Value::Mapping(map) => region_entry(map, i, origin)?,
            other => {
                return Err(invalid(format!(
                    "entry {i}: expected a region name or a mapping with name and values, found {}",
                    kind(other)
                )));
            }
        };
        regions.push(region);
    }
    Ok(Some(regions))
}

/// One `{name, values}` entry of `regions`; openstacksdk refuses any other key, and so do we.
fn region_entry(map: &Mapping, i: usize, origin: &Origin) -> crate::Result<Region> {
    let invalid = |problem: String| origin.invalid("regions", format!("entry {i}: {problem}"));
    let entry = normalized(map);
    if let Some(other) = entry
        .keys()
        .find(|k| !matches!(k.as_str(), "name" | "values"))
    {
        return Err(invalid(format!(
            "unexpected key \"{other}\" (a region has only name and values)"
        )));
    }
    let name = match entry.get("name") {
        Some(Value::String(name)) => name.clone(),
        Some(other) => {
            return Err(invalid(format!(
                "name: {}",
                expected("a string", other, false)
            )));
        }
        None => return Err(invalid("the region has no name".to_owned())),
    };
    let values = match entry.get("values") {
        None | Some(Value::Null) => Layer::default(),
        Some(Value::Mapping(values)) => {
            Layer::from_yaml_at(values, origin, &format!("regions[{i}].values."))?
        }
        Some(other) => {
            return Err(invalid(format!(
                "values: {}",
                expected("a mapping", other, false)
            )));
        }
    };
    Ok(Region { name, values })
}

/// `true`/`false`, `yes`/`no`, `1`/`0`, any case.
pub(crate) fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(format!(
            "expected a boolean (true or false), found \"{text}\""
        )),
    }
}

/// A non-negative number of seconds.
pub(crate) fn parse_timeout(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => Ok(seconds),
        _ => Err(format!(
            "expected a number of seconds (0 or more), found \"{text}\""
        )),
    }
}

/// One of [`AuthType::NAMES`].
pub(crate) fn parse_auth_type(name: &str) -> Result<AuthType, String> {
    AuthType::from_name(name).ok_or_else(|| {
        format!(
            "\"{name}\" is not a supported auth_type (expected one of: {})",
            AuthType::NAMES.join(", ")
        )
    })
}

/// `public`, `internal` or `admin`.
pub(crate) fn parse_interface(name: &str) -> Result<Interface, String> {
    Interface::from_name(name).ok_or_else(|| {
        format!("\"{name}\" is not an interface (expected public, internal or admin)")
    })
}

/// An http(s) URL. A URL with `{...}` in it is a template (openstacksdk fills
/// `{region_name}` in auth_url) and is checked once filled.
pub(crate) fn check_url(text: &str) -> Result<(), String> {
    if text.contains('{') {
        return Ok(());
    }
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => Err(format!(
            "\"{}\" is not an http(s) URL",
            crate::secret::redact_url(text)
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::origin::{FileKind, FileRef};
    use super::*;

    fn origin() -> Origin {
        Origin::File {
            file: FileRef {
                kind: FileKind::Clouds,
                path: PathBuf::from("/x/clouds.yaml"),
            },
            cloud: "prod".into(),
        }
    }

    fn layer(yaml: &str) -> crate::Result<Layer> {
        let value: Value = serde_norway::from_str(yaml).unwrap();
        Layer::from_yaml(value.as_mapping().unwrap(), &origin())
    }

    fn error(yaml: &str) -> String {
        layer(yaml).unwrap_err().to_string()
    }

    #[test]
    fn the_higher_layer_wins_key_by_key() {
        let mut base = layer(
            "auth: {auth_url: 'https://a.example', username: ada, password: one}\n\
             region_name: R1\ncompute_api_version: '2.1'\nimage_endpoint_override: https://i.example\n",
        )
        .unwrap();
        let over = layer(
            "auth: {password: two, project_name: demo}\ncompute_api_version: '2.79'\n\
             interface: internal\n",
        )
        .unwrap();
        base.merge(over);
        assert_eq!(base.auth.auth_url.as_deref(), Some("https://a.example"));
        assert_eq!(base.auth.username.as_deref(), Some("ada"));
        assert_eq!(base.auth.password.as_ref().map(Secret::expose), Some("two"));
        assert_eq!(base.auth.project_name.as_deref(), Some("demo"));
        assert_eq!(base.region_name.as_deref(), Some("R1"));
        assert_eq!(base.interface, Some(Interface::Internal));
        assert_eq!(base.api_versions["compute"], "2.79");
        assert_eq!(base.endpoint_overrides["image"], "https://i.example");
    }

    #[test]
    fn regions_are_replaced_whole() {
        let mut base = layer("regions: [a, b, c]").unwrap();
        base.merge(layer("regions: [d]").unwrap());
        let names: Vec<_> = base.regions.unwrap().into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["d"]);
    }

    #[test]
    fn an_empty_layer_changes_nothing() {
        let mut base = layer("auth: {username: ada}\nverify: false\nregions: [a]").unwrap();
        let before = base.clone();
        base.merge(Layer::default());
        assert_eq!(base, before);
    }

    #[test]
    fn auth_section_wins_over_top_level_and_new_names_over_old() {
        let l = layer(
            "username: top\nauth: {username: inner, tenant_name: old, project_name: new}\n\
             auth_plugin: token\nauth_type: password\nendpoint_type: admin\ninterface: internal",
        )
        .unwrap();
        assert_eq!(l.auth.username.as_deref(), Some("inner"));
        assert_eq!(l.auth.project_name.as_deref(), Some("new"));
        assert_eq!(l.auth_type, Some(AuthType::Password));
        assert_eq!(l.interface, Some(Interface::Internal));
        let l = layer("auth-url: https://k.example\nproject-id: 1234\nauth: {user-domain-id: d}")
            .unwrap();
        assert_eq!(l.auth.auth_url.as_deref(), Some("https://k.example"));
        assert_eq!(l.auth.project_id.as_deref(), Some("1234"));
        assert_eq!(l.auth.user_domain_id.as_deref(), Some("d"));
    }

    #[test]
    fn a_config_saved_with_its_secrets_redacted_is_refused_when_read_back() {
        let mut saved = crate::config::CloudConfig::new();
        saved.auth.auth_url = Some("https://k.example/v3".into());
        saved.auth.password = Some(Secret::new("hunter2"));
        let yaml = serde_norway::to_string(&saved).unwrap();
        let err = error(&yaml);
        assert!(
            err.starts_with(
                "clouds.yaml (/x/clouds.yaml): cloud \"prod\": key \"auth.password\": \"<redacted>\" is the placeholder"
            ),
            "{err}"
        );
        assert!(
            error("auth: {application_credential_secret: '<redacted>'}")
                .contains("key \"auth.application_credential_secret\""),
        );
    }

    #[test]
    fn wrong_types_name_the_key_and_hide_secrets() {
        assert_eq!(
            error("verify: [1, 2]"),
            "clouds.yaml (/x/clouds.yaml): cloud \"prod\": key \"verify\": expected a boolean, found a list"
        );
        assert_eq!(
            error("auth: {password: [hunter2]}"),
            "clouds.yaml (/x/clouds.yaml): cloud \"prod\": key \"auth.password\": expected a string, found a list"
        );
        assert!(error("insecure: perhaps").ends_with("found \"perhaps\""));
        assert!(error("auth: 3").contains("key \"auth\": expected a mapping, found a number"));
        assert!(error("api_timeout: -1").contains("key \"api_timeout\""));
        assert!(error("auth: {auth_url: keystone}").contains("\"keystone\" is not an http(s) URL"));
        assert!(
            error("regions: [{name: a, vals: {}}]")
                .contains("key \"regions\": entry 0: unexpected key \"vals\"")
        );
        assert!(
            error("regions: [a, {name: b, values: {interface: sideways}}]")
                .contains("key \"regions[1].values.interface\": \"sideways\" is not an interface")
        );
    }

    #[test]
    fn nulls_unknown_keys_and_numbers() {
        let l = layer(
            "region_name: ~\nmystery: {deep: [1]}\nidentity_api_version: 3\napi_timeout: 30\n\
             auth: {password: 123456}",
        )
        .unwrap();
        assert_eq!(l.region_name, None);
        assert_eq!(l.api_versions["identity"], "3");
        assert_eq!(l.api_timeout, Some(30.0));
        assert_eq!(l.auth.password.as_ref().map(Secret::expose), Some("123456"));
    }

    #[test]
    fn booleans_as_text() {
        assert_eq!(parse_bool("True"), Ok(true));
        assert_eq!(parse_bool("0"), Ok(false));
        assert!(parse_bool("maybe").is_err());
    }
}
