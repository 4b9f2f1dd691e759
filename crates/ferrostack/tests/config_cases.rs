//! The configuration loader against every case folder under `testdata/clouds/`.
//!
//! A case is a folder (a new folder is a new case, no code needed):
//! - `cwd/`, `user/`, `site/`: the current folder, the user's folder (`~/.config/openstack`)
//!   and the site folder (`/etc/openstack`), holding clouds.yaml, secure.yaml,
//!   clouds-public.yaml (or `.yml` / `.json`) as the case needs; a missing folder is empty.
//! - `env` (optional): the environment, `KEY=VALUE` lines; blank lines and `#` comments are
//!   skipped.
//! - `cloud` (optional): the name passed to `load` as its `cloud` argument.
//! - `expected.yaml`: the loaded config, secrets shown as `<redacted>`, unset keys left out;
//!   or `expected-error.txt`: the error message, with the case folder written `<case>`.
//! - `expected-secrets.txt` (optional, with expected.yaml): `auth.password=VALUE` lines, for
//!   cases where which layer's secret won matters; the values are checked, never printed.
//!
//! `FERROSTACK_BLESS=1 cargo test -p ferrostack --test config_cases` writes the expected
//! files from what the loader does now; review the diff before committing it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use ferrostack::config::{self, ConfigSource};
use serde_norway::Value;

/// Every secret in the case files contains this, so that any leak is caught.
const SECRET_MARKER: &str = "s3cr3t";

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/clouds")
}

fn source(case: &Path) -> ConfigSource {
    let mut env = BTreeMap::new();
    if let Ok(text) = fs::read_to_string(case.join("env")) {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = line.split_once('=').unwrap_or_else(|| {
                panic!("{}: line {}: expected KEY=VALUE", case.display(), n + 1)
            });
            env.insert(key.trim().to_owned(), value.to_owned());
        }
    }
    ConfigSource {
        env,
        current_dir: Some(case.join("cwd")),
        user_config_dir: Some(case.join("user")),
        site_config_dir: Some(case.join("site")),
    }
}

/// The config as YAML, without the keys that are unset or empty, so that expected.yaml
/// only says what matters.
fn shown(config: &ferrostack::config::CloudConfig) -> Value {
    fn prune(value: Value) -> Option<Value> {
        match value {
            Value::Null => None,
            Value::Mapping(map) => {
                let map: serde_norway::Mapping = map
                    .into_iter()
                    .filter_map(|(k, v)| prune(v).map(|v| (k, v)))
                    .collect();
                (!map.is_empty()).then_some(Value::Mapping(map))
            }
            Value::Sequence(items) if items.is_empty() => None,
            other => Some(other),
        }
    }
    prune(serde_norway::to_value(config).expect("a config serializes")).unwrap_or(Value::Null)
}

/// Runs one case; `Err` says how it failed.
fn run(case: &Path, bless: bool) -> Result<(), String> {
    let source = source(case);
    let cloud = fs::read_to_string(case.join("cloud")).ok();
    let result = config::load(&source, cloud.as_deref().map(str::trim));
    let case_path = case.display().to_string();
    let expected_yaml = case.join("expected.yaml");
    let expected_error = case.join("expected-error.txt");

    let debug = format!("{result:?}");
    let display = match &result {
        Ok(config) => serde_norway::to_string(config).unwrap(),
        Err(e) => e.to_string(),
    };
    if debug.contains(SECRET_MARKER) || display.contains(SECRET_MARKER) {
        return Err(format!("a secret leaked:\n{debug}\n{display}"));
    }

    if bless {
        let _ = fs::remove_file(&expected_yaml);
        let _ = fs::remove_file(&expected_error);
        match &result {
            Ok(config) => fs::write(
                &expected_yaml,
                serde_norway::to_string(&shown(config)).unwrap(),
            ),
            Err(e) => fs::write(
                &expected_error,
                format!("{}\n", e.to_string().replace(&case_path, "<case>")),
            ),
        }
        .map_err(|e| format!("cannot write the expected file: {e}"))?;
        return Ok(());
    }

    match (&result, expected_yaml.exists(), expected_error.exists()) {
        (_, true, true) => Err("has both expected.yaml and expected-error.txt".into()),
        (_, false, false) => Err("has neither expected.yaml nor expected-error.txt".into()),
        (Ok(config), true, false) => {
            let want: Value = serde_norway::from_str(&fs::read_to_string(&expected_yaml).unwrap())
                .map_err(|e| format!("expected.yaml: {e}"))?;
            let got = shown(config);
            if got == want {
                check_secrets(case, config)
            } else {
                Err(format!(
                    "loaded:\n{}\nexpected:\n{}",
                    serde_norway::to_string(&got).unwrap(),
                    serde_norway::to_string(&want).unwrap()
                ))
            }
        }
        (Err(e), true, false) => Err(format!("failed, but a config was expected: {e}")),
        (Ok(config), false, true) => Err(format!(
            "loaded, but an error was expected:\n{}",
            serde_norway::to_string(&shown(config)).unwrap()
        )),
        (Err(e), false, true) => {
            if e.kind() != &ferrostack::ErrorKind::Config {
                return Err(format!("error of kind {:?}, not Config: {e}", e.kind()));
            }
            let want = fs::read_to_string(&expected_error).unwrap();
            let got = e.to_string().replace(&case_path, "<case>");
            if got == want.trim_end() {
                Ok(())
            } else {
                Err(format!("error:\n  {got}\nexpected:\n  {}", want.trim_end()))
            }
        }
    }
}

/// Compares the secrets a case names in `expected-secrets.txt`, by key only.
fn check_secrets(case: &Path, config: &ferrostack::config::CloudConfig) -> Result<(), String> {
    let Ok(text) = fs::read_to_string(case.join("expected-secrets.txt")) else {
        return Ok(());
    };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (key, want) = line
            .split_once('=')
            .ok_or_else(|| format!("expected-secrets.txt: {line:?} is not KEY=VALUE"))?;
        let a = &config.auth;
        let got = match key {
            "auth.password" => &a.password,
            "auth.token" => &a.token,
            "auth.application_credential_secret" => &a.application_credential_secret,
            other => return Err(format!("expected-secrets.txt: unknown key {other}")),
        };
        if got.as_ref().map(|s| s.expose()) != Some(want) {
            return Err(format!("{key} is not the value expected-secrets.txt names"));
        }
    }
    Ok(())
}

#[test]
fn every_case_folder() {
    let bless = std::env::var_os("FERROSTACK_BLESS").is_some();
    let dir = cases_dir();
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 30,
        "only {} cases in {}",
        cases.len(),
        dir.display()
    );

    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            run(&case.canonicalize().unwrap(), bless)
                .err()
                .map(|why| format!("--- {name}: {why}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// `list_clouds` names clouds.yaml's clouds in file order, then the variables' cloud.
#[test]
fn list_clouds_in_file_order_then_envvars() {
    let case = cases_dir()
        .join("several-clouds-none-chosen")
        .canonicalize()
        .unwrap();
    let mut source = source(&case);
    assert_eq!(
        config::list_clouds(&source).unwrap(),
        ["zulu", "alpha", "mike"]
    );
    source
        .env
        .insert("OS_AUTH_URL".into(), "https://keystone.example/v3".into());
    assert_eq!(
        config::list_clouds(&source).unwrap(),
        ["zulu", "alpha", "mike", "envvars"]
    );
}
