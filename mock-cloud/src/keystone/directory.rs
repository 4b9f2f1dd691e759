//! Keystone's directory: domains, projects, users, roles, role assignments, application
//! credentials and regions. Built from the defaults plus the seed documents.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::secret_hash::{Hasher, SecretHash};
use crate::cloud::seed::Seed;

/// The role names, strongest first: each implies the ones after it.
pub(crate) const ROLES: [&str; 3] = ["admin", "member", "reader"];

/// A stable id for a named thing: the same seed gives the same ids after a restart, so images
/// persisted with `--state-dir` keep their owners.
pub(crate) fn stable_id(kind: &str, scope: &str, name: &str) -> String {
    let digest = Sha256::digest(format!("{kind}\0{scope}\0{name}").as_bytes());
    hex::encode(&digest[..16])
}

/// A domain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Domain {
    pub(crate) id: String,
    pub(crate) name: String,
}

/// A project.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Project {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) domain_id: String,
}

/// A user, with only a salted hash of its password.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) domain_id: String,
    #[serde(default)]
    pub(crate) password_hash: SecretHash,
    /// The password in plain text, as a state database written before hashing has it: hashed
    /// (and so dropped from the database) when the directory is opened.
    #[serde(default, rename = "password", skip_serializing)]
    pub(crate) legacy_password: Option<String>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("domain_id", &self.domain_id)
            .finish_non_exhaustive()
    }
}

/// A role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Role {
    pub(crate) id: String,
    pub(crate) name: String,
}

/// What a role is assigned on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Target {
    Project(String),
    Domain(String),
    System,
}

/// One role assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Assignment {
    pub(crate) user_id: String,
    pub(crate) target: Target,
    pub(crate) role: String,
}

/// An application credential: a secret (only its salted hash is kept) that yields tokens
/// scoped to one project.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct ApplicationCredential {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) secret_hash: SecretHash,
    /// The secret in plain text, as a state database written before hashing has it (see
    /// [`User::legacy_password`]).
    #[serde(default, rename = "secret", skip_serializing)]
    pub(crate) legacy_secret: Option<String>,
    pub(crate) user_id: String,
    pub(crate) project_id: String,
    /// Delegated role names; `None` = all the user's roles on the project.
    pub(crate) roles: Option<Vec<String>>,
    /// When it stops working (and when its tokens expire at the latest); never when `None`.
    pub(crate) expires_at: Option<jiff::Timestamp>,
    /// `unrestricted` as given on creation: only an unrestricted credential's tokens may
    /// create or delete application credentials. `None` (not given) means restricted.
    pub(crate) unrestricted: Option<bool>,
}

impl ApplicationCredential {
    /// Whether it still works at `now`.
    pub(crate) fn is_valid_at(&self, now: jiff::Timestamp) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }
}

/// Everything Keystone knows, apart from tokens.
#[derive(Clone)]
pub(crate) struct Directory {
    pub(crate) regions: Vec<String>,
    pub(crate) domains: Vec<Domain>,
    pub(crate) projects: Vec<Project>,
    pub(crate) users: Vec<User>,
    pub(crate) roles: Vec<Role>,
    pub(crate) assignments: Vec<Assignment>,
    pub(crate) application_credentials: Vec<ApplicationCredential>,
    /// How the passwords and secrets added are hashed.
    pub(crate) hasher: Hasher,
}

/// The defaults every cloud starts with.
fn default_seed() -> Seed {
    Seed::parse(
        r#"
projects:
  - {name: admin}
  - {name: demo}
users:
  - name: admin
    password: admin
    roles:
      - {role: admin, project: admin}
      - {role: admin, system: true}
  - name: demo
    password: demo
    roles:
      - {role: member, project: demo}
"#,
        false,
    )
    .expect("the default seed parses")
}

