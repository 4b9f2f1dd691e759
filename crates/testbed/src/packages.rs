//! Host packages: check what the driver needs, and install what is missing when root.
//!
//! The trap (see QEMU.md): `qemu-utils` 10 from bookworm-backports declares
//! `Breaks: qemu-system-common (<< 1:8.0)`, so a plain `apt-get install qemu-system-x86`
//! (bookworm's 7.2) silently REMOVES qemu-utils. qemu-system-x86 and qemu-utils are therefore
//! installed together from backports, with `--no-remove` so that apt stops rather than removes,
//! using a private apt state folder so that `/etc/apt` is never touched.

use std::path::{Path, PathBuf};

use ferrostack_qemu::{Error, Result, ToolCommand};

use crate::programs;

/// The packages that come from `<codename>-backports`, always together.
pub const QEMU_PACKAGES: &[&str] = &["qemu-system-x86", "qemu-utils"];

/// The packages the image builder, the seed and the mock's config drives (`genisoimage`, which
/// also ships `isoinfo`) need, from the release itself.
pub const BUILD_PACKAGES: &[&str] = &[
    "busybox-static",
    "e2fsprogs",
    "genisoimage",
    "mtools",
    "syslinux",
    "syslinux-common",
];

/// The firmware the driver boots guests with besides qemu's own BIOS: OVMF, for UEFI
/// (`hw_firmware_type=uefi`), from the release itself.
pub const FIRMWARE_PACKAGES: &[&str] = &["ovmf"];

/// What the tests log in to guests with.
pub const CLIENT_PACKAGES: &[&str] = &["openssh-client"];

/// Everything the driver, the image builds and the boot tests use.
pub fn all_packages() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = QEMU_PACKAGES
        .iter()
        .chain(BUILD_PACKAGES)
        .chain(FIRMWARE_PACKAGES)
        .chain(crate::debian::HOST_PACKAGES)
        .chain(CLIENT_PACKAGES)
        .copied()
        .collect();
    // Each once, in first-seen order (e2fsprogs and qemu-utils are in several lists).
    let mut seen = std::collections::HashSet::new();
    all.retain(|package| seen.insert(*package));
    all
}

/// What [`ensure`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Installed {
    /// The packages installed by this call (empty when all were present).
    pub packages: Vec<String>,
}

/// A private apt configuration: its own sources list (release, updates, backports, security),
/// package lists and archive cache, under one folder.
#[derive(Clone, Debug)]
pub struct PrivateApt {
    root: PathBuf,
    codename: String,
}

impl PrivateApt {
    /// A private apt state under `root` for the Debian release `codename` (e.g. "bookworm").
    ///
    /// A relative `root` is made absolute against the current folder: apt reads a relative
    /// `Dir::Etc::sourcelist` against `/etc/apt`, and would then find no sources at all.
    pub fn new(root: impl Into<PathBuf>, codename: impl Into<String>) -> Self {
        let root = root.into();
        PrivateApt {
            root: std::path::absolute(&root).unwrap_or(root),
            codename: codename.into(),
        }
    }

    /// One for this host's release (from `/etc/os-release`), under `root`.
    pub fn for_host(root: impl Into<PathBuf>) -> Result<Self> {
        let os_release = std::fs::read_to_string("/etc/os-release")
            .map_err(|err| Error::io("cannot read", "/etc/os-release", err))?;
        let codename = os_release_codename(&os_release)
            .ok_or_else(|| Error::invalid("/etc/os-release", "has no VERSION_CODENAME"))?;
        Ok(Self::new(root, codename))
    }

    /// The sources.list this state uses.
    pub fn sources_list(&self) -> String {
        let keyring = "[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]";
        let codename = &self.codename;
        format!(
            "deb {keyring} http://deb.debian.org/debian {codename} main\n\
             deb {keyring} http://deb.debian.org/debian {codename}-updates main\n\
             deb {keyring} http://deb.debian.org/debian {codename}-backports main\n\
             deb {keyring} http://deb.debian.org/debian-security {codename}-security main\n"
        )
    }

    /// The `-o` options that point apt at this state.
    pub fn options(&self) -> Vec<String> {
        let root = self.root.to_string_lossy();
        vec![
            "-o".to_owned(),
            format!("Dir::Etc::sourcelist={root}/sources.list"),
            "-o".to_owned(),
            "Dir::Etc::sourceparts=-".to_owned(),
            "-o".to_owned(),
            format!("Dir::State::lists={root}/lists"),
            "-o".to_owned(),
            format!("Dir::Cache::archives={root}/archives"),
        ]
    }

    /// An apt command (`apt-get`, `apt-cache`) on this state.
    pub fn command(&self, program: &Path, args: &[&str]) -> ToolCommand {
        let mut command = ToolCommand::new(program);
        command.args.extend(self.options());
        command
            .args
            .extend(args.iter().map(|arg| (*arg).to_owned()));
        command
    }

