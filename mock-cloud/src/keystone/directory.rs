//! Keystone's directory: domains, projects, users, roles, role assignments, application
//! credentials and regions. Built from the defaults plus the seed documents.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::secret_hash::{Hasher, SecretHash};
use crate::cloud::seed::Seed;

/// The roles `keystone-manage bootstrap` makes (Keystone 30), in the order it lists them.
pub(crate) const BOOTSTRAP_ROLES: [&str; 5] = ["admin", "manager", "member", "reader", "service"];

/// The implications bootstrap makes: admin implies manager implies member implies reader.
const BOOTSTRAP_IMPLIED: [(&str, &str); 3] = [
    ("admin", "manager"),
    ("manager", "member"),
    ("member", "reader"),
];

/// A stable id for a named thing: the same seed gives the same ids after a restart, so images
/// persisted with `--state-dir` keep their owners.
pub(crate) fn stable_id(kind: &str, scope: &str, name: &str) -> String {
    let digest = Sha256::digest(format!("{kind}\0{scope}\0{name}").as_bytes());
    hex::encode(&digest[..16])
}

fn yes() -> bool {
    true
}

/// Attributes a caller set that Keystone keeps without a column of their own (`email` of a
/// user, `--property` of a project): rendered at the top level of the resource.
pub(crate) type Extra = serde_json::Map<String, serde_json::Value>;

/// A domain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Domain {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: String,
    #[serde(default = "yes")]
    pub(crate) enabled: bool,
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    #[serde(default)]
    pub(crate) extra: Extra,
}

impl Domain {
    pub(crate) fn new(id: String, name: String) -> Domain {
        Domain {
            id,
            name,
            description: String::new(),
            enabled: true,
            tags: Vec::new(),
            extra: Extra::new(),
        }
    }
}

/// A project.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Project {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) domain_id: String,
    #[serde(default)]
    pub(crate) description: String,
    #[serde(default = "yes")]
    pub(crate) enabled: bool,
    /// The parent project; `None` for a project at the top of its domain (Keystone then
    /// names the domain as `parent_id`).
    #[serde(default)]
    pub(crate) parent_id: Option<String>,
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    #[serde(default)]
    pub(crate) extra: Extra,
}

impl Project {
    pub(crate) fn new(id: String, name: String, domain_id: String) -> Project {
        Project {
            id,
            name,
            domain_id,
            description: String::new(),
            enabled: true,
            parent_id: None,
            tags: Vec::new(),
            extra: Extra::new(),
        }
    }
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
    #[serde(default = "yes")]
    pub(crate) enabled: bool,
    #[serde(default)]
    pub(crate) default_project_id: Option<String>,
    /// `email`, `description` and whatever else the caller set.
    #[serde(default)]
    pub(crate) extra: Extra,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("domain_id", &self.domain_id)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// A group of users.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Group {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) domain_id: String,
    #[serde(default)]
    pub(crate) description: String,
    /// Its members' user ids.
    #[serde(default)]
    pub(crate) members: Vec<String>,
}

/// A role: global (`domain_id` none) or specific to a domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Role {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) domain_id: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
}

/// `prior` implies `implied` (role ids): holding the first grants the second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Implication {
    pub(crate) prior: String,
    pub(crate) implied: String,
}

/// What a role is assigned on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Target {
    Project(String),
    Domain(String),
    System,
}

/// One role assignment, to a user or to a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Assignment {
    /// The user's id; empty for a group's assignment.
    #[serde(default)]
    pub(crate) user_id: String,
    #[serde(default)]
    pub(crate) group_id: Option<String>,
    pub(crate) target: Target,
    /// The role's id (a database written before roles could be made kept its name, and is
    /// read back as the id).
    pub(crate) role: String,
    /// `OS-INHERIT`: the assignment applies to the projects below the target, not to it.
    #[serde(default)]
    pub(crate) inherited: bool,
}

/// Who an assignment is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Actor<'a> {
    User(&'a str),
    Group(&'a str),
}

impl Assignment {
    pub(crate) fn new(actor: Actor<'_>, target: Target, role: &str, inherited: bool) -> Self {
        let (user_id, group_id) = match actor {
            Actor::User(id) => (id.to_owned(), None),
            Actor::Group(id) => (String::new(), Some(id.to_owned())),
        };
        Assignment {
            user_id,
            group_id,
            target,
            role: role.to_owned(),
            inherited,
        }
    }

    pub(crate) fn actor(&self) -> Actor<'_> {
        match &self.group_id {
            Some(id) => Actor::Group(id),
            None => Actor::User(&self.user_id),
        }
    }
}