impl Directory {
    /// The region, the domain and the roles every cloud has; no project, user or credential
    /// (what a kept directory is loaded into).
    pub(crate) fn bare(hasher: Hasher) -> Directory {
        Directory {
            regions: vec!["RegionOne".to_owned()],
            domains: vec![Domain {
                id: "default".to_owned(),
                name: "Default".to_owned(),
            }],
            projects: Vec::new(),
            users: Vec::new(),
            roles: ROLES
                .iter()
                .map(|name| Role {
                    id: stable_id("role", "", name),
                    name: (*name).to_owned(),
                })
                .collect(),
            assignments: Vec::new(),
            application_credentials: Vec::new(),
            hasher,
        }
    }

    /// The defaults plus `extra`, checked as a whole; `hasher` hashes their passwords.
    pub(crate) fn new(extra: Option<&Seed>, hasher: Hasher) -> anyhow::Result<Directory> {
        let mut directory = Directory::bare(hasher);
        directory.apply(&default_seed())?;
        if let Some(extra) = extra {
            directory.apply(extra)?;
        }
        Ok(directory)
    }

    /// Adds a seed document. On error nothing is changed, and the message names the entry.
    pub(crate) fn apply(&mut self, seed: &Seed) -> anyhow::Result<()> {
        let mut next = self.clone();
        next.apply_in_place(seed)?;
        *self = next;
        Ok(())
    }

    fn apply_in_place(&mut self, seed: &Seed) -> anyhow::Result<()> {
        for region in &seed.regions {
            if !self.regions.contains(region) {
                self.regions.push(region.clone());
            }
        }
        for domain in &seed.domains {
            if self.domain(&domain.name).is_some() {
                anyhow::bail!("seed: domain '{}' already exists", domain.name);
            }
            self.domains.push(Domain {
                id: domain
                    .id
                    .clone()
                    .unwrap_or_else(|| stable_id("domain", "", &domain.name)),
                name: domain.name.clone(),
            });
        }
        for project in &seed.projects {
            let domain_id = self.domain_id(&project.domain, "project", &project.name)?;
            if self.project(&project.name, &domain_id).is_some() {
                anyhow::bail!("seed: project '{}' already exists", project.name);
            }
            self.projects.push(Project {
                id: project
                    .id
                    .clone()
                    .unwrap_or_else(|| stable_id("project", &domain_id, &project.name)),
                name: project.name.clone(),
                domain_id,
            });
        }
        for user in &seed.users {
            let domain_id = self.domain_id(&user.domain, "user", &user.name)?;
            if self.user(&user.name, &domain_id).is_some() {
                anyhow::bail!("seed: user '{}' already exists", user.name);
            }
            let id = user
                .id
                .clone()
                .unwrap_or_else(|| stable_id("user", &domain_id, &user.name));
            for role in &user.roles {
                if !ROLES.contains(&role.role.as_str()) {
                    anyhow::bail!(
                        "seed: user '{}': unknown role '{}' (known: admin, member, reader)",
                        user.name,
                        role.role
                    );
                }
                let target = match (&role.project, &role.domain, role.system) {
                    (Some(project), None, false) => {
                        let pd = self.domain_id(&role.project_domain, "user", &user.name)?;
                        let project = self.project(project, &pd).ok_or_else(|| {
                            anyhow::anyhow!(
                                "seed: user '{}': unknown project '{project}' in roles",
                                user.name
                            )
                        })?;
                        Target::Project(project.id.clone())
                    }
                    (None, Some(domain), false) => {
                        Target::Domain(self.domain_id(domain, "user", &user.name)?)
                    }
                    (None, None, true) => Target::System,
                    _ => anyhow::bail!(
                        "seed: user '{}': each role needs exactly one of project, domain or system",
                        user.name
                    ),
                };
                self.assignments.push(Assignment {
                    user_id: id.clone(),
                    target,
                    role: role.role.clone(),
                });
            }
            self.users.push(User {
                id,
                name: user.name.clone(),
                domain_id,
                password_hash: self.hasher.hash(&user.password),
                legacy_password: None,
            });
        }
        for credential in &seed.application_credentials {
            let what = format!("application credential '{}'", credential.name);
            let ud = self.domain_id(
                &credential.user_domain,
                "application credential",
                &credential.name,
            )?;
            let user = self
                .user(&credential.user, &ud)
                .ok_or_else(|| anyhow::anyhow!("seed: {what}: unknown user '{}'", credential.user))?
                .clone();
            let pd = self.domain_id(
                &credential.project_domain,
                "application credential",
                &credential.name,
            )?;
            let project = self
                .project(&credential.project, &pd)
                .ok_or_else(|| {
                    anyhow::anyhow!("seed: {what}: unknown project '{}'", credential.project)
                })?
                .clone();
            if self
                .effective_roles(&user.id, &Target::Project(project.id.clone()))
                .is_empty()
            {
                anyhow::bail!(
                    "seed: {what}: user '{}' has no role on project '{}'",
                    user.name,
                    project.name
                );
            }
            self.application_credentials.push(ApplicationCredential {
                id: credential.id.clone().unwrap_or_else(|| {
                    stable_id("application_credential", &user.id, &credential.name)
                }),
                name: credential.name.clone(),
                secret_hash: self.hasher.hash(&credential.secret),
                legacy_secret: None,
                user_id: user.id,
                project_id: project.id,
                roles: credential.roles.clone(),
                expires_at: None,
                unrestricted: None,
            });
        }
        Ok(())
    }

