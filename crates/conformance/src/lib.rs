//! The conformance suite: one set of SDK calls for identity, image and network, each a named
//! async case that takes a [`Target`] (cloud configurations for an admin, a member and a
//! domain administrator), run against the real services and against the mock cloud alike.
//!
//! The network cases need a Neutron: a target without one ([`Target::without_network`], real
//! Keystone + Glance alone) reports them as skipped instead of running them.
//!
//! ```no_run
//! # async fn demo(auth_url: &str) {
//! let scratch = tempfile::tempdir().unwrap();
//! let target = ferrostack_conformance::Target::standard("mock", auth_url, scratch.path());
//! let report = ferrostack_conformance::run(&target).await;
//! assert!(report.passed(), "{}", report.failures());
//! # }
//! ```
//!
//! Every case cleans up what it made (images are tagged with the case's own tag and deleted,
//! protected or not, when it ends; networks, ports, routers and security groups carry the
//! case's prefix in their name, floating IPs and rules in their description, and are deleted
//! in dependency order), so the suite can run against a long-lived cloud, and a case that
//! leaves anything behind fails.
//!
//! Both backends are set up with the same accounts ([`ADMIN`], [`DEMO`], [`DOMAIN_ADMIN`]):
//! the mock cloud seeds them from [`MOCK_SEED`], the real services are given them over HTTP.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrostack::config::AuthConfig;
use ferrostack::config::CloudConfig;
use futures::future::BoxFuture;

mod disks;
mod expect;
mod fixture;
mod identity;
mod image;
mod network;
mod report;

pub use fixture::Fixture;
pub use report::{Outcome, Report, table};

/// An account both backends have: user name, password and the project it works in.
#[derive(Debug, Clone, Copy)]
pub struct Account {
    /// The user's name (domain `default`).
    pub user: &'static str,
    /// Its password (throwaway clouds on loopback only).
    pub password: &'static str,
    /// The project it has a role on, if any.
    pub project: Option<&'static str>,
}

/// The administrator: role `admin` on project `admin` and on the system.
pub const ADMIN: Account = Account {
    user: "admin",
    password: "admin",
    project: Some("admin"),
};

/// A plain member of project `demo`.
pub const DEMO: Account = Account {
    user: "demo",
    password: "demo",
    project: Some("demo"),
};

/// A user whose only role is `admin` on domain `default`: what a domain-scoped token needs.
pub const DOMAIN_ADMIN: Account = Account {
    user: "conformance-domain-admin",
    password: "conformance-domain-admin",
    project: None,
};

/// The mock cloud's seed document for the accounts it lacks by default ([`DOMAIN_ADMIN`]).
pub const MOCK_SEED: &str = "users:\n  - name: conformance-domain-admin\n    \
     password: conformance-domain-admin\n    roles:\n      - {role: admin, domain: default}\n";

/// How long one case may take before it counts as hung (the 60-image listing is the
/// slowest, a few seconds against real Glance).
const CASE_DEADLINE: Duration = Duration::from_secs(180);

/// Where the suite runs: the cloud configurations it needs.
#[derive(Debug, Clone)]
pub struct Target {
    /// A short name for reports (`real`, `mock`).
    pub name: String,
    /// [`ADMIN`], password by name, scoped to project `admin`.
    pub admin: CloudConfig,
    /// [`DEMO`], password by name, scoped to project `demo`.
    pub demo: CloudConfig,
    /// [`DOMAIN_ADMIN`], password by name, scoped to domain `default`.
    pub domain_admin: CloudConfig,
    /// A folder for the disk images the cases make (with qemu-img); it must exist.
    pub scratch: PathBuf,
    /// Whether the cloud has a network service (Neutron) in its catalog: the network cases
    /// are skipped when it has not.
    pub network: bool,
}

impl Target {
    /// The standard accounts on the Keystone at `auth_url` (with or without `/v3`).
    pub fn standard(name: &str, auth_url: &str, scratch: &Path) -> Target {
        let domain_admin = {
            let mut config = password_config(auth_url, &DOMAIN_ADMIN);
            config.auth.domain_id = Some("default".into());
            config
        };
        Target {
            name: name.to_owned(),
            admin: password_config(auth_url, &ADMIN),
            demo: password_config(auth_url, &DEMO),
            domain_admin,
            scratch: scratch.to_owned(),
            network: true,
        }
    }

    /// The same target, known to have no network service (real Keystone + Glance alone):
    /// the network cases are skipped, not failed.
    pub fn without_network(mut self) -> Target {
        self.network = false;
        self
    }

    /// Whether `case` can run here (its services are in the target's catalog).
    pub fn can_run(&self, case: &Case) -> bool {
        self.network || !case.network
    }
}