/// A region of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Region {
    pub(crate) id: String,
    pub(crate) description: String,
    pub(crate) parent_region_id: Option<String>,
}

impl Region {
    pub(crate) fn named(id: &str) -> Region {
        Region {
            id: id.to_owned(),
            description: String::new(),
            parent_region_id: None,
        }
    }
}

/// A region row: an object, or the bare name a database written before regions could be made
/// kept.
impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Full {
            id: String,
            #[serde(default)]
            description: String,
            #[serde(default)]
            parent_region_id: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Row {
            Name(String),
            Full(Full),
        }
        Ok(match Row::deserialize(d)? {
            Row::Name(id) => Region::named(&id),
            Row::Full(f) => Region {
                id: f.id,
                description: f.description,
                parent_region_id: f.parent_region_id,
            },
        })
    }
}

/// A service of the catalog.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Service {
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) enabled: bool,
    /// `name`, `description` and the rest, as given.
    #[serde(default)]
    pub(crate) extra: Extra,
}

/// An endpoint of a service.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Endpoint {
    pub(crate) id: String,
    pub(crate) service_id: String,
    pub(crate) interface: String,
    pub(crate) region_id: Option<String>,
    /// The URL; one of the cloud's own services has a path (`/compute/v2.1`), rendered
    /// behind the address the cloud bound (an API URL always has a scheme).
    pub(crate) url: String,
    pub(crate) enabled: bool,
    #[serde(default)]
    pub(crate) extra: Extra,
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
    pub(crate) regions: Vec<Region>,
    pub(crate) domains: Vec<Domain>,
    pub(crate) projects: Vec<Project>,
    pub(crate) users: Vec<User>,
    pub(crate) groups: Vec<Group>,
    pub(crate) roles: Vec<Role>,
    pub(crate) implications: Vec<Implication>,
    pub(crate) assignments: Vec<Assignment>,
    pub(crate) application_credentials: Vec<ApplicationCredential>,
    pub(crate) services: Vec<Service>,
    pub(crate) endpoints: Vec<Endpoint>,
    /// How the passwords and secrets added are hashed.
    pub(crate) hasher: Hasher,
}

/// The services the cloud serves: type, name, and the path of their catalog URL.
const OWN_SERVICES: [(&str, &str, &str); 4] = [
    ("identity", "keystone", "/identity"),
    // Glance's catalog URL is unversioned: clients discover v2 from it.
    ("image", "glance", "/image"),
    ("compute", "nova", "/compute/v2.1"),
    // devstack's path; clients append `v2.0` themselves (no version discovery for Neutron).
    ("network", "neutron", "/networking"),
];

/// The three interfaces each of the cloud's own endpoints is published on.
pub(crate) const INTERFACES: [&str; 3] = ["public", "internal", "admin"];