    /// Hashes the passwords and secrets a legacy state database kept in plain text.
    pub(crate) fn hash_legacy_secrets(&mut self) {
        let hasher = self.hasher;
        for user in &mut self.users {
            if let Some(password) = user.legacy_password.take() {
                user.password_hash = hasher.hash(&password);
            }
        }
        for credential in &mut self.application_credentials {
            if let Some(secret) = credential.legacy_secret.take() {
                credential.secret_hash = hasher.hash(&secret);
            }
        }
    }

    /// The part of `seed` this directory lacks: what a start-up seed adds to a directory kept
    /// in a state directory (the entries it already has stay as they are).
    pub(crate) fn missing_from(&self, seed: &Seed) -> Seed {
        let domain_of = |id_or_name: &str| self.domain(id_or_name).map(|d| d.id.clone());
        Seed {
            regions: seed.regions.clone(),
            domains: seed
                .domains
                .iter()
                .filter(|d| self.domain(&d.name).is_none())
                .cloned()
                .collect(),
            projects: seed
                .projects
                .iter()
                .filter(|p| {
                    domain_of(&p.domain).is_none_or(|d| self.project(&p.name, &d).is_none())
                })
                .cloned()
                .collect(),
            users: seed
                .users
                .iter()
                .filter(|u| domain_of(&u.domain).is_none_or(|d| self.user(&u.name, &d).is_none()))
                .cloned()
                .collect(),
            application_credentials: seed
                .application_credentials
                .iter()
                .filter(|c| {
                    let user = domain_of(&c.user_domain)
                        .and_then(|d| self.user(&c.user, &d).map(|u| u.id.clone()));
                    user.is_none_or(|user| {
                        !self
                            .application_credentials
                            .iter()
                            .any(|existing| existing.user_id == user && existing.name == c.name)
                    })
                })
                .cloned()
                .collect(),
            ..Seed::default()
        }
    }

    fn domain_id(&self, id_or_name: &str, kind: &str, name: &str) -> anyhow::Result<String> {
        self.domain(id_or_name)
            .map(|d| d.id.clone())
            .ok_or_else(|| anyhow::anyhow!("seed: {kind} '{name}': unknown domain '{id_or_name}'"))
    }

    /// A domain by id or name.
    pub(crate) fn domain(&self, id_or_name: &str) -> Option<&Domain> {
        self.domains
            .iter()
            .find(|d| d.id == id_or_name)
            .or_else(|| self.domains.iter().find(|d| d.name == id_or_name))
    }

    /// A domain by id.
    pub(crate) fn domain_by_id(&self, id: &str) -> Option<&Domain> {
        self.domains.iter().find(|d| d.id == id)
    }

