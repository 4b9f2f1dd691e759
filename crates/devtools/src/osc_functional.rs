//! `cargo xtask osc-functional [--full] [--tests PATH,...] [-k EXPR]`: python-openstackclient 10.5's
//! own functional tests (shipped in its wheel, `openstackclient/tests/functional`) against a
//! mock cloud, twice and at the same time: with the real `openstack`, and with `fstack`
//! linked as `openstack`, each on a fresh mock cloud of its own seeded as devstack would be
//! for them.
//!
//! It prints a `test | openstack | fstack` table and fails when a test passes with
//! `openstack` and not with `fstack`, unless the test is in [`PENDING`] (the commands fstack
//! does not have yet, each named); a pending test that passes fails the run too, so that the
//! list only shrinks. Tests that fail with both are what the mock lacks (issue by issue);
//! they are counted and listed, but are not fstack's failure.
//!
//! `compute/v2/test_server.py` takes about 20 minutes with `openstack` (each of its tests
//! boots and waits for servers, one python start per command): it runs with `--full`.
//!
//! The tests call `openstack --os-cloud devstack-admin ...` from `PATH` with every `OS_*`
//! variable removed, so the clouds live in `$HOME/.config/openstack/clouds.yaml` of a `HOME`
//! made for the run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use mock_cloud::{MockCloud, Seed};
use xtask::prerequisites::{self, Venv};
use xtask::{flag_value, step, target_dir};

/// The venv of OpenStack's own suites: the clients the tests drive, tempest (whose
/// `tempest.lib` they are written with) and pytest to run them.
const SUITE_PACKAGES: &[&str] = &[
    "python-openstackclient==10.5.0",
    "openstacksdk==4.22.0",
    "tempest==47.0.0",
    "pytest==9.2.0",
];

/// The test modules run by default, under `openstackclient/tests/functional/`: images,
/// compute (flavor, keypair, server event, server group, aggregate) and identity (project,
/// user, role, domain).
const DEFAULT_TESTS: &[&str] = &[
    "image/v2",
    "compute/v2/test_flavor.py",
    "compute/v2/test_keypair.py",
    "compute/v2/test_server_event.py",
    "compute/v2/test_server_group.py",
    "compute/v2/test_aggregate.py",
    "identity/v3/test_project.py",
    "identity/v3/test_user.py",
    "identity/v3/test_role.py",
    "identity/v3/test_domain.py",
];

/// What `--full` adds: the server tests, too long for CI.
const FULL_TESTS: &[&str] = &["compute/v2/test_server.py"];

/// Tests that pass with `openstack` and not yet with `fstack`, and what fstack lacks for
/// each (short node ids, as the table prints them).
const PENDING: &[(&str, &str)] = &[];

/// The image the compute tests look for (`cirros-*-disk`, as devstack uploads it).
const SEED: &str = r#"
images:
  - name: cirros-0.6.3-x86_64-disk
    visibility: public
    disk_format: raw
    container_format: bare
    content: "a disk the fake driver boots"
"#;

/// How one test ended, as pytest reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Passed,
    Failed,
    Error,
    Skipped,
    /// pytest named it for one client and not the other (a collection difference).
    Missing,
}

impl Outcome {
    fn word(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Error => "error",
            Outcome::Skipped => "skipped",
            Outcome::Missing => "-",
        }
    }
}

/// One client's run: every test's outcome, by pytest node id, and how long it took.
struct Run {
    outcomes: BTreeMap<String, Outcome>,
    took: Duration,
    log: PathBuf,
}

impl Run {
    fn passed(&self) -> usize {
        self.outcomes
            .values()
            .filter(|o| **o == Outcome::Passed)
            .count()
    }
}

