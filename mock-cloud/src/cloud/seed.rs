//! The seed document: extra regions, domains, projects, users, application credentials and
//! flavors, added on top of the defaults (domain `default`, projects `admin` and `demo`, users
//! admin/admin and demo/demo, Nova's m1.* flavors).
//!
//! ```yaml
//! regions: [RegionTwo]
//! projects:
//!   - name: ci
//! users:
//!   - name: alice
//!     password: secret
//!     roles:
//!       - {role: member, project: ci}
//!       - {role: reader, system: true}
//! application_credentials:
//!   - {name: ci-runner, secret: s3cret, user: alice, project: ci}
//! flavors:
//!   - {id: "42", name: m1.huge, ram: 16384, disk: 160, vcpus: 8}
//! images:
//!   - {name: cirros, visibility: public, disk_format: qcow2, container_format: bare,
//!      file: /var/lib/images/cirros.qcow2}
//! ```
//!
//! Names refer to things in the same document or in the defaults; domains default to `default`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// A seed document (`--seed FILE`, `Options::seed`, `POST /_mock/seed`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// Extra regions: every service gets endpoints in each (RegionOne always exists).
    #[serde(default)]
    pub regions: Vec<String>,
    /// Extra domains.
    #[serde(default)]
    pub domains: Vec<SeedDomain>,
    /// Extra projects.
    #[serde(default)]
    pub projects: Vec<SeedProject>,
    /// Extra users, with their role assignments.
    #[serde(default)]
    pub users: Vec<SeedUser>,
    /// Application credentials of seeded or default users.
    #[serde(default)]
    pub application_credentials: Vec<SeedApplicationCredential>,
    /// Extra Nova flavors.
    #[serde(default)]
    pub flavors: Vec<SeedFlavor>,
    /// Glance images, with their bytes (see [`SeedImage`]).
    #[serde(default)]
    pub images: Vec<SeedImage>,
}

fn default_domain() -> String {
    "default".to_owned()
}

/// A domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedDomain {
    /// Its id; derived from the name when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Its name.
    pub name: String,
}

/// A project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedProject {
    /// Its id; derived from domain and name when absent (stable across restarts).
    #[serde(default)]
    pub id: Option<String>,
    /// Its name.
    pub name: String,
    /// Its domain, by id or name.
    #[serde(default = "default_domain")]
    pub domain: String,
}

/// A user and where it holds roles.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    /// Its id; derived from domain and name when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Its name.
    pub name: String,
    /// Its password.
    pub password: String,
    /// Its domain, by id or name.
    #[serde(default = "default_domain")]
    pub domain: String,
    /// Its role assignments.
    #[serde(default)]
    pub roles: Vec<SeedRole>,
}

impl std::fmt::Debug for SeedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedUser")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .field("domain", &self.domain)
            .field("roles", &self.roles)
            .finish()
    }
}

/// One role assignment: on a project, on a domain, or on the system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRole {
    /// A global role by name: `admin`, `manager`, `member`, `reader`, `service` (admin implies
    /// manager implies member implies reader), or one made through the API.
    pub role: String,
    /// A project, by id or name (in `project_domain`).
    #[serde(default)]
    pub project: Option<String>,
    /// The project's domain, by id or name.
    #[serde(default = "default_domain")]
    pub project_domain: String,
    /// A domain, by id or name.
    #[serde(default)]
    pub domain: Option<String>,
    /// The whole system (`system: {"all": true}` tokens).
    #[serde(default)]
    pub system: bool,
}

/// An application credential.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedApplicationCredential {
    /// Its id; derived from user and name when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Its name (unique per user).
    pub name: String,
    /// Its secret.
    pub secret: String,
    /// The owning user, by id or name (in `user_domain`).
    pub user: String,
    /// The user's domain, by id or name.
    #[serde(default = "default_domain")]
    pub user_domain: String,
    /// The project its tokens are scoped to, by id or name (in `project_domain`).
    pub project: String,
    /// The project's domain, by id or name.
    #[serde(default = "default_domain")]
    pub project_domain: String,
    /// The roles it delegates; all of the user's roles on the project when absent.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
}