    /// A project by id, or by name within `domain_id`.
    pub(crate) fn project(&self, id_or_name: &str, domain_id: &str) -> Option<&Project> {
        self.project_by_id(id_or_name).or_else(|| {
            self.projects
                .iter()
                .find(|p| p.name == id_or_name && p.domain_id == domain_id)
        })
    }

    /// A project by id.
    pub(crate) fn project_by_id(&self, id: &str) -> Option<&Project> {
        self.projects.iter().find(|p| p.id == id)
    }

    /// A user by id, or by name within `domain_id`.
    pub(crate) fn user(&self, id_or_name: &str, domain_id: &str) -> Option<&User> {
        self.user_by_id(id_or_name).or_else(|| {
            self.users
                .iter()
                .find(|u| u.name == id_or_name && u.domain_id == domain_id)
        })
    }

    /// A user by id.
    pub(crate) fn user_by_id(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The roles `user_id` holds on `target`, implied roles included, strongest first.
    pub(crate) fn effective_roles(&self, user_id: &str, target: &Target) -> Vec<Role> {
        let strongest = self
            .assignments
            .iter()
            .filter(|a| a.user_id == user_id && &a.target == target)
            .filter_map(|a| ROLES.iter().position(|r| *r == a.role))
            .min();
        self.implied_from(strongest)
    }

    /// A role and every role it implies.
    pub(crate) fn implied_from(&self, strongest: Option<usize>) -> Vec<Role> {
        match strongest {
            Some(index) => ROLES[index..]
                .iter()
                .filter_map(|name| self.roles.iter().find(|r| r.name == *name).cloned())
                .collect(),
            None => Vec::new(),
        }
    }

    /// The projects where `user_id` holds any role.
    pub(crate) fn projects_of(&self, user_id: &str) -> Vec<&Project> {
        self.projects
            .iter()
            .filter(|p| {
                self.assignments
                    .iter()
                    .any(|a| a.user_id == user_id && a.target == Target::Project(p.id.clone()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_have_admin_and_demo() {
        let d = Directory::new(None, Hasher::default()).unwrap();
        let admin = d.user("admin", "default").unwrap();
        let project = d.project("admin", "default").unwrap();
        let roles: Vec<_> = d
            .effective_roles(&admin.id, &Target::Project(project.id.clone()))
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(roles, ["admin", "member", "reader"]);
        let demo = d.user("demo", "default").unwrap();
        assert!(
            d.effective_roles(&demo.id, &Target::Project(project.id.clone()))
                .is_empty()
        );
        assert_eq!(d.effective_roles(&admin.id, &Target::System).len(), 3);
    }

    #[test]
    fn ids_are_stable() {
        let a = Directory::new(None, Hasher::default()).unwrap();
        let b = Directory::new(None, Hasher::default()).unwrap();
        assert_eq!(a.projects[0].id, b.projects[0].id);
        assert_eq!(a.projects[0].id.len(), 32);
    }

    #[test]
    fn bad_seeds_name_the_entry_and_change_nothing() {
        let mut d = Directory::new(None, Hasher::default()).unwrap();
        let seed = Seed::parse(
            "users: [{name: eve, password: x, roles: [{role: member, project: nowhere}]}]",
            false,
        )
        .unwrap();
        let err = d.apply(&seed).unwrap_err().to_string();
        assert!(err.contains("eve") && err.contains("nowhere"), "{err}");
        assert!(d.user("eve", "default").is_none());
        let seed = Seed::parse(
            "users: [{name: eve, password: x, roles: [{role: boss, system: true}]}]",
            false,
        )
        .unwrap();
        assert!(d.apply(&seed).unwrap_err().to_string().contains("boss"));
        let seed = Seed::parse("users: [{name: admin, password: x}]", false).unwrap();
        assert!(
            d.apply(&seed)
                .unwrap_err()
                .to_string()
                .contains("already exists")
        );
    }
}
