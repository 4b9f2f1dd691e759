//! `fstack image ...` end to end against an embedded mock cloud: every command, every output
//! format it has, and the error paths, as transcripts snapshotted with insta.
//!
//! A transcript is the command lines of a scenario with what each printed (stdout, then
//! stderr) and its exit code when not 0, so one snapshot reads like a terminal session.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use common::{TestCloud, run, stdout};

/// A qcow2 v2 header for a 16 MiB disk, padded to 4 KiB: enough for the format inspector
/// (and Glance's) to recognise qcow2 and read its virtual size, without qemu-img.
fn qcow2() -> Vec<u8> {
    let mut header = b"QFI\xfb".to_vec();
    header.extend(2u32.to_be_bytes()); // version
    header.extend(0u64.to_be_bytes()); // backing file offset: none
    header.extend(0u32.to_be_bytes()); // backing file name size
    header.extend(16u32.to_be_bytes()); // cluster bits
    header.extend((16u64 << 20).to_be_bytes()); // virtual size
    header.resize(4096, 0);
    header
}

/// 64 KiB of data no inspector recognises: a raw disk.
fn raw() -> Vec<u8> {
    (0..65_536u32).map(|i| (i * 7 % 251) as u8).collect()
}

/// Writes `bytes` to `name` in the test's folder (the working directory of every command).
fn write(t: &TestCloud, name: &str, bytes: &[u8]) -> PathBuf {
    let path = t.path().join(name);
    std::fs::write(&path, bytes).expect("test file");
    path
}

/// What a command printed, and how it ended.
fn outcome(line: &str, out: &Output) -> String {
    let mut text = format!("$ {line}\n");
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    match out.status.code() {
        Some(0) => {}
        Some(code) => text.push_str(&format!("[exit {code}]\n")),
        None => text.push_str("[killed]\n"),
    }
    text
}

/// A command line's words: split on spaces, except inside single quotes (`-c 'Disk Format'`).
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                word.get_or_insert_with(String::new);
            }
            c if c.is_whitespace() && !quoted => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// Runs `fstack` lines as `cloud`, and returns the transcript.
