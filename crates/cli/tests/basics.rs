//! The command line itself: exit codes, usage errors, configuration errors, completions.

mod common;

use common::{TestCloud, run};

#[test]
fn usage_errors_exit_2_and_name_the_flag() {
    let out = run(
        std::process::Command::new(env!("CARGO_BIN_EXE_fstack")).args([
            "image",
            "create",
            "x",
            "--public",
            "--private",
        ]),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--private"), "{err}");
}

#[test]
fn an_unknown_command_is_named_as_openstack_names_it_and_exits_2() {
    for (args, named) in [
        (&["frobnicate", "list"][..], "frobnicate list"),
        (
            &["--os-cloud", "x", "image", "frob", "-f", "json"],
            "image frob -f json",
        ),
    ] {
        let out = run(std::process::Command::new(env!("CARGO_BIN_EXE_fstack")).args(args));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("fstack: '{named}' is not an fstack command. See 'fstack --help'.\n")
        );
    }
    let help = run(std::process::Command::new(env!("CARGO_BIN_EXE_fstack")).arg("--help"));
    assert_eq!(help.status.code(), Some(0), "--help is not an error");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_cloud_is_named_and_exits_1() {
    let t = TestCloud::start().await;
    let out = run(t.fstack("no-such-cloud").args(["token", "issue"]));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-cloud"), "{err}");
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out =
            run(std::process::Command::new(env!("CARGO_BIN_EXE_fstack"))
                .args(["completion", shell]));
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains("fstack") && script.contains("image"),
            "{shell}"
        );
    }
}
