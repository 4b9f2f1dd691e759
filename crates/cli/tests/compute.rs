//! `fstack server|flavor|keypair|console` end to end against a private mock cloud: every
//! command, every output format it supports, and its error paths, as snapshots.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::process::Output;

use common::{TestCloud, run, stdout};
use mock_cloud::MockCloud;
use mock_cloud::Seed;

/// A cloud with a public image `cirros` to boot from.
async fn cloud() -> TestCloud {
    let seed: Seed = serde_json::from_value(serde_json::json!({
        "images": [{
            "id": "5e5ad5e5-0000-4000-8000-000000000001",
            "name": "cirros",
            "visibility": "public",
            "disk_format": "raw",
            "container_format": "bare",
            "content": "not much of a disk",
        }],
    }))
    .expect("seed");
    TestCloud::with(
        MockCloud::builder()
            .seed(seed)
            .start()
            .await
            .expect("mock cloud starts"),
    )
    .await
}

/// Exit code, stdout and stderr, for a snapshot.
fn transcript(out: Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status
            .code()
            .map_or("signal".to_owned(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    )
}

/// `fstack ARGS` as the admin, its transcript.
fn fstack(t: &TestCloud, args: &str) -> String {
    transcript(run(t.fstack("mock-admin").args(args.split_whitespace())))
}

/// The harness's filters, and what else changes from run to run here.
fn filters() -> Vec<(&'static str, &'static str)> {
    let mut f = common::filters();
    f.extend([
        (r"\b([0-9a-f]{2}:){15}[0-9a-f]{2}\b", "[FINGERPRINT]"),
        (r"instance-[0-9a-f]{8}", "instance-[N]"),
        (r#"(adminPass[ |":]+)[^\s"|]+"#, "$1[PASSWORD]"),
        (r"token%3D[A-Za-z0-9-]+", "token%3D[TOKEN]"),
    ]);
    f
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({filters => filters()}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

fn create_server(t: &TestCloud, name: &str) -> String {
    let out = stdout(t.fstack("mock-admin").args([
        "server", "create", "--image", "cirros", "--flavor", "m1.tiny", "--nic", "none", "--wait",
        "-f", "value", "-c", "id", name,
    ]));
    out.trim().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn flavor_list_in_every_format() {
    let t = cloud().await;
    for (name, args) in [
        ("flavor_list_table", "flavor list"),
        ("flavor_list_json", "flavor list -f json"),
        ("flavor_list_yaml", "flavor list -f yaml"),
        ("flavor_list_value", "flavor list -f value"),
        ("flavor_list_csv", "flavor list -f csv"),
        ("flavor_list_long", "flavor list --long"),
        (
            "flavor_list_columns",
            "flavor list -c Name -c RAM --min-ram 4096 --sort-column RAM --sort-descending",
        ),
        ("flavor_list_private", "flavor list --private --print-empty"),
        ("flavor_list_bad_column", "flavor list -c Nope"),
    ] {
        snap!(name, fstack(&t, args));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn flavor_show_in_every_format() {
    let t = cloud().await;
    for (name, args) in [
        ("flavor_show_table", "flavor show m1.tiny"),
        ("flavor_show_by_id_json", "flavor show 1 -f json"),
        ("flavor_show_value", "flavor show m1.tiny -f value"),
        ("flavor_show_yaml", "flavor show m1.tiny -f yaml"),
        (
            "flavor_show_shell",
            "flavor show m1.tiny -f shell --prefix f_",
        ),
        ("flavor_show_unknown", "flavor show m9.huge"),
    ] {
        snap!(name, fstack(&t, args));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn keypairs_are_imported_generated_listed_and_deleted() {
    let t = cloud().await;
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHlG1TbzlnbwdaZkDpprNwsj0LvuOtrwZsUMSqnsFd5g test@fstack\n";
    std::fs::write(t.path().join("id.pub"), key).unwrap();
    snap!(
        "keypair_create_public_key",
        fstack(&t, "keypair create --public-key id.pub imported")
    );
    snap!(
        "keypair_create_public_key_json",
        fstack(&t, "keypair create --public-key id.pub imported2 -f json")
    );
    snap!(
        "keypair_create_missing_file",
        fstack(&t, "keypair create --public-key nowhere.pub k")
    );

    // Generated: the private key alone on stdout, as osc prints it.
    let out = stdout(
        t.fstack("mock-admin")
            .args(["keypair", "create", "generated"]),
    );
    assert!(
        out.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"),
        "{out}"
    );
    assert!(
        out.ends_with("-----END OPENSSH PRIVATE KEY-----\n"),
        "{out}"
    );
    // Made here, as osc makes it: an Ed25519 key whose public half is what Nova keeps.
    let key = t.path().join("generated.key");
    std::fs::write(&key, &out).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let derived = run(std::process::Command::new("ssh-keygen")
        .arg("-y")
        .arg("-f")
        .arg(&key));
    assert!(derived.status.success(), "ssh-keygen -y: {derived:?}");
    let stored =
        stdout(
            t.fstack("mock-admin")
                .args(["keypair", "show", "generated", "--public-key"]),
        );
    assert!(stored.starts_with("ssh-ed25519 "), "{stored}");
    assert_eq!(
        String::from_utf8_lossy(&derived.stdout).trim_end(),
        stored.trim_end()
    );
    snap!("keypair_show", fstack(&t, "keypair show generated -f json"));
    snap!("keypair_show_missing", fstack(&t, "keypair show nope"));
    // With --private-key: written privately, and the keypair shown.
    let shown = stdout(t.fstack("mock-admin").args([
        "keypair",
        "create",
        "--private-key",
        "saved.pem",
        "saved",
        "-f",
        "value",
        "-c",
        "name",
    ]));
    assert_eq!(shown, "saved\n");
    let saved = t.path().join("saved.pem");
    assert!(
        std::fs::read_to_string(&saved)
            .unwrap()
            .starts_with("-----BEGIN")
    );
    assert_eq!(
        std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777,
        0o600
    );

    for (name, args) in [
        ("keypair_list_table", "keypair list --sort-column Name"),
        (
            "keypair_list_json",
            "keypair list -f json --sort-column Name",
        ),
        (
            "keypair_list_value",
            "keypair list -f value -c Name --sort-column Name",
        ),
        (
            "keypair_list_csv",
            "keypair list -f csv -c Name -c Type --sort-column Name",
        ),
        (
            "keypair_list_yaml",
            "keypair list -f yaml -c Name --sort-column Name",
        ),
        ("keypair_delete", "keypair delete imported imported2"),
        ("keypair_delete_missing", "keypair delete saved nope"),
        (
            "keypair_list_after_delete",
            "keypair list -f value -c Name --sort-column Name",
        ),
    ] {
        snap!(name, fstack(&t, args));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_is_created_shown_and_listed() {
    let t = cloud().await;
    std::fs::write(t.path().join("user-data"), "#cloud-config\nhostname: web\n").unwrap();
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHlG1TbzlnbwdaZkDpprNwsj0LvuOtrwZsUMSqnsFd5g test@fstack\n";
    std::fs::write(t.path().join("id.pub"), key).unwrap();
    stdout(
        t.fstack("mock-admin")
            .args(["keypair", "create", "--public-key", "id.pub", "mykey"]),
    );
    snap!(
        "server_create_wait_table",
        fstack(
            &t,
            "server create --image cirros --flavor m1.tiny --nic none --key-name mykey \
             --user-data user-data --property role=web --property tier=front --wait web"
        )
    );
    snap!(
        "server_create_json",
        fstack(
            &t,
            "server create --image cirros --flavor m1.small --nic auto db -f json"
        )
    );
    for (name, args) in [
        ("server_show_table", "server show web"),
        ("server_show_json", "server show web -f json"),
        ("server_show_value", "server show web -f value"),
        ("server_show_yaml", "server show web -f yaml"),
        (
            "server_show_shell",
            "server show web -f shell -c name -c status -c properties",
        ),
        (
            "server_show_microversion_2_1",
            "--os-compute-api-version 2.1 server show web -c flavor -c name",
        ),
        ("server_show_unknown", "server show nope"),
        (
            "server_show_bad_microversion",
            "--os-compute-api-version 2.200 server show web",
        ),
        ("server_list_table", "server list --sort-column Name"),
        ("server_list_long", "server list --long --sort-column Name"),
        ("server_list_json", "server list -f json --sort-column Name"),
        (
            "server_list_value",
            "server list -f value --sort-column Name",
        ),
        ("server_list_csv", "server list -f csv --sort-column Name"),
        (
            "server_list_yaml",
            "server list -f yaml -c Name -c Status --sort-column Name",
        ),
        (
            "server_list_no_name_lookup",
            "server list -n -c Name -c Image -c Flavor --sort-column Name",
        ),
        ("server_list_by_name", "server list --name ^web$ -c Name"),
        (
            "server_list_by_flavor",
            "server list --flavor m1.small -c Name",
        ),
        (
            "server_list_by_image",
            "server list --image cirros -c Name --sort-column Name",
        ),
        (
            "server_list_by_status",
            "server list --status SHUTOFF -c Name --print-empty",
        ),
        (
            "server_list_limit",
            "server list --limit 1 -f value -c Status",
        ),
        (
            "server_list_all_projects",
            "server list --all-projects --sort-column Name",
        ),
        ("server_list_unknown_flavor", "server list --flavor m9.huge"),
    ] {
        snap!(name, fstack(&t, args));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_actions_and_consoles() {
    let t = cloud().await;
    create_server(&t, "vm1");
    for (name, args) in [
        ("server_stop", "server stop vm1"),
        ("server_stop_again", "server stop vm1"),
        ("server_start", "server start vm1"),
        ("server_reboot_hard_wait", "server reboot --hard --wait vm1"),
        ("server_reboot_soft", "server reboot vm1"),
        ("server_start_unknown", "server start nope"),
        ("console_log_lines", "console log show --lines 2 vm1"),
        ("console_url_table", "console url show vm1"),
        ("console_url_json", "console url show --novnc vm1 -f json"),
        ("console_url_spice", "console url show --spice vm1"),
        ("console_log_unknown", "console log show nope"),
    ] {
        snap!(name, fstack(&t, args));
    }
    let log = stdout(
        t.fstack("mock-admin")
            .args(["console", "log", "show", "vm1"]),
    );
    assert!(log.contains("vm1"), "{log}");
    assert!(log.ends_with('\n'));
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_are_deleted_and_failures_counted() {
    let t = cloud().await;
    create_server(&t, "a");
    create_server(&t, "b");
    create_server(&t, "c");
    snap!("server_delete_wait", fstack(&t, "server delete --wait a b"));
    snap!("server_delete_partly", fstack(&t, "server delete c nope"));
    snap!(
        "server_list_after_delete",
        fstack(&t, "server list --print-empty")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_create_names_what_is_wrong() {
    let t = cloud().await;
    for (name, args) in [
        (
            "server_create_unknown_image",
            "server create --image nope --flavor m1.tiny x",
        ),
        (
            "server_create_unknown_flavor",
            "server create --image cirros --flavor m9.huge x",
        ),
        (
            "server_create_bad_nic",
            "server create --image cirros --flavor m1.tiny --nic net-id=n,port-id=p x",
        ),
        (
            "server_create_missing_user_data",
            "server create --image cirros --flavor m1.tiny --user-data nowhere x",
        ),
        (
            "server_create_without_flavor",
            "server create --image cirros x",
        ),
        // The waiter stops at ERROR with Nova's fault, instead of waiting out its deadline.
        (
            "server_create_wait_error",
            "server create --image cirros --flavor m1.tiny --nic none \
             --property mock_fail_boot=disk-on-fire --wait broken",
        ),
        (
            "server_list_error",
            "server list --status ERROR -c Name -c Status",
        ),
    ] {
        snap!(name, fstack(&t, args));
    }
}

/// Servers of the demo project are not the admin's, unless asked for.
#[tokio::test(flavor = "multi_thread")]
async fn projects_see_their_own_servers() {
    let t = cloud().await;
    stdout(t.fstack("mock-demo").args([
        "server", "create", "--image", "cirros", "--flavor", "m1.tiny", "--nic", "none", "mine",
    ]));
    let own = stdout(
        t.fstack("mock-admin")
            .args(["server", "list", "-f", "value", "-c", "Name"]),
    );
    assert_eq!(own, "");
    let all = stdout(t.fstack("mock-admin").args([
        "server",
        "list",
        "--all-projects",
        "-f",
        "value",
        "-c",
        "Name",
    ]));
    assert_eq!(all, "mine\n");
}
