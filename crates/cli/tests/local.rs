//! Local work, end to end with the real tools: `disk ...` with qemu-img, `image build` and
//! `vm boot|install` with qemu-system.
//!
//! These FAIL (never skip) when qemu is missing: install it as root with
//! `cargo run -p ferrostack-testbed --bin host-packages`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use insta_cmd::assert_cmd_snapshot;
use serde_json::Value;
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// Harness

/// A private folder, the working directory of every command run in it (so that file names in
/// the outputs are the short relative ones given).
struct Local {
    dir: TempDir,
}

impl Local {
    fn new() -> Local {
        Local {
            dir: tempfile::Builder::new()
                .prefix("fstack-local-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn fstack(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fstack"));
        cmd.args(args).current_dir(self.dir.path());
        cmd
    }

    /// Runs `fstack ARGS` and returns stdout; it must succeed.
    fn ok(&self, args: &[&str]) -> String {
        let out = run(&mut self.fstack(args));
        assert!(
            out.status.success(),
            "fstack {args:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Runs `fstack ARGS`, which must fail with `code`; returns stderr.
    fn fails(&self, args: &[&str], code: i32) -> String {
        let out = run(&mut self.fstack(args));
        assert_eq!(
            out.status.code(),
            Some(code),
            "fstack {args:?}:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).expect("utf-8")
    }

    /// The file names in the folder, sorted.
    fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// `disk info FILE --output json`, parsed.
    fn info(&self, file: &str) -> Value {
        serde_json::from_str(&self.ok(&["disk", "info", file, "--output", "json"])).unwrap()
    }

    /// Snapshot filters: this folder, and what the host's filesystem decides.
    fn filters(&self) -> Vec<(String, String)> {
        let mut filters = vec![
            (r"/usr/bin/qemu-img".to_owned(), "qemu-img".to_owned()),
            (
                r"(?m)^\| disk_size( +)\| [^|\n]+\|$".to_owned(),
                "| disk_size$1| [VARIES] |".to_owned(),
            ),
            (
                r"(?m)^\| disk_size_bytes( +)\| [^|\n]+\|$".to_owned(),
                "| disk_size_bytes$1| [VARIES] |".to_owned(),
            ),
            (
                r#""disk_size": "[^"]+""#.to_owned(),
                r#""disk_size": "[VARIES]""#.to_owned(),
            ),
            (
                r#""disk_size_bytes": \d+"#.to_owned(),
                r#""disk_size_bytes": "[VARIES]""#.to_owned(),
            ),
            (
                r"disk_size: .+".to_owned(),
                "disk_size: [VARIES]".to_owned(),
            ),
            (
                r"disk_size_bytes: \d+".to_owned(),
                "disk_size_bytes: [VARIES]".to_owned(),
            ),
            (
                r"\.fstack-partial-\d+".to_owned(),
                ".fstack-partial-[PID]".to_owned(),
            ),
        ];
        for dir in [
            self.dir.path().to_path_buf(),
            self.dir.path().canonicalize().unwrap(),
        ] {
            filters.push((regex_escape(&dir.to_string_lossy()), "[DIR]".to_owned()));
        }
        filters
    }
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// Snapshots a command's exit code, stdout and stderr, with `local`'s filters.
macro_rules! snapshot {
    ($local:expr, $name:expr, $cmd:expr) => {{
        let filters = $local.filters();
        let filters: Vec<(&str, &str)> = filters
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        insta::with_settings!({ filters => filters }, {
            assert_cmd_snapshot!($name, $cmd);
        });
    }};
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the command runs")
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

fn require_qemu_img() {
    assert!(
        on_path("qemu-img"),
        "these tests need qemu-img (Debian package qemu-utils); install the host packages as \
         root with `cargo run -p ferrostack-testbed --bin host-packages`"
    );
}

fn require_qemu_system() {
    require_qemu_img();
    assert!(
        on_path("qemu-system-x86_64"),
        "these tests boot VMs and need qemu-system-x86_64 (Debian package qemu-system-x86); \
         install the host packages as root with \
         `cargo run -p ferrostack-testbed --bin host-packages`"
    );
}

/// A qcow2 header field: `len` bytes, big-endian, at `offset`.
fn be(bytes: &[u8], offset: usize, len: usize) -> u64 {
    bytes[offset..offset + len]
        .iter()
        .fold(0, |value, byte| (value << 8) | u64::from(*byte))
}

/// Sets the 16-bit refcount of qcow2 cluster `cluster` (refcount block 0, the default 16-bit
/// refcounts of a small image), to make leaks and corruption on purpose.
fn set_refcount(image: &Path, cluster: u64, refcount: u16, grow_to_clusters: Option<u64>) {
    let mut bytes = std::fs::read(image).unwrap();
    assert_eq!(&bytes[..4], b"QFI\xfb", "a qcow2 image");
    assert_eq!(be(&bytes, 96, 4), 4, "16-bit refcounts");
    let cluster_size = 1u64 << be(&bytes, 20, 4);
    let refcount_table = be(&bytes, 48, 8) as usize;
    let block = be(&bytes, refcount_table, 8) as usize;
    if let Some(clusters) = grow_to_clusters {
        bytes.resize((clusters * cluster_size) as usize, 0);
    }
    let at = block + 2 * cluster as usize;
    bytes[at..at + 2].copy_from_slice(&refcount.to_be_bytes());
    std::fs::write(image, bytes).unwrap();
}

// ---------------------------------------------------------------------------------------------
// disk: qemu-img

#[test]
fn disk_create_prints_the_new_image_as_a_table_json_or_a_value() {
    require_qemu_img();
    let local = Local::new();
    snapshot!(
        local,
        "disk_create_table",
        local.fstack(&["disk", "create", "operator-week-centos7.qcow2", "10G"])
    );
    snapshot!(
        local,
        "disk_info_json",
        local.fstack(&[
            "disk",
            "info",
            "operator-week-centos7.qcow2",
            "--output",
            "json"
        ])
    );
    let value = local.ok(&[
        "disk",
        "info",
        "operator-week-centos7.qcow2",
        "--output",
        "value",
        "--column",
        "virtual_size_bytes",
        "--column",
        "compat",
    ]);
    assert_eq!(value, "10737418240\n1.1\n");
    let shell = local.ok(&[
        "disk",
        "create",
        "-f",
        "raw",
        "scratch.raw",
        "1.5M",
        "--output",
        "shell",
        "--column",
        "file_format",
        "--column",
        "virtual_size",
    ]);
    assert_eq!(shell, "file_format=\"raw\"\nvirtual_size=\"1.5 MiB\"\n");
}

#[test]
fn an_overlay_takes_its_backing_size_and_shows_its_chain() {
    require_qemu_img();
    let local = Local::new();
    local.ok(&["disk", "create", "centos7-base.qcow2", "1G"]);
    local.ok(&[
        "disk",
        "create",
        "centos7-overlay.qcow2",
        "-b",
        "centos7-base.qcow2",
        "-F",
        "qcow2",
    ]);
    let info = local.info("centos7-overlay.qcow2");
    assert_eq!(info["virtual_size_bytes"], 1 << 30);
    assert_eq!(info["backing_file"], "centos7-base.qcow2");
    assert_eq!(info["backing_file_format"], "qcow2");
    snapshot!(
        local,
        "disk_info_backing_chain_yaml",
        local.fstack(&[
            "disk",
            "info",
            "centos7-overlay.qcow2",
            "--backing-chain",
            "--output",
            "yaml"
        ])
    );
    let err = local.fails(
        &[
            "disk",
            "info",
            "centos7-overlay.qcow2",
            "--backing-chain",
            "--output",
            "shell",
        ],
        1,
    );
    assert!(err.contains("--output shell prints one image"), "{err}");
}

#[test]
fn disk_create_refuses_bad_input_and_leaves_nothing_half_made() {
    require_qemu_img();
    let local = Local::new();
    local.ok(&["disk", "create", "existing.qcow2", "1G"]);
    snapshot!(
        local,
        "disk_create_existing",
        local.fstack(&["disk", "create", "existing.qcow2", "2G"])
    );
    snapshot!(
        local,
        "disk_create_bad_size",
        local.fstack(&["disk", "create", "new.qcow2", "10X"])
    );
    snapshot!(
        local,
        "disk_create_backing_without_format",
        local.fstack(&["disk", "create", "new.qcow2", "-b", "existing.qcow2"])
    );
    snapshot!(
        local,
        "disk_create_missing_backing",
        local.fstack(&[
            "disk",
            "create",
            "new.qcow2",
            "-b",
            "gone.qcow2",
            "-F",
            "qcow2"
        ])
    );
    snapshot!(
        local,
        "disk_create_unknown_format",
        local.fstack(&["disk", "create", "new.qcow2", "1G", "-f", "qcow3"])
    );
    assert_eq!(local.listing(), ["existing.qcow2"], "no new.qcow2 left");
}

#[test]
fn disk_convert_round_trips_and_picks_the_format_from_the_name() {
    require_qemu_img();
    let local = Local::new();
    // 4 MiB with a recognisable pattern, so that the round trip is a real check.
    let data: Vec<u8> = (0..4u32 << 20).map(|i| (i % 251) as u8).collect();
    std::fs::write(local.path("disk.raw"), &data).unwrap();
    snapshot!(
        local,
        "disk_convert_compressed_qcow2",
        local.fstack(&[
            "disk",
            "convert",
            "-f",
            "raw",
            "disk.raw",
            "disk.qcow2",
            "-c",
            "--output",
            "json",
            "--column",
            "file",
            "--column",
            "file_format",
            "--column",
            "virtual_size_bytes",
        ])
    );
    local.ok(&["disk", "convert", "disk.qcow2", "back.img"]);
    assert_eq!(local.info("back.img")["file_format"], "raw");
    assert!(
        std::fs::read(local.path("back.img")).unwrap() == data,
        "same bytes back"
    );
    local.ok(&["disk", "convert", "disk.qcow2", "copy.vmdk"]);
    assert_eq!(local.info("copy.vmdk")["file_format"], "vmdk");
    local.ok(&["disk", "convert", "disk.qcow2", "plain", "-O", "qcow2"]);
    assert_eq!(local.info("plain")["file_format"], "qcow2");

    let err = local.fails(&["disk", "convert", "disk.qcow2", "disk.bin"], 1);
    assert_eq!(
        err,
        "disk.bin: cannot tell the output format from this name; pass -O FMT (e.g. -O qcow2)\n"
    );
    let err = local.fails(&["disk", "convert", "nope.qcow2", "out.qcow2"], 1);
    assert_eq!(err, "source image nope.qcow2: no such file\n");
    assert_eq!(
        local.listing(),
        ["back.img", "copy.vmdk", "disk.qcow2", "disk.raw", "plain"]
    );
}

#[test]
fn a_failed_convert_removes_its_partial_output() {
    require_qemu_img();
    let local = Local::new();
    let noise: Vec<u8> = (0..8u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(local.path("big.raw"), noise).unwrap();
    // A 1 MiB file size limit: qemu-img creates the output, then a write fails half-way, as
    // on a full disk.
    let out = run(Command::new("bash")
        .args([
            "-c",
            r#"ulimit -f 2048 && exec "$0" "$@""#,
            env!("CARGO_BIN_EXE_fstack"),
            "disk",
            "convert",
            "-f",
            "raw",
            "big.raw",
            "big.qcow2",
        ])
        .current_dir(local.dir.path()));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("cannot convert big.raw to big.qcow2 (qcow2); nothing was written\n")
            && err.contains("File too large"),
        "{err}"
    );
    assert_eq!(local.listing(), ["big.raw"], "the partial output is gone");
}

#[test]
fn disk_check_keeps_qemu_img_exit_codes_with_clear_messages() {
    require_qemu_img();
    let local = Local::new();
    local.ok(&["disk", "create", "clean.qcow2", "1M"]);
    std::fs::copy(local.path("clean.qcow2"), local.path("leaky.qcow2")).unwrap();
    std::fs::copy(local.path("clean.qcow2"), local.path("broken.qcow2")).unwrap();
    // Cluster 4 (past the end) counted as used but referenced by nothing: a leak.
    set_refcount(&local.path("leaky.qcow2"), 4, 1, Some(5));
    // Cluster 3 (the L1 table) counted as free while in use: corruption.
    set_refcount(&local.path("broken.qcow2"), 3, 0, None);
    local.ok(&["disk", "create", "-f", "raw", "plain.raw", "1M"]);

    snapshot!(
        local,
        "disk_check_clean",
        local.fstack(&["disk", "check", "clean.qcow2"])
    );
    snapshot!(
        local,
        "disk_check_leaks",
        local.fstack(&["disk", "check", "leaky.qcow2"])
    );
    snapshot!(
        local,
        "disk_check_corrupted",
        local.fstack(&["disk", "check", "broken.qcow2", "--output", "json"])
    );
    snapshot!(
        local,
        "disk_check_raw",
        local.fstack(&["disk", "check", "plain.raw", "-f", "raw"])
    );
    snapshot!(
        local,
        "disk_check_missing",
        local.fstack(&["disk", "check", "missing.qcow2"])
    );
}

#[test]
fn disk_resize_takes_absolute_and_relative_sizes() {
    require_qemu_img();
    let local = Local::new();
    local.ok(&["disk", "create", "grow.qcow2", "1G"]);
    let size = |args: &[&str]| {
        let mut all = vec!["disk", "resize", "grow.qcow2"];
        all.extend(args);
        all.extend(["--output", "value", "--column", "virtual_size"]);
        local.ok(&all)
    };
    assert_eq!(size(&["+1G"]), "2 GiB\n");
    assert_eq!(size(&["3G"]), "3 GiB\n");
    assert_eq!(size(&["-512M", "--shrink"]), "2.5 GiB\n");
    snapshot!(
        local,
        "disk_resize_shrink_needs_the_flag",
        local.fstack(&["disk", "resize", "grow.qcow2", "-512M"])
    );
    snapshot!(
        local,
        "disk_resize_bad_size",
        local.fstack(&["disk", "resize", "grow.qcow2", "+1Q"])
    );
    let err = local.fails(&["disk", "resize", "grow.qcow2", "-9G", "--shrink"], 1);
    assert!(
        err.contains("cannot shrink it by 9663676416 bytes"),
        "{err}"
    );
    assert_eq!(local.info("grow.qcow2")["virtual_size"], "2.5 GiB");
}

#[test]
fn a_missing_qemu_names_the_debian_package() {
    let local = Local::new();
    std::fs::create_dir(local.path("empty-bin")).unwrap();
    std::fs::write(local.path("vmlinuz"), b"not really").unwrap();
    let path = local.path("empty-bin");
    let out = run(local
        .fstack(&["disk", "info", "x.qcow2"])
        .env("PATH", &path));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "`qemu-img` was not found on PATH; install the Debian package `qemu-utils` \
         (apt-get install qemu-utils)\n"
    );
    let out = run(local
        .fstack(&["vm", "boot", "--kernel", "vmlinuz"])
        .env("PATH", &path));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "`qemu-system-x86_64` was not found on PATH; install the Debian package \
             `qemu-system-x86`"
        ),
        "{err}"
    );
}

#[test]
fn vm_flags_are_checked_before_anything_starts() {
    let local = Local::new();
    let err = local.fails(&["vm", "boot", "--kernel", "missing-vmlinuz"], 1);
    assert_eq!(err, "--kernel missing-vmlinuz: no such file\n");
    let err = local.fails(&["vm", "boot", "--initrd", "initrd.gz"], 2);
    assert!(err.contains("--kernel"), "{err}");
    let err = local.fails(&["vm", "boot", "--kernel", "k", "--timeout", "0"], 1);
    assert_eq!(err, "--timeout 0: give a number of seconds above 0\n");
    let err = local.fails(
        &["vm", "install", "--disk", "d.qcow2", "--cdrom", "x.iso"],
        1,
    );
    assert_eq!(err, "--disk d.qcow2: no such file\n");
    let err = local.fails(&["image", "build", "--token", "two words"], 1);
    assert!(
        err.starts_with("--token \"two words\": use 1 to 64 letters"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// image build and vm: real qemu

/// What `fstack image build -f json` printed, built once per test binary (the kernel download
/// is cached in the workspace's target/ferrostack-cache, shared with the other crates' tests).
fn tiny() -> &'static Value {
    static TINY: OnceLock<Value> = OnceLock::new();
    TINY.get_or_init(|| {
        require_qemu_system();
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let out = tmp.join("fstack-local-tiny");
        let started = Instant::now();
        let output = run(Command::new(env!("CARGO_BIN_EXE_fstack")).args([
            "image".as_ref(),
            "build".as_ref(),
            "--output".as_ref(),
            out.as_os_str(),
            "--cache-dir".as_ref(),
            tmp.join("../ferrostack-cache").as_os_str(),
            "-f".as_ref(),
            "json".as_ref(),
        ]));
        assert!(
            output.status.success(),
            "fstack image build failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        eprintln!("fstack image build: {:.1?}", started.elapsed());
        serde_json::from_slice(&output.stdout).expect("image build -f json")
    })
}

fn field<'a>(tiny: &'a Value, name: &str) -> &'a str {
    tiny[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {tiny}"))
}

/// qemu processes whose command line contains `needle`.
fn qemu_processes_with(needle: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| std::fs::read(entry.ok()?.path().join("cmdline")).ok())
        .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
        .filter(|cmdline| cmdline.contains("qemu-system") && cmdline.contains(needle))
        .collect()
}

fn interrupt(child: &std::process::Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Ctrl-C for `child`, then its exit status and what it printed on stderr.
fn interrupt_and_wait(child: &mut std::process::Child) -> (std::process::ExitStatus, String) {
    interrupt(child);
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status, stderr)
}

#[test]
fn image_build_prints_its_parts_and_the_lines_that_upload_them() {
    let tiny = tiny();
    for part in [
        "kernel",
        "initrd",
        "root_qcow2",
        "root_raw",
        "bootable_qcow2",
    ] {
        let path = Path::new(field(tiny, part));
        assert!(path.is_absolute() && path.is_file(), "{part}: {path:?}");
    }
    let token = field(tiny, "token");
    assert_eq!(field(tiny, "boot_marker"), format!("SMOKE-BOOT-OK {token}"));
    assert!(field(tiny, "upload_qcow2").starts_with(&format!(
        "fstack image create tiny-{token}-qcow2 --disk-format qcow2 --container-format bare \
         --file /"
    )));
    assert!(field(tiny, "upload_kernel").contains("--disk-format aki --container-format aki"));
    assert!(field(tiny, "upload_ramdisk").contains("--disk-format ari --container-format ari"));
    let ami = field(tiny, "upload_ami");
    assert!(
        ami.contains("--property kernel_id=\"$KID\" --property ramdisk_id=\"$RID\"")
            && ami.contains(&format!(
                "--property os_command_line='console=ttyS0 panic=-1 quiet smoke_token={token} \
                 root=/dev/vda smoke_stay=1'"
            ))
            && ami.ends_with("root.raw"),
        "{ami}"
    );
    let local = Local::new();
    let root = local.info(field(tiny, "root_raw"));
    assert_eq!(root["file_format"], "raw");
    let bootable = local.info(field(tiny, "bootable_qcow2"));
    assert_eq!(bootable["file_format"], "qcow2");
}

/// Runs a boot to completion and returns its output and how long it took.
fn boot(args: &[&str]) -> (Output, f64) {
    let local = Local::new();
    let started = Instant::now();
    let out = run(&mut local.fstack(args));
    (out, started.elapsed().as_secs_f64())
}

#[test]
fn vm_boot_of_the_kernel_and_initrd_reaches_the_marker() {
    let tiny = tiny();
    let marker = field(tiny, "boot_marker");
    let append = format!(
        "console=ttyS0 panic=-1 quiet smoke_token={}",
        field(tiny, "token")
    );
    let (out, seconds) = boot(&[
        "vm",
        "boot",
        "--kernel",
        field(tiny, "kernel"),
        "--initrd",
        field(tiny, "initrd"),
        "--append",
        &append,
        "--wait-for",
        marker,
    ]);
    eprintln!("vm boot --kernel --initrd: {seconds:.1} s");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().last(), Some(marker), "{stdout}");
    assert!(stderr.contains("the console showed"), "{stderr}");
}

#[test]
fn vm_boot_of_the_self_booting_disk_reaches_the_marker() {
    let tiny = tiny();
    let marker = field(tiny, "boot_marker");
    let (out, seconds) = boot(&[
        "vm",
        "boot",
        "--disk",
        field(tiny, "bootable_qcow2"),
        "--wait-for",
        marker,
    ]);
    eprintln!("vm boot --disk bootable.qcow2: {seconds:.1} s");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().any(|line| line == marker), "{stdout}");
}

#[test]
fn vm_boot_with_the_root_disk_runs_until_the_guest_powers_off() {
    let tiny = tiny();
    let append = format!(
        "console=ttyS0 panic=-1 quiet smoke_token={} root=/dev/vda",
        field(tiny, "token")
    );
    let (out, seconds) = boot(&[
        "vm",
        "boot",
        "--kernel",
        field(tiny, "kernel"),
        "--initrd",
        field(tiny, "initrd"),
        "--disk",
        field(tiny, "root_qcow2"),
        "--append",
        &append,
    ]);
    eprintln!("vm boot --kernel --disk root.qcow2 to power-off: {seconds:.1} s");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("the guest powered off"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|line| line == field(tiny, "boot_marker")),
        "{stdout}"
    );
}

