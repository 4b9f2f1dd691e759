//! What every CLI test needs: its own mock cloud, a clouds.yaml naming it, and `fstack` (or
//! python-openstackclient) run against it with nothing of the developer's environment leaking in.

#![allow(dead_code)] // each test file uses its own part of this

use std::path::PathBuf;
use std::process::{Command, Output};

use mock_cloud::MockCloud;
use serde_json::Value;
use tempfile::TempDir;

/// A mock cloud and a private folder holding its clouds.yaml, home and cache.
pub struct TestCloud {
    /// The cloud; stops when dropped.
    pub cloud: MockCloud,
    /// clouds.yaml, `HOME`, the token cache.
    pub dir: TempDir,
}

impl TestCloud {
    /// A fresh cloud with the default seed (admin/admin, demo/demo, m1.* flavors).
    pub async fn start() -> TestCloud {
        Self::with(MockCloud::start().await.expect("mock cloud starts")).await
    }

    /// Wraps a cloud started with builder options.
    pub async fn with(cloud: MockCloud) -> TestCloud {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("clouds.yaml"), cloud.clouds_yaml()).expect("clouds.yaml");
        TestCloud { cloud, dir }
    }

    /// `fstack` for the cloud `mock-admin` or `mock-demo` (the clouds.yaml names).
    pub fn fstack(&self, cloud: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fstack"));
        self.isolate(&mut cmd, cloud);
        cmd
    }

    /// python-openstackclient from the test venv (`cargo xtask test` makes it and sets
    /// `FERROSTACK_CLIENT_VENV`); a test that needs it fails, never skips, without it.
    pub fn openstack(&self, cloud: &str) -> Command {
        let venv = std::env::var_os("FERROSTACK_CLIENT_VENV").expect(
            "FERROSTACK_CLIENT_VENV is not set: run `cargo xtask test`, which creates the \
             python-openstackclient venv under target/venv/clients and sets it",
        );
        let bin = PathBuf::from(venv).join("bin/openstack");
        assert!(
            bin.exists(),
            "{} is missing: run `cargo xtask test` to create the client venv",
            bin.display()
        );
        let mut cmd = Command::new(bin);
        self.isolate(&mut cmd, cloud);
        cmd
    }

    /// The folder of this test's files.
    pub fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    fn isolate(&self, cmd: &mut Command, cloud: &str) {
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("OS_") || name.starts_with("CLIFF_") {
                cmd.env_remove(&*name);
            }
        }
        cmd.env("OS_CLIENT_CONFIG_FILE", self.dir.path().join("clouds.yaml"))
            .env("OS_CLOUD", cloud)
            .env("HOME", self.dir.path())
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .current_dir(self.dir.path());
    }
}

/// Runs a command and returns its output, whatever its exit status.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the command runs")
}

/// Runs a command that must succeed, and returns its stdout.
pub fn stdout(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Snapshot filters for what changes from run to run: ids, times, ports, hashes.
pub fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[UUID]",
        ),
        (r"\b[0-9a-f]{32}\b", "[HEX32]"),
        (r"\b[0-9a-f]{128}\b", "[SHA512]"),
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?",
            "[TIME]",
        ),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
    ]
}

// Side by side with python-openstackclient: the same command, the same output.

/// Runs `args` with both clients; their stdouts, openstack's first.
pub fn both(t: &TestCloud, args: &[&str]) -> (String, String) {
    let osc = stdout(t.openstack("mock-admin").args(args));
    let ours = stdout(t.fstack("mock-admin").args(args));
    (osc, ours)
}

/// `args` print the same JSON with both clients, columns in the same order.
pub fn same_json(t: &TestCloud, args: &[&str]) {
    let (osc, ours) = both(t, args);
    json_alike(args, &osc, &ours);
}

/// `osc` and `ours`, the outputs of `args`, are the same JSON, keys in the same order, and
/// the same text.
fn json_alike(args: &[&str], osc: &str, ours: &str) {
    let parse = |text: &str, who: &str| -> Value {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{who} {args:?}: {e}\n{text}"))
    };
    let (osc_json, our_json) = (parse(osc, "openstack"), parse(ours, "fstack"));
    assert_eq!(
        our_json, osc_json,
        "{args:?}\n--- openstack\n{osc}\n--- fstack\n{ours}"
    );
    // The keys come in the same order too, nested ones included: byte for byte.
    assert!(
        !top_level_keys(ours).is_empty(),
        "{args:?}: no keys in\n{ours}"
    );
    assert_eq!(
        top_level_keys(ours),
        top_level_keys(osc),
        "{args:?}: column order"
    );
    assert_eq!(
        ours, osc,
        "{args:?}: the same values, but not the same text"
    );
}

