//! The whole conformance suite against an embedded mock cloud, network cases included: what
//! `cargo test` proves about the SDK and the mock together on every run (`cargo xtask
//! conformance` runs the same suite against real Keystone + Glance too, side by side, and
//! the network cases against real Neutron with `--with-neutron`).

use std::collections::BTreeSet;

use ferrostack_conformance::{MOCK_SEED, Target, run, table};
use mock_cloud::{MockCloud, Seed};

/// Cases that fail against the mock for a known reason: a difference from the real services
/// found by `cargo xtask conformance`, each still to be fixed where it says. The test fails
/// when any other case fails, and also when one of these starts passing (then remove it).
const KNOWN_FAILURES: &[(&str, &str)] = &[];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_suite_passes_against_the_mock_cloud() {
    let seed = Seed::parse(MOCK_SEED, false).expect("the conformance seed parses");
    let cloud = MockCloud::builder()
        .seed(seed)
        .start()
        .await
        .expect("the mock cloud starts");
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let target = Target::standard("mock", &cloud.auth_url(), scratch.path());
    let report = run(&target).await;
    println!("{}", table(&[&report]));

    let failed: BTreeSet<&str> = report
        .outcomes
        .iter()
        .filter(|o| o.error.is_some())
        .map(|o| o.case.as_str())
        .collect();
    let known: BTreeSet<&str> = KNOWN_FAILURES.iter().map(|(case, _)| *case).collect();
    let unexpected: Vec<&&str> = failed.difference(&known).collect();
    assert!(
        unexpected.is_empty(),
        "cases failed against the mock cloud: {unexpected:?}\n\n{}",
        report.failures()
    );
    let fixed: Vec<&&str> = known.difference(&failed).collect();
    assert!(
        fixed.is_empty(),
        "{fixed:?} now pass against the mock cloud: remove them from KNOWN_FAILURES"
    );
    for (case, why) in KNOWN_FAILURES {
        println!("known failure, {case}: {why}");
    }
}