#[test]
fn a_boot_that_cannot_reach_its_marker_fails_with_the_console_tail() {
    let tiny = tiny();
    let token = field(tiny, "token");
    let (out, seconds) = boot(&[
        "vm",
        "boot",
        "--kernel",
        field(tiny, "kernel"),
        "--initrd",
        field(tiny, "initrd"),
        "--append",
        &format!("console=ttyS0 panic=-1 quiet smoke_token={token}"),
        "--wait-for",
        "SMOKE-BOOT-OK some-other-token",
    ]);
    eprintln!("vm boot to the wrong marker: {seconds:.1} s");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("vm boot: the guest stopped (qemu exit status: 0) after ")
            && stderr.contains(
                "before a console line containing \"SMOKE-BOOT-OK some-other-token\"; last \
                 console lines:\n"
            )
            && stderr.contains(&format!("\n  SMOKE-BOOT-OK {token}")),
        "{stderr}"
    );
}

#[test]
fn a_kernel_panic_is_a_failed_boot() {
    let tiny = tiny();
    let (out, seconds) = boot(&[
        "vm",
        "boot",
        "--kernel",
        field(tiny, "kernel"),
        "--initrd",
        field(tiny, "initrd"),
        // An init that exits at once: the kernel panics.
        "--append",
        "console=ttyS0 panic=-1 quiet rdinit=/bin/false",
        "--wait-for",
        field(tiny, "boot_marker"),
    ]);
    eprintln!("vm boot to a kernel panic: {seconds:.1} s");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("vm boot: the guest kernel panicked after ")
            && stderr.contains("Kernel panic - not syncing: Attempted to kill init!"),
        "{stderr}"
    );
}