/// The keys of the first object in a JSON text, in the order written.
fn top_level_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut depth = 0usize;
    let mut seen_object = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if depth == 0 && trimmed.starts_with('{') {
            seen_object = true;
        }
        if seen_object && trimmed.starts_with('"') {
            // Keys of the first object sit at the shallowest indentation after `{`.
            if depth == 0 {
                depth = indent;
            }
            if indent == depth
                && let Some(key) = trimmed.split("\": ").next()
            {
                keys.push(key.trim_start_matches('"').to_owned());
            }
        }
        if seen_object && depth > 0 && trimmed.starts_with('}') && indent < depth {
            break;
        }
    }
    keys
}

/// `args` print the same text with both clients.
pub fn same_text(t: &TestCloud, args: &[&str]) {
    let (osc, ours) = both(t, args);
    assert_eq!(ours, osc, "{args:?}");
}

/// A word python-openstackclient's interactive shell (cmd2, which splits a line on blanks
/// and does not take quotes off) reads back as it is: `None` for any other.
fn shell_word(word: &str) -> Option<String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=,@+%".contains(c);
    (!word.is_empty() && word.chars().all(plain)).then(|| word.to_owned())
}

impl TestCloud {
    /// The stdout of each of `commands`, run by python-openstackclient as `cloud` in ONE
    /// process: its interactive shell reads them from stdin, with a shell `echo` of a marker
    /// after each, so that python starts once rather than once per command (most of a
    /// side-by-side test's time). Each must succeed: anything on stderr fails the test (the
    /// shell's exit status says nothing, it is 1 whatever happened). When
    /// a command cannot be given to the shell word for word, each runs on its own.
    pub fn openstack_each(&self, cloud: &str, commands: &[Vec<String>]) -> Vec<String> {
        let lines: Option<Vec<String>> = commands
            .iter()
            .map(|words| {
                let words: Option<Vec<String>> = words.iter().map(|w| shell_word(w)).collect();
                words.map(|words| words.join(" "))
            })
            .collect();
        let Some(lines) = lines else {
            return commands
                .iter()
                .map(|words| stdout(self.openstack(cloud).args(words)))
                .collect();
        };
        let marker = |index: usize| format!("@@ferrostack-side-by-side-{index}@@");
        let mut script = String::new();
        for (index, line) in lines.iter().enumerate() {
            script.push_str(&format!("{line}\n!echo {}\n", marker(index)));
        }
        let mut child = self
            .openstack(cloud)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("openstack starts");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin is piped");
            stdin
                .write_all(script.as_bytes())
                .expect("the commands reach openstack");
        }
        let out = child.wait_with_output().expect("openstack runs");
        let text = String::from_utf8(out.stdout).expect("utf-8 output");
        let errors = String::from_utf8_lossy(&out.stderr);
        // The shell exits 1 however its commands went: a failed one shows on stderr.
        assert!(
            errors.is_empty(),
            "openstack's shell ({}), given:\n{script}\nstderr:\n{errors}",
            out.status
        );
        let mut outputs = Vec::with_capacity(commands.len());
        let mut rest = text.as_str();
        for index in 0..commands.len() {
            let line = format!("{}\n", marker(index));
            let (output, after) = rest
                .split_once(&line)
                .unwrap_or_else(|| panic!("no marker {index} in openstack's output:\n{text}"));
            outputs.push(output.to_owned());
            rest = after;
        }
        outputs
    }

    /// Side-by-side checks of commands that change nothing, as `cloud`: see [`Checks`].
    pub fn checks(&self, cloud: &'static str) -> Checks<'_> {
        Checks {
            t: self,
            cloud,
            items: Vec::new(),
        }
    }
}

/// Read-only commands, each checked to print the same with both tools ([`Checks::run`]):
/// openstack runs them all in one process ([`TestCloud::openstack_each`]), fstack one by one.
/// Only for commands that change nothing: each sees the cloud as the last one left it.
pub struct Checks<'a> {
    t: &'a TestCloud,
    cloud: &'static str,
    /// Each command, and whether it is compared as JSON.
    items: Vec<(Vec<String>, bool)>,
}

impl Checks<'_> {
    /// `args` print the same text.
    pub fn text(&mut self, args: &[&str]) -> &mut Self {
        self.items
            .push((args.iter().map(|a| (*a).to_owned()).collect(), false));
        self
    }

    /// `args` print the same JSON, keys in the same order (as [`same_json`]).
    pub fn json(&mut self, args: &[&str]) -> &mut Self {
        self.items
            .push((args.iter().map(|a| (*a).to_owned()).collect(), true));
        self
    }

    /// Runs the checks.
    pub fn run(&mut self) {
        let items = std::mem::take(&mut self.items);
        let commands: Vec<Vec<String>> = items.iter().map(|(args, _)| args.clone()).collect();
        let osc = self.t.openstack_each(self.cloud, &commands);
        for ((args, json), osc) in items.iter().zip(osc) {
            let ours = stdout(self.t.fstack(self.cloud).args(args));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            if *json {
                json_alike(&args, &osc, &ours);
            } else {
                assert_eq!(ours, osc, "{}: {args:?}", self.cloud);
            }
        }
    }
}
