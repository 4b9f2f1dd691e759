//! What the test suite needs beyond cargo, installed when missing, saying so.
//!
//! Python venvs land under `target/`, so a clean clone gets them on the first run and the
//! machine's own Python stays untouched. Host packages (qemu and the image tools) are
//! installed with apt by the testbed's `host-packages` binary, which knows the apt trap of
//! QEMU.md.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{cargo, run, step, target_dir, workspace_root};

/// The pinned versions of every Python package (from shared/real-openstack/constraints.txt).
const CONSTRAINTS: &str = "xtask/python/constraints.txt";

/// The Python packages the client tests run: python-openstackclient and openstacksdk.
const CLIENT_PACKAGES: &[&str] = &["python-openstackclient==10.5.0", "openstacksdk==4.22.0"];

/// A Python virtual environment under `target/`.
pub struct Venv {
    root: PathBuf,
}

impl Venv {
    /// The venv's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The venv's `bin/`.
    pub fn bin(&self) -> PathBuf {
        self.root.join("bin")
    }
}

/// The venv with python-openstackclient, created or completed when needed.
pub fn client_venv() -> Result<Venv> {
    ensure_venv("clients", CLIENT_PACKAGES, "openstack")
}

/// A venv at `target/venv/<name>` where `probe` (a console script) exists, installing the
/// pinned `packages` when it does not.
pub fn ensure_venv(name: &str, packages: &[&str], probe: &str) -> Result<Venv> {
    let root = target_dir().join("venv").join(name);
    let venv = Venv { root };
    let marker = venv.root.join(".ferrostack-installed");
    let wanted = packages.join("\n");
    if venv.bin().join(probe).exists()
        && std::fs::read_to_string(&marker).is_ok_and(|m| m == wanted)
    {
        return Ok(venv);
    }
    let python = find_python()?;
    if !venv.bin().join("python").exists() {
        step(format!(
            "creating a Python venv at {} (once; for the real-client tests)",
            venv.root.display()
        ));
        run(Command::new(&python).args(["-m", "venv"]).arg(&venv.root))
            .context("creating the venv (Debian needs `apt-get install python3-venv`)")?;
    }
    step(format!(
        "installing {} into {} (pinned by {CONSTRAINTS}; about a minute)",
        packages.join(", "),
        venv.root.display()
    ));
    let constraints = workspace_root().join(CONSTRAINTS);
    run(Command::new(venv.bin().join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-c",
        ])
        .arg(&constraints)
        .args(packages))
    .with_context(|| format!("pip install {} failed", packages.join(" ")))?;
    if !venv.bin().join(probe).exists() {
        bail!(
            "pip installed {} but {} is missing",
            packages.join(" "),
            venv.bin().join(probe).display()
        );
    }
    std::fs::write(&marker, wanted)?;
    Ok(venv)
}

fn find_python() -> Result<String> {
    for candidate in ["python3", "python3.11", "python3.12"] {
        let ok = Command::new(candidate)
            .args(["-c", "import venv"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Ok(candidate.to_owned());
        }
    }
    bail!(
        "no python3 with the venv module found: install it with `apt-get install python3 python3-venv`"
    )
}

/// Installs the host packages the boot tests, smoke and `fstack image build` need (qemu,
/// busybox-static, e2fsprogs, mtools, syslinux) when missing: `cargo run -p
/// ferrostack-testbed --bin host-packages`, a small build (the testbed and the qemu driver).
pub fn host_packages() -> Result<()> {
    step(
        "host packages for qemu and the tiny image \
         (cargo run -p ferrostack-testbed --bin host-packages)",
    );
    let apt_dir = target_dir().join("ferrostack-cache").join("apt");
    run(cargo()
        .args([
            "run",
            "--quiet",
            "-p",
            "ferrostack-testbed",
            "--bin",
            "host-packages",
            "--",
        ])
        .arg(&apt_dir))
    .context("installing the host packages")
}