#[test]
fn a_boot_past_its_timeout_fails_and_stops_the_vm() {
    let tiny = tiny();
    let token = format!("timeout-{}", std::process::id());
    let (out, _) = boot(&[
        "vm",
        "boot",
        "--kernel",
        field(tiny, "kernel"),
        "--initrd",
        field(tiny, "initrd"),
        // smoke_stay: the guest stays up after its marker, so only the timeout ends the boot.
        "--append",
        &format!("console=ttyS0 panic=-1 quiet smoke_token={token} smoke_stay=1"),
        "--wait-for",
        "a line that never comes",
        "--timeout",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .contains("vm boot: no console line containing \"a line that never comes\" within 3 s"),
        "{stderr}"
    );
    assert_eq!(qemu_processes_with(&token), Vec::<String>::new());
}

#[test]
fn ctrl_c_during_a_boot_kills_qemu() {
    let tiny = tiny();
    let token = format!("ctrl-c-{}", std::process::id());
    let marker = format!("SMOKE-BOOT-OK {token}");
    let local = Local::new();
    let mut child = local
        .fstack(&[
            "vm",
            "boot",
            "--kernel",
            field(tiny, "kernel"),
            "--initrd",
            field(tiny, "initrd"),
            "--append",
            &format!("console=ttyS0 panic=-1 quiet smoke_token={token} smoke_stay=1"),
            // A bound, so that a broken guest cannot hang the test.
            "--timeout",
            "300",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    // The guest is up (and stays up) once its marker is on the console.
    while stdout.read_line(&mut line).unwrap() > 0 && line.trim_end() != marker {
        line.clear();
    }
    assert_eq!(line.trim_end(), marker);
    assert_eq!(qemu_processes_with(&token).len(), 1, "qemu runs");
    let (status, stderr) = interrupt_and_wait(&mut child);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("fstack: interrupted; the VM was stopped"),
        "{stderr}"
    );
    assert_eq!(qemu_processes_with(&token), Vec::<String>::new());
}

#[test]
fn vm_install_prints_where_to_connect_and_waits_for_the_power_off() {
    let tiny = tiny();
    let local = Local::new();
    // The "installed" disk is the tiny self-booting one: the junk ISO does not boot, the
    // firmware falls through to the disk, whose guest prints its marker and powers off.
    std::fs::copy(field(tiny, "bootable_qcow2"), local.path("target.qcow2")).unwrap();
    std::fs::write(local.path("installer.iso"), vec![0u8; 1 << 20]).unwrap();
    let started = Instant::now();
    let out = run(&mut local.fstack(&[
        "vm",
        "install",
        "--disk",
        "target.qcow2",
        "--cdrom",
        "installer.iso",
        "--memory",
        "256",
        "--cpus",
        "1",
        "-f",
        "json",
    ]));
    eprintln!("vm install to power-off: {:.1?}", started.elapsed());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    let address = shown["vnc_address"].as_str().unwrap();
    let port: u16 = address.strip_prefix("127.0.0.1:").unwrap().parse().unwrap();
    assert_eq!(shown["vnc_display"], u64::from(port - 5900));
    assert_eq!(shown["disk_format"], "qcow2");
    assert!(
        stderr.contains(&format!(
            "connect a VNC viewer to {address} (display 127.0.0.1:"
        )) && stderr.contains("the guest powered off after")
            && stderr.contains("--disk-format qcow2 --container-format bare --file target.qcow2"),
        "{stderr}"
    );
}

#[test]
fn ctrl_c_during_an_install_kills_qemu_after_vnc_was_served() {
    require_qemu_system();
    let local = Local::new();
    local.ok(&["disk", "create", "blank.qcow2", "1G"]);
    // Nothing boots: the firmware waits a minute before it gives up, long after this test.
    std::fs::write(local.path("installer.iso"), vec![0u8; 1 << 20]).unwrap();
    let mut child = local
        .fstack(&[
            "vm",
            "install",
            "--disk",
            "blank.qcow2",
            "--cdrom",
            "installer.iso",
            "--memory",
            "256",
            "-f",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut json = String::new();
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        json.push_str(&line);
        if line == "}\n" {
            break;
        }
        line.clear();
    }
    let shown: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let pid = shown["pid"].as_u64().unwrap();
    // The address printed is a VNC server: it greets with its protocol version.
    let mut vnc = std::net::TcpStream::connect(shown["vnc_address"].as_str().unwrap()).unwrap();
    let mut greeting = [0u8; 12];
    vnc.read_exact(&mut greeting).unwrap();
    assert_eq!(&greeting, b"RFB 003.008\n");
    let _ = vnc.write_all(b"RFB 003.008\n");
    let (status, stderr) = interrupt_and_wait(&mut child);
    assert_eq!(status.code(), Some(130), "{stderr}");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&cmdline).contains("qemu-system"),
        "qemu {pid} outlived fstack"
    );
}