    /// Writes the sources list and fetches the package lists (once: later calls reuse them
    /// unless `refresh`).
    pub async fn update(&self, refresh: bool) -> Result<()> {
        for dir in ["lists/partial", "archives/partial"] {
            let dir = self.root.join(dir);
            std::fs::create_dir_all(&dir).map_err(|err| Error::io("cannot create", &dir, err))?;
        }
        let sources = self.root.join("sources.list");
        std::fs::write(&sources, self.sources_list())
            .map_err(|err| Error::io("cannot write", &sources, err))?;
        let stamp = self.root.join("lists/.ferrostack-updated");
        if stamp.exists() && !refresh {
            return Ok(());
        }
        let apt_get = programs::APT_GET.locate(None)?;
        self.command(&apt_get, &["-q", "update"]).run().await?;
        // apt-get update succeeds with only warnings when it reads no source at all; a stamp
        // over empty lists would make every later install fail on a missing release.
        let lists = self.root.join("lists");
        if !has_package_lists(&lists) {
            return Err(Error::invalid(
                sources.display().to_string(),
                "apt-get update fetched no package lists with this sources list",
            ));
        }
        std::fs::write(&stamp, b"").map_err(|err| Error::io("cannot write", &stamp, err))
    }

    /// The release codename.
    pub fn codename(&self) -> &str {
        &self.codename
    }
}

/// Whether `lists` holds at least one fetched `..._Packages` index.
fn has_package_lists(lists: &Path) -> bool {
    std::fs::read_dir(lists).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().contains("_Packages"))
    })
}