fn transcript(t: &TestCloud, cloud: &str, lines: &[&str]) -> String {
    lines
        .iter()
        .map(|line| {
            let out = run(t.fstack(cloud).args(words(line)));
            outcome(&format!("fstack {line}"), &out)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs one `fstack` line with `input` on stdin.
fn with_stdin(t: &TestCloud, line: &str, input: &[u8]) -> String {
    let mut cmd = t.fstack("mock-admin");
    cmd.args(words(line))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("fstack starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        // fstack may stop reading early on an error; a broken pipe is not the test's failure.
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("fstack runs");
    writer.join().expect("stdin writer");
    outcome(&format!("fstack {line} < (data)"), &out)
}

macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({filters => common::filters(), omit_expression => true}, {
            insta::assert_snapshot!($name, $text);
        })
    };
}

/// The id of an image, by name.
fn id_of(t: &TestCloud, name: &str) -> String {
    stdout(
        t.fstack("mock-admin")
            .args(["image", "show", name, "-f", "value", "-c", "id"]),
    )
    .trim()
    .to_owned()
}

/// Three images every listing test starts from: alpha (qcow2, public, tagged, with a
/// property), beta (raw, private) and gamma (no data, shared).
fn three_images(t: &TestCloud) {
    write(t, "alpha.qcow2", &qcow2());
    write(t, "beta.raw", &raw());
    for line in [
        "image create alpha --file alpha.qcow2 --detect-disk-format --public --tag a --tag common --property os_distro=cirros",
        "image create beta --file beta.raw --disk-format raw --private --tag common --min-disk 1",
        "image create gamma --shared",
    ] {
        stdout(t.fstack("mock-admin").args(words(line)));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn list_in_every_format() {
    let t = TestCloud::start().await;
    three_images(&t);
    snapshot!(
        "list_formats",
        transcript(
            &t,
            "mock-admin",
            &[
                "image list",
                "image list -f json",
                "image list -f yaml",
                "image list -f value",
                "image list -f csv",
                "image list --long",
                "image list --long -f json",
                "image list --long -f yaml",
                "image list --long -f value",
                "image list --long -f csv",
                "image list --long -c Name -c Size -c Tags --sort-column Size",
            ],
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_filters_sort_and_pages() {
    let t = TestCloud::start().await;
    three_images(&t);
    stdout(
        t.fstack("mock-admin")
            .args(["image", "create", "delta", "--community"]),
    );
    stdout(
        t.fstack("mock-admin")
            .args(["image", "set", "delta", "--hidden"]),
    );
    snapshot!(
        "list_filters",
        transcript(
            &t,
            "mock-admin",
            &[
                "image list -f value -c Name --public",
                "image list -f value -c Name --private",
                "image list -f value -c Name --shared",
                "image list -f value -c Name --community",
                "image list -f value -c Name --all",
                "image list -f value -c Name --hidden",
                "image list -f value -c Name --name beta",
                "image list -f value -c Name --status queued",
                "image list -f value -c Name --tag common",
                "image list -f value -c Name --tag common --tag a",
                "image list -f value -c Name --property os_distro=cirros",
                "image list -f value -c Name --property min_disk=1",
                "image list -f value -c Name --project admin",
                "image list -f value -c Name --project no-such-project",
                "image list -f value -c Name --sort name:desc",
                "image list --long -f value -c Name -c Size --sort size:asc,name",
                "image list -f value -c Name --sort nope",
                "image list -f value -c Name --sort name:up",
                "image list -f value -c Name --limit 1 --sort name",
                "image list -f value -c Name --max-items 2 --sort name",
                "image list -f value -c Name --marker no-such-image",
                "image list -f value -c Name --member-status bogus",
            ],
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_after_a_marker_follows_the_servers_order() {
    let t = TestCloud::start().await;
    three_images(&t);
    // Glance lists newest first: after gamma (the newest) come beta and alpha.
    let names = stdout(t.fstack("mock-admin").args([
        "image", "list", "-f", "value", "-c", "Name", "--marker", "gamma",
    ]));
    assert_eq!(names, "alpha\nbeta\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn show_in_every_format() {
    let t = TestCloud::start().await;
    three_images(&t);
    let id = id_of(&t, "beta");
    let by_id = format!("image show {id} -f value -c name");
    snapshot!(
        "show_formats",
        transcript(
            &t,
            "mock-admin",
            &[
                "image show alpha",
                "image show alpha -f json",
                "image show alpha -f yaml",
                "image show alpha -f value",
                "image show alpha -f shell",
                "image show alpha -f shell --prefix img_ -c name -c size",
                "image show alpha --human-readable -c size -c virtual_size",
                "image show gamma -f json",
                &by_id,
                "image show no-such-image",
                "image show alpha -f csv",
            ],
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_from_a_file_from_stdin_and_without_data() {
    let t = TestCloud::start().await;
    write(&t, "disk.qcow2", &qcow2());
    let mut text = transcript(
        &t,
        "mock-admin",
        &[
            "image create from-file --file disk.qcow2 --disk-format qcow2 --min-disk 2 --min-ram 128 --protected --property os_distro=cirros --property hw_disk_bus=scsi --tag x -f json",
            "image create with-id --id 6b1f1b1e-0d0b-4c32-9f6c-3a4f3a1c2b11 --container-format ovf --disk-format vmdk -f value -c id -c status -c disk_format -c container_format",
            "image create no-data -f shell",
        ],
    );
    text.push('\n');
    text.push_str(&with_stdin(
        &t,
        "image create from-stdin --disk-format raw -f yaml",
        &raw(),
    ));
    text.push('\n');
    text.push_str(&with_stdin(
        &t,
        "image create sized-stdin --size 65536 -f value -c size -c disk_format -c status",
        &raw(),
    ));
    text.push('\n');
    text.push_str(&transcript(
        &t,
        "mock-admin",
        &["image list --long -c Name -c 'Disk Format' -c Status -c Size"],
    ));
    snapshot!("create", text);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_errors_leave_no_image_behind() {
    let t = TestCloud::start().await;
    write(&t, "really-raw.qcow2", &raw());
    write(&t, "disk.qcow2", &qcow2());
    snapshot!(
        "create_errors",
        transcript(
            &t,
            "mock-admin",
            &[
                // The inspector refuses before anything is created.
                "image create liar --disk-format qcow2 --file really-raw.qcow2",
                // Without it, Glance refuses, and the half-made image is deleted.
                "image create liar --disk-format qcow2 --file really-raw.qcow2 --no-inspect",
                "image list --all -f value",
                "image create x --disk-format qcow3",
                "image create x --container-format box",
                "image create x --file missing.img",
                "image create x --size 10",
                "image create x --size 0 --file disk.qcow2",
                // raw by default whatever the file holds, as in openstackclient.
                "image create x --file disk.qcow2 -f value -c disk_format",
                "image delete x",
                "image create x --file disk.qcow2 --detect-disk-format --disk-format raw",
                "image create x --import",
                "image create x --kernel disk.qcow2 --file disk.qcow2",
                "image create x --public --private",
                "image create x --property novalue",
                "image create x --property os_glance_x=1",
                "image list --all -f value",
            ],
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_a_three_part_image_in_one_go() {
    let t = TestCloud::start().await;
    write(&t, "vmlinuz", &raw()[..8192]);
    write(&t, "initrd.img", &raw()[..4096]);
    write(&t, "rootfs.img", &raw());
    let mut text = transcript(
        &t,
        "mock-admin",
        &[
            "image create tiny --kernel vmlinuz --ramdisk initrd.img --file rootfs.img --public -f json",
            "image list --long -c Name -c 'Disk Format' -c 'Container Format' -c Size -c Visibility",
            "image create broken --kernel vmlinuz --ramdisk missing.img --file rootfs.img",
        ],
    );
    let machine = id_of(&t, "tiny");
    let kernel = id_of(&t, "tiny-kernel");
    let ramdisk = id_of(&t, "tiny-ramdisk");
    let show = stdout(t.fstack("mock-admin").args([
        "image",
        "show",
        &machine,
        "-f",
        "json",
        "-c",
        "properties",
    ]));
    let properties: serde_json::Value = serde_json::from_str(&show).unwrap();
    assert_eq!(properties["properties"]["kernel_id"], kernel.as_str());
    assert_eq!(properties["properties"]["ramdisk_id"], ramdisk.as_str());
    text.push('\n');
    text.push_str(&transcript(
        &t,
        "mock-admin",
        &["image list -f value -c Name"],
    ));
    snapshot!("three_part", text);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_with_the_interoperable_import() {
    let t = TestCloud::start().await;
    write(&t, "disk.qcow2", &qcow2());
    snapshot!(
        "create_import",
        transcript(
            &t,
            "mock-admin",
            &[
                "image create imported --file disk.qcow2 --detect-disk-format --import -f value -c name -c status -c disk_format -c size -c virtual_size"
            ],
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn set_and_unset() {
    let t = TestCloud::start().await;
    three_images(&t);
    snapshot!(
        "set_unset",
        transcript(
            &t,
            "mock-admin",
            &[
                "image set alpha --name alpha2 --min-disk 3 --min-ram 256 --property hw_rng_model=virtio --os-distro debian --os-version 13 --architecture x86_64 --tag b --protected --private",
                "image show alpha2 -f json",
                "image set alpha2 --unprotected --hidden",
                "image list -f value -c Name",
                "image list --hidden -f value -c Name",
                "image set alpha2 --unhidden --deactivate",
                "image show alpha2 -f value -c status",
                "image set alpha2 --activate",
                "image show alpha2 -f value -c status",
                "image unset alpha2 --tag a --property hw_rng_model --property os_version",
                "image show alpha2 -f value -c tags -c properties",
                "image unset alpha2 --tag nope --property nope2 --property architecture",
                "image unset alpha2 --tag nope",
                "image unset alpha2 --property nope",
                "image set no-such-image --name x",
                "image set alpha2 --disk-format floppy",
                "image set alpha2 --deactivate --activate",
                "image set gamma --container-format ovf --disk-format vhd",
                "image show gamma -f value -c container_format -c disk_format",
            ],
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_several_and_report_the_missing() {
    let t = TestCloud::start().await;
    three_images(&t);
    stdout(
        t.fstack("mock-admin")
            .args(["image", "set", "beta", "--protected"]),
    );
    snapshot!(
        "delete",
        transcript(
            &t,
            "mock-admin",
            &[
                "image delete alpha no-such-image gamma",
                "image delete beta",
                "image list -f value -c Name",
                "image set beta --unprotected",
                "image delete beta",
                "image list -f value -c Name",
                "image delete",
            ],
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn save_to_a_file_and_to_stdout() {
    let t = TestCloud::start().await;
    three_images(&t);
    stdout(
        t.fstack("mock-admin")
            .args(["image", "save", "alpha", "--file", "alpha.saved"]),
    );
    assert_eq!(
        std::fs::read(t.path().join("alpha.saved")).unwrap(),
        qcow2()
    );
    let out = run(t.fstack("mock-admin").args(["image", "save", "beta"]));
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, raw());
    assert!(out.stderr.is_empty(), "nothing but the data on a pipe");
    snapshot!(
        "save_errors",
        transcript(
            &t,
            "mock-admin",
            &[
                "image save gamma --file gamma.saved",
                "image save no-such-image",
                "image save alpha --file no-such-dir/alpha",
            ],
        )
    );
    assert!(!t.path().join("gamma.saved").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn share_with_a_project_and_list_members() {
    let t = TestCloud::start().await;
    three_images(&t);
    let gamma = id_of(&t, "gamma");
    let mut text = transcript(
        &t,
        "mock-admin",
        &[
            "image add project gamma demo",
            "image member list gamma",
            "image member list gamma -f json",
            "image member list gamma -f yaml",
            "image member list gamma -f csv",
            "image member list gamma -f value",
            "image add project gamma demo -f json",
            "image add project alpha demo",
            "image add project gamma no-such-project",
        ],
    );
    text.push('\n');
    let accept = format!("image set {gamma} --accept");
    text.push_str(&transcript(
        &t,
        "mock-demo",
        &[
            "image list -f value -c Name",
            &accept,
            "image list -f value -c Name",
            "image list --shared --member-status accepted -f value -c Name",
        ],
    ));
    text.push('\n');
    text.push_str(&transcript(
        &t,
        "mock-admin",
        &[
            "image member list gamma -f value",
            "image remove project gamma demo",
            "image member list gamma -f value",
            "image remove project gamma demo",
        ],
    ));
    snapshot!("members", text);
}

#[tokio::test(flavor = "multi_thread")]
async fn stage_then_import() {
    let t = TestCloud::start().await;
    write(&t, "disk.qcow2", &qcow2());
    let mut text = transcript(
        &t,
        "mock-admin",
        &[
            "image create staged --disk-format qcow2 --container-format bare -f value -c status",
            "image import staged",
            "image stage staged --file disk.qcow2",
            "image show staged -f value -c status",
            "image import staged --uri http://example.com/x.img",
            "image import staged --method web-download",
            "image import staged --method copy-image",
            "image import staged --method teleport",
            "image import staged --wait -f value -c status -c size -c checksum",
            "image import staged",
            "image stage no-such-image --file disk.qcow2",
        ],
    );
    text.push('\n');
    stdout(t.fstack("mock-admin").args([
        "image",
        "create",
        "piped",
        "--disk-format",
        "qcow2",
        "--container-format",
        "bare",
    ]));
    text.push_str(&with_stdin(&t, "image stage piped", &qcow2()));
    text.push('\n');
    text.push_str(&transcript(
        &t,
        "mock-admin",
        &[
            "image show piped -f value -c status",
            "image import piped -f value -c status",
            "image stage piped",
        ],
    ));
    snapshot!("stage_import", text);
}

#[test]
fn the_help_names_every_image_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_fstack"))
        .args(["image", "--help"])
        .output()
        .expect("fstack runs");
    let help = String::from_utf8_lossy(&out.stdout);
    for command in [
        "list", "show", "create", "set", "unset", "delete", "save", "add", "remove", "member",
        "stage", "import",
    ] {
        assert!(help.contains(command), "{command} in {help}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_failures_leave_nothing_half_made() {
    use mock_cloud::{Fault, FaultRule};
    let t = TestCloud::start().await;
    write(&t, "disk.qcow2", &qcow2());
    write(&t, "vmlinuz", &raw()[..8192]);
    write(&t, "initrd.img", &raw()[..4096]);
    let fail_next_upload = || {
        t.cloud
            .add_fault(
                FaultRule::new(Fault::status(500))
                    .method("PUT")
                    .path("/image/v2/images/*/file")
                    .times(1),
            )
            .expect("fault rule");
    };
    fail_next_upload();
    let mut text = transcript(
        &t,
        "mock-admin",
        &[
            "image create broken --file disk.qcow2 --disk-format qcow2",
            "image list --all -f value",
        ],
    );
    fail_next_upload();
    text.push('\n');
    text.push_str(&transcript(
        &t,
        "mock-admin",
        &[
            "image create tiny --kernel vmlinuz --ramdisk initrd.img --file disk.qcow2",
            "image list --all -f value",
            "image create good --file disk.qcow2 --disk-format qcow2 -f value -c status",
        ],
    ));
    // A download that does not match Glance's hash is refused, and no file is left.
    t.cloud
        .add_fault(
            FaultRule::new(Fault::Corrupt)
                .method("GET")
                .path("/image/v2/images/*/file")
                .times(1),
        )
        .expect("fault rule");
    text.push('\n');
    text.push_str(&transcript(
        &t,
        "mock-admin",
        &["image save good --file good.saved"],
    ));
    assert!(!t.path().join("good.saved").exists());
    snapshot!("server_failures", text);
}