/// A password configuration for `account` (by name, domain `default`), scoped to its project
/// when it has one, in region `RegionOne`.
pub fn password_config(auth_url: &str, account: &Account) -> CloudConfig {
    let mut config = CloudConfig::new();
    config.name = Some(format!("conformance-{}", account.user));
    config.region_name = Some("RegionOne".into());
    config.auth = AuthConfig {
        auth_url: Some(auth_url.to_owned()),
        username: Some(account.user.to_owned()),
        password: Some(ferrostack::Secret::new(account.password)),
        user_domain_id: Some("default".into()),
        project_name: account.project.map(str::to_owned),
        project_domain_id: account.project.map(|_| "default".to_owned()),
        ..AuthConfig::default()
    };
    config
}

/// The body of a case.
type CaseFn = Arc<dyn for<'a> Fn(&'a Fixture) -> BoxFuture<'a, anyhow::Result<()>> + Send + Sync>;

/// One named case of the suite.
#[derive(Clone)]
pub struct Case {
    /// `area.what`, e.g. `image.upload.qcow2`.
    pub name: String,
    /// Whether it needs a network service (Neutron).
    network: bool,
    run: CaseFn,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case").field("name", &self.name).finish()
    }
}

impl Case {
    /// A case named `name` running `run`.
    pub fn new(
        name: impl Into<String>,
        run: impl for<'a> Fn(&'a Fixture) -> BoxFuture<'a, anyhow::Result<()>> + Send + Sync + 'static,
    ) -> Case {
        Case {
            name: name.into(),
            network: false,
            run: Arc::new(run),
        }
    }

    /// The same case, needing a network service: skipped on a target without one, and its
    /// fixture cleans up the networks, ports, routers, security groups and floating IPs it
    /// made.
    pub fn needing_network(mut self) -> Case {
        self.network = true;
        self
    }

    /// Whether it needs a network service (Neutron).
    pub fn needs_network(&self) -> bool {
        self.network
    }
}

/// Declares a case from an `async fn(&Fixture) -> anyhow::Result<()>`, named by its path.
macro_rules! case {
    ($name:literal, $f:path) => {
        $crate::Case::new($name, |fixture| Box::pin($f(fixture)))
    };
}

/// Declares a case that needs Neutron, as [`case!`] does.
macro_rules! network_case {
    ($name:literal, $f:path) => {
        $crate::case!($name, $f).needing_network()
    };
}
pub(crate) use {case, network_case};

/// Every case, in the order they run: identity first (the image cases need its tokens),
/// then image, then network.
pub fn cases() -> Vec<Case> {
    let mut all = identity::cases();
    all.extend(image::cases());
    all.extend(network::cases());
    all
}

/// The network cases alone (those that need Neutron), in the order they run.
pub fn network_cases() -> Vec<Case> {
    cases().into_iter().filter(Case::needs_network).collect()
}

/// Runs every case against `target`, one after another.
pub async fn run(target: &Target) -> Report {
    run_matching(target, None).await
}

/// Runs the cases whose name contains `filter` (every case when `None`).
pub async fn run_matching(target: &Target, filter: Option<&str>) -> Report {
    run_cases(target, &cases(), filter).await
}

/// Runs those of `cases` whose name contains `filter` (all of them when `None`), one after
/// another; a case the target cannot run (no network service) is reported as skipped.
pub async fn run_cases(target: &Target, cases: &[Case], filter: Option<&str>) -> Report {
    let mut outcomes = Vec::new();
    let mut skipped = Vec::new();
    for case in cases {
        if filter.is_some_and(|f| !case.name.contains(f)) {
            continue;
        }
        if target.can_run(case) {
            outcomes.push(run_case(target, case).await);
        } else {
            skipped.push(case.name.clone());
        }
    }
    Report {
        target: target.name.clone(),
        outcomes,
        skipped,
    }
}

/// One case: its body, then the clean-up (always), then the check that nothing was left.
async fn run_case(target: &Target, case: &Case) -> Outcome {
    let started = Instant::now();
    let result = async {
        let fixture = Fixture::new(target, &case.name)?.cleaning_network(case.network);
        let body = tokio::time::timeout(CASE_DEADLINE, (case.run)(&fixture)).await;
        let body = body.unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "the case did not finish within {CASE_DEADLINE:?}"
            ))
        });
        let cleaned = fixture.clean_up().await;
        match (body, cleaned) {
            (Err(err), Err(also)) => {
                Err(anyhow::anyhow!("{err:#}; cleaning up failed too: {also:#}"))
            }
            (Err(err), Ok(())) | (Ok(()), Err(err)) => Err(err),
            (Ok(()), Ok(())) => Ok(()),
        }
    }
    .await;
    Outcome {
        case: case.name.clone(),
        error: result.err().map(|e| format!("{e:#}")),
        elapsed: started.elapsed(),
    }
}