fn os_release_codename(os_release: &str) -> Option<String> {
    os_release
        .lines()
        .find_map(|line| line.strip_prefix("VERSION_CODENAME="))
        .map(|value| value.trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

/// Which of `packages` are not installed (per dpkg).
pub async fn missing(packages: &[&str]) -> Result<Vec<String>> {
    let command = ToolCommand::new("dpkg-query")
        .arg("-W")
        .arg("-f=${Package} ${db:Status-Status}\n");
    let command = packages
        .iter()
        .fold(command, |command, package| command.arg(*package));
    // dpkg-query exits 1 when some package is unknown; the listing is still on stdout.
    let output = command.run_accepting(&[0, 1]).await?;
    let listing = String::from_utf8_lossy(&output.stdout);
    Ok(missing_from_listing(packages, &listing))
}

fn missing_from_listing(packages: &[&str], listing: &str) -> Vec<String> {
    packages
        .iter()
        .filter(|package| {
            !listing.lines().any(|line| {
                let mut words = line.split_whitespace();
                let name = words.next().unwrap_or_default();
                // Multi-arch packages are listed as name:arch.
                let name = name.split(':').next().unwrap_or_default();
                name == **package && words.next() == Some("installed")
            })
        })
        .map(|package| (*package).to_owned())
        .collect()
}

/// The command a person runs to install `missing` by hand.
pub fn manual_command(missing: &[String], codename: &str) -> String {
    let (qemu, rest): (Vec<&String>, Vec<&String>) = missing
        .iter()
        .partition(|package| QEMU_PACKAGES.contains(&package.as_str()));
    let mut steps = Vec::new();
    if !qemu.is_empty() {
        // Always both: installing qemu-system-x86 alone from the release removes qemu-utils 10.
        steps.push(format!(
            "apt-get install -y --no-remove -t {codename}-backports {} (with {codename}-backports in your sources)",
            QEMU_PACKAGES.join(" ")
        ));
    }
    if !rest.is_empty() {
        let rest: Vec<&str> = rest.iter().map(|package| package.as_str()).collect();
        steps.push(format!("apt-get install -y --no-remove {}", rest.join(" ")));
    }
    steps.join(" && ")
}

/// Checks `packages` and, when some are missing and this process is root, installs them
/// (saying so on stderr), using a private apt state under `apt_dir`. Fast when all are present.
/// When not root, or when apt fails, the error names exactly what to install.
pub async fn ensure(packages: &[&str], apt_dir: &Path) -> Result<Installed> {
    ensure_as(packages, apt_dir, rustix::process::geteuid().is_root()).await
}

async fn ensure_as(packages: &[&str], apt_dir: &Path, root: bool) -> Result<Installed> {
    let missing = missing(packages).await?;
    if missing.is_empty() {
        return Ok(Installed::default());
    }
    let apt = PrivateApt::for_host(apt_dir)?;
    let fail = |reason: String| Error::Packages {
        command: manual_command(&missing, apt.codename()),
        missing: missing.clone(),
        reason,
    };
    if !root {
        return Err(fail("not running as root".to_owned()));
    }
    eprintln!(
        "ferrostack-qemu: installing missing host packages: {}",
        missing.join(" ")
    );
    install(&apt, &missing)
        .await
        .map_err(|err| fail(err.to_string()))?;
    let still = self::missing(packages).await?;
    if !still.is_empty() {
        return Err(fail(format!(
            "apt finished but {} are still not installed",
            still.join(" ")
        )));
    }
    Ok(Installed { packages: missing })
}

async fn install(apt: &PrivateApt, missing: &[String]) -> Result<()> {
    apt.update(false).await?;
    let apt_get = programs::APT_GET.locate(None)?;
    let base = [
        "-q",
        "-y",
        "--no-remove",
        "--no-install-recommends",
        "install",
    ];
    let backports = format!("{}-backports", apt.codename());
    if missing
        .iter()
        .any(|package| QEMU_PACKAGES.contains(&package.as_str()))
    {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(["-t", &backports]);
        args.extend(QEMU_PACKAGES);
        run_apt(apt.command(&apt_get, &args)).await?;
    }
    let rest: Vec<&str> = missing
        .iter()
        .map(String::as_str)
        .filter(|package| !QEMU_PACKAGES.contains(package))
        .collect();
    if !rest.is_empty() {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(rest);
        run_apt(apt.command(&apt_get, &args)).await?;
    }
    Ok(())
}

async fn run_apt(command: ToolCommand) -> Result<()> {
    eprintln!("ferrostack-qemu: {}", command.display());
    let mut command = command;
    // Non-interactive, whatever the caller's environment says.
    command.args.insert(0, "-o".to_owned());
    command
        .args
        .insert(1, "Dpkg::Options::=--force-confold".to_owned());
    let mut process = tokio::process::Command::new(&command.program);
    process
        .args(&command.args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(std::process::Stdio::null());
    let output = process.output().await.map_err(|source| Error::Spawn {
        command: command.display(),
        source,
    })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(command.failed(&output))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_root_becomes_absolute_so_apt_finds_its_sources() {
        let apt = PrivateApt::new("target/ferrostack-cache/apt", "bookworm");
        let expected = std::env::current_dir()
            .unwrap()
            .join("target/ferrostack-cache/apt");
        assert_eq!(apt.root, expected);
        let command = apt.command(Path::new("apt-get"), &["update"]);
        let sourcelist = format!("Dir::Etc::sourcelist={}/sources.list", expected.display());
        assert!(command.args.contains(&sourcelist), "{:?}", command.args);
    }

    #[test]
    fn package_lists_are_present_only_when_an_index_was_fetched() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("partial")).unwrap();
        assert!(!has_package_lists(dir.path()));
        assert!(!has_package_lists(&dir.path().join("absent")));
        std::fs::write(
            dir.path()
                .join("deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"),
            b"",
        )
        .unwrap();
        assert!(has_package_lists(dir.path()));
    }

    #[test]
    fn listing_marks_missing_and_config_only_packages() {
        let listing = "qemu-utils installed\nmtools not-installed\nsyslinux config-files\nlibc6:amd64 installed\n";
        let missing = missing_from_listing(
            &["qemu-utils", "mtools", "syslinux", "libc6", "fdisk"],
            listing,
        );
        assert_eq!(missing, ["mtools", "syslinux", "fdisk"]);
    }

    #[test]
    fn manual_command_always_names_both_qemu_packages_from_backports() {
        let command = manual_command(
            &["qemu-system-x86".to_owned(), "mtools".to_owned()],
            "bookworm",
        );
        assert_eq!(
            command,
            "apt-get install -y --no-remove -t bookworm-backports qemu-system-x86 qemu-utils \
             (with bookworm-backports in your sources) && apt-get install -y --no-remove mtools"
        );
    }

    #[test]
    fn private_apt_points_every_path_at_its_folder() {
        let apt = PrivateApt::new("/cache/apt", "bookworm");
        let command = apt.command(Path::new("apt-get"), &["update"]);
        insta::assert_debug_snapshot!(command.args);
        insta::assert_snapshot!(apt.sources_list());
    }

    #[test]
    fn every_package_is_listed_once_with_ovmf_for_uefi_guests() {
        let all = all_packages();
        assert!(all.contains(&"ovmf"), "{all:?}");
        let unique: std::collections::BTreeSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len(), "{all:?}");
        // OVMF comes from the release, not with qemu from backports.
        assert_eq!(
            manual_command(&["ovmf".to_owned()], "bookworm"),
            "apt-get install -y --no-remove ovmf"
        );
    }

    #[test]
    fn codename_is_read_from_os_release() {
        let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_CODENAME=bookworm\n";
        assert_eq!(os_release_codename(text).as_deref(), Some("bookworm"));
        assert_eq!(os_release_codename("ID=debian\n"), None);
    }

    #[tokio::test]
    async fn without_root_the_error_says_exactly_what_to_install() {
        let err = ensure_as(
            &["dpkg", "ferrostack-no-such-package"],
            Path::new("/nonexistent"),
            false,
        )
        .await
        .unwrap_err();
        let Error::Packages { missing, .. } = &err else {
            panic!("unexpected error {err:?}");
        };
        assert_eq!(missing, &["ferrostack-no-such-package"]);
        let message = err.to_string();
        assert!(
            message.starts_with("missing host packages: ferrostack-no-such-package; not running as root. Install them as root with: apt-get install -y --no-remove ferrostack-no-such-package"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn present_packages_are_not_reinstalled() {
        // dpkg itself is always installed on a Debian host: nothing to do, and fast.
        let installed = ensure(&["dpkg"], Path::new("/nonexistent")).await.unwrap();
        assert_eq!(installed, Installed::default());
    }
}