impl std::fmt::Debug for SeedApplicationCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedApplicationCredential")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("secret", &"<redacted>")
            .field("user", &self.user)
            .field("project", &self.project)
            .field("roles", &self.roles)
            .finish()
    }
}

/// A Nova flavor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFlavor {
    /// Its id (Nova's are strings, often small numbers).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Memory in MiB.
    pub ram: u64,
    /// Root disk in GiB.
    pub disk: u64,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Ephemeral disk in GiB.
    #[serde(default)]
    pub ephemeral: u64,
    /// Swap in MiB (0 = none).
    #[serde(default)]
    pub swap: u64,
    /// Whether every project sees it.
    #[serde(default = "yes")]
    pub is_public: bool,
}

fn yes() -> bool {
    true
}

impl Seed {
    /// Reads a seed file: JSON when it ends in `.json`, YAML otherwise. Errors name the file
    /// and the offending key.
    pub fn from_file(path: &Path) -> anyhow::Result<Seed> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read seed file {}", path.display()))?;
        Self::parse(&text, path.extension().is_some_and(|e| e == "json"))
            .with_context(|| format!("invalid seed file {}", path.display()))
    }

    /// Parses a seed document from JSON or YAML text.
    pub fn parse(text: &str, json: bool) -> anyhow::Result<Seed> {
        if json {
            Ok(serde_json::from_str(text)?)
        } else {
            Ok(serde_norway::from_str(text)?)
        }
    }

    /// Adds `other` after this document's entries.
    pub fn merge(&mut self, other: Seed) {
        self.regions.extend(other.regions);
        self.domains.extend(other.domains);
        self.projects.extend(other.projects);
        self.users.extend(other.users);
        self.application_credentials
            .extend(other.application_credentials);
        self.flavors.extend(other.flavors);
        self.images.extend(other.images);
    }
}

/// An image to create at start-up or through the control plane.
///
/// ```yaml
/// - name: cirros
///   visibility: public
///   disk_format: qcow2
///   container_format: bare
///   file: /var/lib/images/cirros.qcow2
///   properties: {os_distro: cirros}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedImage {
    /// A fixed id (a UUID); random when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// The name.
    pub name: String,
    /// `public`, `community`, `shared` (Glance's default) or `private`.
    #[serde(default)]
    pub visibility: Option<String>,
    /// The owning project, by name (default domain) or id; `admin` when absent.
    #[serde(default)]
    pub owner: Option<String>,
    /// Disk format; required with `file` or `content`.
    #[serde(default)]
    pub disk_format: Option<String>,
    /// Container format; required with `file` or `content`.
    #[serde(default)]
    pub container_format: Option<String>,
    /// Minimum disk in GB.
    #[serde(default)]
    pub min_disk: u64,
    /// Minimum RAM in MB.
    #[serde(default)]
    pub min_ram: u64,
    /// Protected from deletion.
    #[serde(default)]
    pub protected: bool,
    /// Hidden from default lists.
    #[serde(default)]
    pub os_hidden: bool,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Extra properties.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// Upload this file's bytes (through the format gate).
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// Upload these bytes (UTF-8 text, for tiny test images).
    #[serde(default)]
    pub content: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_seed_parses_with_defaults() {
        let seed = Seed::parse(
            "users:\n  - name: alice\n    password: pw\n    roles: [{role: member, project: demo}]\n",
            false,
        )
        .unwrap();
        assert_eq!(seed.users[0].domain, "default");
        assert_eq!(seed.users[0].roles[0].project.as_deref(), Some("demo"));
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = Seed::parse(r#"{"userz": []}"#, true).unwrap_err();
        assert!(err.to_string().contains("userz"), "{err}");
    }

    #[test]
    fn debug_hides_secrets() {
        let seed = Seed::parse(
            "users: [{name: a, password: hunter2}]\napplication_credentials: [{name: c, secret: s3cr3t, user: a, project: demo}]\n",
            false,
        )
        .unwrap();
        let debug = format!("{seed:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("s3cr3t"),
            "{debug}"
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = Seed::from_file(Path::new("/nonexistent/seed.yaml")).unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/seed.yaml"));
    }
}