/// The default seed: what `keystone-manage bootstrap` and devstack leave.
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
    /// The region, the domain, the roles and the catalog every cloud has; no project, user
    /// or credential (what a kept directory is loaded into).
    pub(crate) fn bare(hasher: Hasher) -> Directory {
        let roles: Vec<Role> = BOOTSTRAP_ROLES
            .iter()
            .map(|name| Role {
                id: stable_id("role", "", name),
                name: (*name).to_owned(),
                domain_id: None,
                description: None,
            })
            .collect();
        let implications = BOOTSTRAP_IMPLIED
            .iter()
            .map(|(prior, implied)| Implication {
                prior: stable_id("role", "", prior),
                implied: stable_id("role", "", implied),
            })
            .collect();
        let mut directory = Directory {
            regions: Vec::new(),
            domains: vec![Domain::new("default".to_owned(), "Default".to_owned())],
            projects: Vec::new(),
            users: Vec::new(),
            groups: Vec::new(),
            roles,
            implications,
            assignments: Vec::new(),
            application_credentials: Vec::new(),
            services: OWN_SERVICES
                .iter()
                .map(|(kind, name, _)| Service {
                    id: stable_id("service", "", kind),
                    kind: (*kind).to_owned(),
                    enabled: true,
                    extra: [("name".to_owned(), serde_json::json!(name))]
                        .into_iter()
                        .collect(),
                })
                .collect(),
            endpoints: Vec::new(),
            hasher,
        };
        directory.add_region("RegionOne");
        directory
    }

    /// Adds a region the seed names, with an endpoint of each of the cloud's own services on
    /// each interface there (a region made through the API gets none, as in Keystone).
    pub(crate) fn add_region(&mut self, id: &str) {
        if self.region(id).is_some() {
            return;
        }
        self.regions.push(Region::named(id));
        for (kind, _, path) in OWN_SERVICES {
            let service_id = stable_id("service", "", kind);
            if !self.services.iter().any(|s| s.id == service_id) {
                continue;
            }
            for interface in INTERFACES {
                self.endpoints.push(Endpoint {
                    id: stable_id("endpoint", id, &format!("{kind}/{interface}")),
                    service_id: service_id.clone(),
                    interface: interface.to_owned(),
                    region_id: Some(id.to_owned()),
                    url: path.to_owned(),
                    enabled: true,
                    extra: Extra::new(),
                });
            }
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
            self.add_region(region);
        }
        for domain in &seed.domains {
            if self.domain(&domain.name).is_some() {
                anyhow::bail!("seed: domain '{}' already exists", domain.name);
            }
            self.domains.push(Domain::new(
                domain
                    .id
                    .clone()
                    .unwrap_or_else(|| stable_id("domain", "", &domain.name)),
                domain.name.clone(),
            ));
        }
        for project in &seed.projects {
            let domain_id = self.domain_id(&project.domain, "project", &project.name)?;
            if self.project(&project.name, &domain_id).is_some() {
                anyhow::bail!("seed: project '{}' already exists", project.name);
            }
            self.projects.push(Project::new(
                project
                    .id
                    .clone()
                    .unwrap_or_else(|| stable_id("project", &domain_id, &project.name)),
                project.name.clone(),
                domain_id,
            ));
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
                let Some(role_id) = self.global_role(&role.role).map(|r| r.id.clone()) else {
                    anyhow::bail!(
                        "seed: user '{}': unknown role '{}' (known: {})",
                        user.name,
                        role.role,
                        BOOTSTRAP_ROLES.join(", ")
                    );
                };
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
                self.assignments
                    .push(Assignment::new(Actor::User(&id), target, &role_id, false));
            }
            self.users.push(User {
                id,
                name: user.name.clone(),
                domain_id,
                password_hash: self.hasher.hash(&user.password),
                legacy_password: None,
                enabled: true,
                default_project_id: None,
                extra: Extra::new(),
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

    /// Hashes the passwords and secrets a legacy state database kept in plain text, and
    /// reads the role names its assignments kept as the roles' ids.
    pub(crate) fn upgrade_legacy_rows(&mut self) {
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
        let roles = self.roles.clone();
        for assignment in &mut self.assignments {
            if !roles.iter().any(|r| r.id == assignment.role)
                && let Some(role) = roles
                    .iter()
                    .find(|r| r.name == assignment.role && r.domain_id.is_none())
            {
                assignment.role = role.id.clone();
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

    /// The projects above `project_id`, nearest first.
    pub(crate) fn ancestors(&self, project_id: &str) -> Vec<&Project> {
        let mut found: Vec<&Project> = Vec::new();
        let mut next = self
            .project_by_id(project_id)
            .and_then(|p| p.parent_id.clone());
        while let Some(id) = next {
            match self.project_by_id(&id) {
                Some(p) if !found.iter().any(|f| f.id == p.id) => {
                    next = p.parent_id.clone();
                    found.push(p);
                }
                _ => break,
            }
        }
        found
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

    /// A group by id.
    pub(crate) fn group_by_id(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// A role by id.
    pub(crate) fn role_by_id(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// A global role by name.
    pub(crate) fn global_role(&self, name: &str) -> Option<&Role> {
        self.roles
            .iter()
            .find(|r| r.name == name && r.domain_id.is_none())
    }

    /// A region by id.
    pub(crate) fn region(&self, id: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.id == id)
    }

    /// The groups `user_id` is a member of.
    pub(crate) fn groups_of(&self, user_id: &str) -> impl Iterator<Item = &Group> {
        self.groups
            .iter()
            .filter(move |g| g.members.iter().any(|m| m == user_id))
    }

    /// The ids of the roles assigned to `user_id` (directly or through its groups) that take
    /// effect on `target`: on a project, those on it, and the inherited ones on its domain
    /// and on the projects above it.
    fn assigned_role_ids(&self, user_id: &str, target: &Target) -> Vec<&str> {
        let groups: Vec<&str> = self.groups_of(user_id).map(|g| g.id.as_str()).collect();
        let holds = |a: &Assignment| match a.actor() {
            Actor::User(id) => id == user_id,
            Actor::Group(id) => groups.contains(&id),
        };
        let applies = |a: &Assignment| match target {
            Target::Project(id) => {
                (!a.inherited && a.target == *target)
                    || (a.inherited
                        && self.project_by_id(id).is_some_and(|p| {
                            a.target == Target::Domain(p.domain_id.clone())
                                || self
                                    .ancestors(id)
                                    .iter()
                                    .any(|up| a.target == Target::Project(up.id.clone()))
                        }))
            }
            Target::Domain(_) | Target::System => !a.inherited && a.target == *target,
        };
        self.assignments
            .iter()
            .filter(|a| holds(a) && applies(a))
            .map(|a| a.role.as_str())
            .collect()
    }

    /// The roles `user_id` holds on `target`, implied roles included, in the order roles are
    /// listed.
    pub(crate) fn effective_roles(&self, user_id: &str, target: &Target) -> Vec<Role> {
        let assigned = self.assigned_role_ids(user_id, target);
        self.expand(&assigned)
    }

    /// The roles `ids` name and every role they imply, in the order roles are listed.
    pub(crate) fn expand(&self, ids: &[&str]) -> Vec<Role> {
        let mut held: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
        let mut i = 0;
        while i < held.len() {
            let prior = held[i].clone();
            for implication in self.implications.iter().filter(|m| m.prior == prior) {
                if !held.contains(&implication.implied) {
                    held.push(implication.implied.clone());
                }
            }
            i += 1;
        }
        self.roles
            .iter()
            .filter(|r| held.contains(&r.id))
            .cloned()
            .collect()
    }

    /// The projects where `user_id` holds any role.
    pub(crate) fn projects_of(&self, user_id: &str) -> Vec<&Project> {
        self.projects
            .iter()
            .filter(|p| {
                !self
                    .assigned_role_ids(user_id, &Target::Project(p.id.clone()))
                    .is_empty()
            })
            .collect()
    }

    /// Forgets a project, the projects' assignments on it, and its application credentials.
    pub(crate) fn remove_project(&mut self, id: &str) {
        self.projects.retain(|p| p.id != id);
        let target = Target::Project(id.to_owned());
        self.assignments.retain(|a| a.target != target);
        self.application_credentials.retain(|c| c.project_id != id);
    }

    /// Forgets a user, its assignments, memberships and application credentials.
    pub(crate) fn remove_user(&mut self, id: &str) {
        self.users.retain(|u| u.id != id);
        self.assignments.retain(|a| a.actor() != Actor::User(id));
        for group in &mut self.groups {
            group.members.retain(|m| m != id);
        }
        self.application_credentials.retain(|c| c.user_id != id);
    }

    /// Forgets a group and its assignments.
    pub(crate) fn remove_group(&mut self, id: &str) {
        self.groups.retain(|g| g.id != id);
        self.assignments.retain(|a| a.actor() != Actor::Group(id));
    }

    /// Forgets a role, its assignments and the implications it is part of.
    pub(crate) fn remove_role(&mut self, id: &str) {
        self.roles.retain(|r| r.id != id);
        self.assignments.retain(|a| a.role != id);
        self.implications
            .retain(|m| m.prior != id && m.implied != id);
    }

    /// Forgets a domain and everything in it: projects, users, groups, its roles and the
    /// assignments on it.
    pub(crate) fn remove_domain(&mut self, id: &str) {
        let projects: Vec<String> = self
            .projects
            .iter()
            .filter(|p| p.domain_id == id)
            .map(|p| p.id.clone())
            .collect();
        for project in projects {
            self.remove_project(&project);
        }
        let users: Vec<String> = self
            .users
            .iter()
            .filter(|u| u.domain_id == id)
            .map(|u| u.id.clone())
            .collect();
        for user in users {
            self.remove_user(&user);
        }
        let groups: Vec<String> = self
            .groups
            .iter()
            .filter(|g| g.domain_id == id)
            .map(|g| g.id.clone())
            .collect();
        for group in groups {
            self.remove_group(&group);
        }
        let roles: Vec<String> = self
            .roles
            .iter()
            .filter(|r| r.domain_id.as_deref() == Some(id))
            .map(|r| r.id.clone())
            .collect();
        for role in roles {
            self.remove_role(&role);
        }
        let target = Target::Domain(id.to_owned());
        self.assignments.retain(|a| a.target != target);
        self.domains.retain(|d| d.id != id);
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
        assert_eq!(roles, ["admin", "manager", "member", "reader"]);
        let demo = d.user("demo", "default").unwrap();
        assert!(
            d.effective_roles(&demo.id, &Target::Project(project.id.clone()))
                .is_empty()
        );
        assert_eq!(d.effective_roles(&admin.id, &Target::System).len(), 4);
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