/// Runs the suites with both clients and compares.
pub fn run(args: &[String]) -> Result<()> {
    let full = args.iter().any(|a| a == "--full");
    let tests: Vec<String> = match flag_value::<String>(args, "--tests")? {
        Some(list) => list.split(',').map(str::to_owned).collect(),
        None => DEFAULT_TESTS
            .iter()
            .chain(if full { FULL_TESTS } else { &[] })
            .map(|t| (*t).to_owned())
            .collect(),
    };
    let keyword: Option<String> = flag_value(args, "-k")?;
    let venv = prerequisites::ensure_venv("suites", SUITE_PACKAGES, "pytest")?;
    let fstack = target_dir().join("debug").join("fstack");
    if !fstack.is_file() {
        bail!(
            "{} is missing: build it first (cargo build -p ferrostack-cli)",
            fstack.display()
        );
    }
    let dir = target_dir()
        .join("osc-functional")
        .join(format!("run-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let functional = functional_dir(&venv)?;
    let paths: Vec<PathBuf> = tests.iter().map(|t| functional.join(t)).collect();
    for path in &paths {
        if !path.exists() {
            bail!(
                "--tests: {} is not in openstackclient's wheel",
                path.display()
            );
        }
    }

    let runtime = tokio::runtime::Runtime::new()?;
    let clients = [
        ("openstack", venv.bin().join("openstack")),
        ("fstack", fstack.clone()),
    ];
    step(format!(
        "python-openstackclient 10.5's functional tests ({}) with openstack and with fstack as \
         `openstack`, side by side, each on a fresh mock cloud of its own",
        tests.join(", ")
    ));
    let mut clouds = Vec::new();
    for _ in &clients {
        let seed = Seed::parse(SEED, false)?;
        clouds.push(runtime.block_on(MockCloud::builder().seed(seed).start())?);
    }
    // The two runs at once: the openstack one spends its time starting python, one process
    // after another, and leaves the other core to fstack's.
    let runs: Vec<Result<Run>> = std::thread::scope(|scope| {
        let handles: Vec<_> = clients
            .iter()
            .zip(&clouds)
            .map(|((client, openstack), cloud)| {
                let home = dir.join(client);
                let (venv, paths, keyword) = (&venv, &paths, keyword.as_deref());
                scope.spawn(move || run_pytest(venv, cloud, &home, openstack, paths, keyword))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| bail!("a pytest run panicked")))
            .collect()
    });
    for cloud in clouds {
        runtime.block_on(cloud.stop());
    }
    let runs: Vec<Run> = runs.into_iter().collect::<Result<_>>()?;
    for ((client, _), run) in clients.iter().zip(&runs) {
        step(format!(
            "{client}: {} passed of {} in {:.0} s (log: {})",
            run.passed(),
            run.outcomes.len(),
            run.took.as_secs_f64(),
            run.log.display()
        ));
    }
    let (osc, ours) = (&runs[0], &runs[1]);
    println!("{}", table(osc, ours, &functional));
    if osc.outcomes.is_empty() {
        bail!(
            "pytest ran no test with openstack (see {})",
            osc.log.display()
        );
    }
    let verdict = verdict(osc, ours, &functional, PENDING);
    for (test, lacks) in &verdict.pending {
        step(format!("pending: {test} (fstack lacks {lacks})"));
    }
    if !verdict.behind.is_empty() || !verdict.caught_up.is_empty() {
        bail!(
            "{} tests pass with openstack and not with fstack: {}; {} pending tests pass now \
             (drop them from PENDING in {}): {} (logs in {})",
            verdict.behind.len(),
            verdict.behind.join(", "),
            verdict.caught_up.len(),
            file!(),
            verdict.caught_up.join(", "),
            dir.display()
        );
    }
    std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    step("every functional test that passes with openstack passes with fstack");
    Ok(())
}

/// Where fstack stands against openstack, test by test (short node ids).
#[derive(Debug, Default, PartialEq, Eq)]
struct Verdict {
    /// Pass with openstack, not with fstack, and not pending: the run fails.
    behind: Vec<String>,
    /// Pending and still behind, with what fstack lacks.
    pending: Vec<(String, &'static str)>,
    /// Pending but passing with fstack now: the run fails until the list is updated.
    caught_up: Vec<String>,
}

fn verdict(osc: &Run, ours: &Run, functional: &Path, pending: &[(&str, &'static str)]) -> Verdict {
    let mut verdict = Verdict::default();
    for (id, outcome) in &osc.outcomes {
        let test = short(id, functional);
        let passes = ours.outcomes.get(id) == Some(&Outcome::Passed);
        let pending = pending
            .iter()
            .find(|(p, _)| *p == test)
            .map(|(_, why)| *why);
        match (*outcome == Outcome::Passed, passes, pending) {
            (true, false, Some(why)) => verdict.pending.push((test, why)),
            (true, false, None) => verdict.behind.push(test),
            (_, true, Some(_)) => verdict.caught_up.push(test),
            _ => {}
        }
    }
    verdict
}

/// `openstackclient/tests/functional` in the venv.
fn functional_dir(venv: &Venv) -> Result<PathBuf> {
    let out = Command::new(venv.bin().join("python"))
        .args([
            "-c",
            "import os, openstackclient.tests.functional as f; print(os.path.dirname(f.__file__))",
        ])
        .output()
        .context("running the venv's python")?;
    if !out.status.success() {
        bail!(
            "openstackclient's functional tests are not importable: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// One pytest run with `openstack` first on `PATH`, the clouds in `home`.
fn run_pytest(
    venv: &Venv,
    cloud: &MockCloud,
    home: &Path,
    openstack: &Path,
    paths: &[PathBuf],
    keyword: Option<&str>,
) -> Result<Run> {
    let config = home.join(".config/openstack");
    std::fs::create_dir_all(&config)?;
    let (admin, demo) = (cloud.admin(), cloud.demo());
    // devstack's clouds: the admin (also as the system admin the identity tests ask for),
    // and the demo member.
    std::fs::write(
        config.join("clouds.yaml"),
        mock_cloud::clouds_yaml(
            &cloud.auth_url(),
            &[
                ("devstack-admin", &admin),
                ("devstack-system-admin", &admin),
                ("devstack", &demo),
            ],
        ),
    )?;
    let bin = home.join("bin");
    std::fs::create_dir_all(&bin)?;
    let link = bin.join("openstack");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(openstack, &link)?;
    let path = format!(
        "{}:{}:{}",
        bin.display(),
        venv.bin().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let log = home.join("pytest.log");
    let mut cmd = Command::new(venv.bin().join("python"));
    cmd.args(["-m", "pytest", "-v", "-p", "no:cacheprovider", "-rN"])
        .args(paths)
        .current_dir(home)
        .env("HOME", home)
        .env("PATH", path)
        .env_remove("OS_CLOUD")
        .env_remove("OS_CLIENT_CONFIG_FILE");
    if let Some(keyword) = keyword {
        cmd.args(["-k", keyword]);
    }
    let started = Instant::now();
    let out = cmd.output().context("running pytest")?;
    let took = started.elapsed();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    std::fs::write(&log, &text)?;
    // pytest: 0 all passed, 1 some failed; anything else is pytest itself failing.
    if !matches!(out.status.code(), Some(0 | 1)) {
        bail!(
            "pytest could not run the tests ({}): see {}",
            out.status,
            log.display()
        );
    }
    Ok(Run {
        outcomes: outcomes(&text),
        took,
        log,
    })
}

/// Every `node-id OUTCOME [ pct%]` line of `pytest -v`. A test that fails in its teardown
/// after passing is reported twice (PASSED, then ERROR): the later word wins.
fn outcomes(text: &str) -> BTreeMap<String, Outcome> {
    let mut found = BTreeMap::new();
    for line in text.lines() {
        let Some((id, rest)) = line.split_once(' ') else {
            continue;
        };
        if !id.contains("::") {
            continue;
        }
        let outcome = match rest.split_whitespace().next() {
            Some("PASSED") => Outcome::Passed,
            Some("FAILED") => Outcome::Failed,
            Some("ERROR") => Outcome::Error,
            Some("SKIPPED") => Outcome::Skipped,
            _ => continue,
        };
        found.insert(id.to_owned(), outcome);
    }
    found
}

/// A node id without the path to the wheel's functional folder.
fn short(id: &str, functional: &Path) -> String {
    let prefix = functional.display().to_string();
    id.find("/functional/")
        .map(|at| &id[at + "/functional/".len()..])
        .or_else(|| id.strip_prefix(&prefix))
        .unwrap_or(id)
        .trim_start_matches('/')
        .to_owned()
}

/// `| test | openstack | fstack |`, one row per test, then the counts.
fn table(osc: &Run, ours: &Run, functional: &Path) -> String {
    let mut ids: Vec<&String> = osc.outcomes.keys().chain(ours.outcomes.keys()).collect();
    ids.sort();
    ids.dedup();
    let mut out = String::from("| test | openstack | fstack |\n|---|---|---|\n");
    let word = |run: &Run, id: &str| {
        run.outcomes
            .get(id)
            .copied()
            .unwrap_or(Outcome::Missing)
            .word()
    };
    for id in &ids {
        let (a, b) = (word(osc, id), word(ours, id));
        let mark = if a == "passed" && b != "passed" {
            " **behind**"
        } else {
            ""
        };
        let _ = writeln!(out, "| {} | {a} | {b}{mark} |", short(id, functional));
    }
    let _ = write!(
        out,
        "| **passed** | {} of {} in {:.0} s | {} of {} in {:.0} s |",
        osc.passed(),
        osc.outcomes.len(),
        osc.took.as_secs_f64(),
        ours.passed(),
        ours.outcomes.len(),
        ours.took.as_secs_f64()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytest_verbose_lines_give_each_test_its_last_outcome() {
        let text = "\
/v/functional/compute/v2/test_keypair.py::KeypairTests::test_keypair_list PASSED [ 84%]
/v/functional/compute/v2/test_flavor.py::FlavorTests::test_flavor_list ERROR [ 15%]
/v/functional/image/v2/test_image.py::ImageTests::test_image_list SKIPPED (no) [ 20%]
/v/functional/image/v2/test_image.py::ImageTests::test_image_show PASSED [ 30%]
/v/functional/image/v2/test_image.py::ImageTests::test_image_show ERROR [ 30%]
FAILED /v/functional/x.py::T::t - AssertionError
==================== 1 failed, 9 passed, 3 errors in 47.72s ====================
";
        let found = outcomes(text);
        let short: BTreeMap<String, Outcome> = found
            .into_iter()
            .map(|(id, o)| (short(&id, Path::new("/v/functional")), o))
            .collect();
        assert_eq!(
            short,
            BTreeMap::from([
                (
                    "compute/v2/test_flavor.py::FlavorTests::test_flavor_list".to_owned(),
                    Outcome::Error
                ),
                (
                    "compute/v2/test_keypair.py::KeypairTests::test_keypair_list".to_owned(),
                    Outcome::Passed
                ),
                (
                    "image/v2/test_image.py::ImageTests::test_image_list".to_owned(),
                    Outcome::Skipped
                ),
                (
                    "image/v2/test_image.py::ImageTests::test_image_show".to_owned(),
                    Outcome::Error
                ),
            ]),
            "the summary's `FAILED id - msg` line is not a verbose line"
        );
    }

    #[test]
    fn the_table_marks_a_test_fstack_is_behind_on() {
        let run = |pairs: &[(&str, Outcome)]| Run {
            outcomes: pairs.iter().map(|(id, o)| ((*id).to_owned(), *o)).collect(),
            took: Duration::from_secs(3),
            log: PathBuf::new(),
        };
        let osc = run(&[
            ("/f/functional/a.py::T::a", Outcome::Passed),
            ("/f/functional/a.py::T::b", Outcome::Failed),
        ]);
        let ours = run(&[
            ("/f/functional/a.py::T::a", Outcome::Failed),
            ("/f/functional/a.py::T::b", Outcome::Failed),
        ]);
        assert_eq!(
            table(&osc, &ours, Path::new("/f/functional")),
            "| test | openstack | fstack |\n|---|---|---|\n\
             | a.py::T::a | passed | failed **behind** |\n\
             | a.py::T::b | failed | failed |\n\
             | **passed** | 1 of 2 in 3 s | 0 of 2 in 3 s |"
        );
    }

    #[test]
    fn a_pending_test_may_lag_and_must_be_dropped_once_it_passes() {
        let run = |pairs: &[(&str, Outcome)]| Run {
            outcomes: pairs
                .iter()
                .map(|(id, o)| (format!("/f/functional/{id}"), *o))
                .collect(),
            took: Duration::ZERO,
            log: PathBuf::new(),
        };
        let osc = run(&[
            ("a.py::T::lags", Outcome::Passed),
            ("a.py::T::pending", Outcome::Passed),
            ("a.py::T::fixed", Outcome::Passed),
            ("a.py::T::both_fail", Outcome::Failed),
        ]);
        let ours = run(&[
            ("a.py::T::lags", Outcome::Error),
            ("a.py::T::pending", Outcome::Failed),
            ("a.py::T::fixed", Outcome::Passed),
            ("a.py::T::both_fail", Outcome::Failed),
        ]);
        let pending = [
            ("a.py::T::pending", "server event list"),
            ("a.py::T::fixed", "versions show"),
        ];
        assert_eq!(
            verdict(&osc, &ours, Path::new("/f/functional"), &pending),
            Verdict {
                behind: vec!["a.py::T::lags".to_owned()],
                pending: vec![("a.py::T::pending".to_owned(), "server event list")],
                caught_up: vec!["a.py::T::fixed".to_owned()],
            }
        );
    }
}
