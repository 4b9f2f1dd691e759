//! A Debian cloud image, built from Debian's packages without loop mounts:
//!
//! 1. **Bootstrap**: `mmdebstrap` makes a root tarball with the cloud kernel, cloud-init,
//!    openssh-server and a DHCP client, from the mirror apt uses. This is the slow step (a few
//!    minutes), so the tarball is cached under the cache folder, keyed by everything that goes
//!    into it (suite, mirror, packages, the recipe's version).
//! 2. **Configure**: the tarball is unpacked into a scratch folder and made an image: fstab by
//!    label, no machine id, no SSH host keys (cloud-init makes them per instance), no password
//!    logins over SSH, GRUB's configuration and modules.
//! 3. **Filesystem**: `mkfs.ext4 -d` turns the folder into the root filesystem (labelled
//!    [`ROOT_LABEL`]): that file is the trio's `ami`.
//! 4. **Boot loader**: a self-booting MBR disk, GRUB's `boot.img` in the MBR and a `core.img`
//!    made with `grub-mkimage` in the gap before the first partition, the root filesystem as
//!    partition 1; converted to qcow2.
//!
//! The kernel and initrd from the same root are the trio's `aki` and `ari`. Every output is
//! made in a scratch folder inside the output folder and moved into place only when all are
//! complete: a failed or interrupted build leaves nothing there. Next to each disk a
//! `<file>.properties.json` holds the Glance properties Nova and cloud-init users expect
//! (`os_distro`, `os_version`, `hw_disk_bus`, ...), which `fstack image create` reads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ferrostack_qemu::{ConvertSpec, Error, QemuImg, Result, ToolCommand};
use sha2::{Digest as _, Sha256};

use crate::programs;
use crate::tiny::mbr;

/// The recipe's version: part of the cache key, bumped whenever the bootstrap changes.
pub const RECIPE: u32 = 1;

/// The root filesystem's label, which fstab, GRUB and the kernel command line name.
pub const ROOT_LABEL: &str = "debian-root";

/// The packages every image gets: a kernel, an init, cloud-init and what it drives (SSH,
/// DHCP with ifupdown, growing the root partition), sudo for the default user.
pub const BASE_PACKAGES: &[&str] = &[
    "linux-image-cloud-amd64",
    "systemd-sysv",
    "udev",
    "cloud-init",
    "cloud-guest-utils",
    "openssh-server",
    "sudo",
    "ifupdown",
    "isc-dhcp-client",
    "netbase",
    "e2fsprogs",
];

/// The host packages the build runs.
pub const HOST_PACKAGES: &[&str] = &[
    "mmdebstrap",
    "e2fsprogs",
    "grub-pc-bin",
    "grub-common",
    "qemu-utils",
];

/// The default size of the disk (and so of the root filesystem).
pub const DEFAULT_SIZE_MIB: u64 = 2048;

/// Where the disk's first partition starts (1 MiB, as every partitioning tool does): GRUB's
/// core image lives in the sectors before it.
const FIRST_SECTOR: u64 = 2048;

/// The kernel command line, for GRUB and for the trio's `os_command_line`.
pub fn command_line() -> String {
    format!("root=LABEL={ROOT_LABEL} ro console=tty0 console=ttyS0,115200")
}

/// A Debian release a `--distro` name stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Release {
    /// The version, e.g. `12` (the image's `os_version`).
    pub version: &'static str,
    /// The suite, e.g. `bookworm`.
    pub suite: &'static str,
}

/// The releases `--distro debian-<version>` knows.
pub const RELEASES: &[Release] = &[
    Release {
        version: "11",
        suite: "bullseye",
    },
    Release {
        version: "12",
        suite: "bookworm",
    },
    Release {
        version: "13",
        suite: "trixie",
    },
];

/// Resolves `debian-12` (or `debian12`, `debian-bookworm`) to its release.
pub fn release(distro: &str) -> Result<Release> {
    let known = || {
        RELEASES
            .iter()
            .map(|r| format!("debian-{}", r.version))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(rest) = distro.strip_prefix("debian") else {
        return Err(Error::invalid(
            format!("--distro {distro}"),
            format!(
                "not a distribution this build makes (it makes {}; another Debian-family \
                 suite is --suite with --mirror)",
                known()
            ),
        ));
    };
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    RELEASES
        .iter()
        .find(|r| r.version == rest || r.suite == rest)
        .copied()
        .ok_or_else(|| {
            Error::invalid(
                format!("--distro {distro}"),
                format!("not a Debian release this build knows ({})", known()),
            )
        })
}

/// What to build, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebianSpec {
    /// The image's `os_version` (e.g. `12`).
    pub version: String,
    /// The suite mmdebstrap installs (e.g. `bookworm`).
    pub suite: String,
    /// The mirror, e.g. `http://deb.debian.org/debian`.
    pub mirror: String,
    /// Packages installed beyond [`BASE_PACKAGES`].
    pub packages: Vec<String>,
    /// The disk's size in MiB.
    pub size_mib: u64,
    /// The base of the output files' names (e.g. `debian-12`).
    pub name: String,
    /// The cache folder (root tarballs under `debian/`).
    pub cache_dir: PathBuf,
    /// Where the outputs are written.
    pub out_dir: PathBuf,
    /// A `qemu-img` to use instead of the one on `PATH`.
    pub qemu_img: Option<PathBuf>,
}

impl DebianSpec {
    /// A build of `release` from `mirror`, at the default size, named `debian-<version>`.
    pub fn new(
        release: Release,
        mirror: impl Into<String>,
        cache_dir: impl Into<PathBuf>,
        out_dir: impl Into<PathBuf>,
    ) -> Self {
        DebianSpec {
            version: release.version.to_owned(),
            suite: release.suite.to_owned(),
            mirror: mirror.into(),
            packages: Vec::new(),
            size_mib: DEFAULT_SIZE_MIB,
            name: format!("debian-{}", release.version),
            cache_dir: cache_dir.into(),
            out_dir: out_dir.into(),
            qemu_img: None,
        }
    }

    /// Every package the root gets, sorted, without repeats.
    pub fn all_packages(&self) -> Vec<String> {
        let mut all: Vec<String> = BASE_PACKAGES
            .iter()
            .map(|p| (*p).to_owned())
            .chain(self.packages.iter().cloned())
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// The cache key of the root tarball: a digest of everything that goes into it.
    pub fn root_key(&self) -> String {
        let mut hash = Sha256::new();
        hash.update(format!(
            "recipe={RECIPE}\nsuite={}\nmirror={}\npackages={}\n",
            self.suite,
            self.mirror.trim_end_matches('/'),
            self.all_packages().join(",")
        ));
        hex::encode(&hash.finalize()[..8])
    }

    /// Where the root tarball is cached.
    pub fn root_tarball(&self) -> PathBuf {
        self.cache_dir
            .join("debian")
            .join(format!("root-{}-{}.tar", self.suite, self.root_key()))
    }

    /// The mmdebstrap command that writes the root tarball to `tarball`.
    pub fn bootstrap_command(&self, mmdebstrap: &Path, tarball: &Path) -> ToolCommand {
        let mut command = ToolCommand::new(mmdebstrap)
            .arg("--variant=apt")
            .arg("--components=main")
            .arg(format!("--include={}", self.all_packages().join(",")))
            // The root is thrown away if the build fails: no need for dpkg's fsyncs.
            .arg("--dpkgopt=force-unsafe-io");
        for excluded in ["doc", "man", "locale", "info"] {
            command = command.arg(format!("--dpkgopt=path-exclude=/usr/share/{excluded}/*"));
        }
        // Keep the copyright files, which Debian's licences ask for.
        command
            .arg("--dpkgopt=path-include=/usr/share/doc/*/copyright")
            .arg(&self.suite)
            .path_arg(tarball)
            .arg(&self.mirror)
    }

    /// Checks what can be checked before anything runs.
    pub fn validate(&self) -> Result<()> {
        let word = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-+.:_".contains(c))
        };
        if !word(&self.suite) {
            return Err(Error::invalid(
                format!("--suite {:?}", self.suite),
                "not a suite name",
            ));
        }
        if !(self.mirror.starts_with("http://")
            || self.mirror.starts_with("https://")
            || self.mirror.starts_with("file:/"))
        {
            return Err(Error::invalid(
                format!("--mirror {}", self.mirror),
                "not an http://, https:// or file:/ URL",
            ));
        }
        if let Some(bad) = self.packages.iter().find(|p| !word(p)) {
            return Err(Error::invalid(
                format!("--packages {bad:?}"),
                "not a Debian package name",
            ));
        }
        if !word(&self.name) || self.name.contains(':') {
            return Err(Error::invalid(
                format!("the image name {:?}", self.name),
                "use letters, digits, '-', '+', '.' or '_'",
            ));
        }
        if self.size_mib < MIN_SIZE_MIB {
            return Err(size_error(self.size_mib, MIN_SIZE_MIB));
        }
        Ok(())
    }
}

/// No Debian root with a kernel and cloud-init fits in less.
const MIN_SIZE_MIB: u64 = 768;

fn size_error(size_mib: u64, needed_mib: u64) -> Error {
    Error::invalid(
        format!("--size {size_mib}M"),
        format!("too small; the root filesystem needs at least {needed_mib} MiB"),
    )
}

/// The mirror this host's apt uses for Debian (`/etc/apt/sources.list.d/*.sources` in
/// deb822 form, then `/etc/apt/sources.list`), else `http://deb.debian.org/debian`.
pub fn host_mirror() -> String {
    let mut texts = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "sources"))
            .collect();
        paths.sort();
        texts.extend(paths.iter().filter_map(|p| std::fs::read_to_string(p).ok()));
    }
    texts.extend(std::fs::read_to_string("/etc/apt/sources.list").ok());
    texts
        .iter()
        .find_map(|text| mirror_in(text))
        .unwrap_or_else(|| DEFAULT_MIRROR.to_owned())
}

/// Debian's own redirector.
pub const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";

/// The first Debian archive (not the security one) in an apt sources file, in either form.
fn mirror_in(text: &str) -> Option<String> {
    let archive = |uri: &str| {
        let uri = uri.trim_end_matches('/');
        (uri.starts_with("http") && !uri.contains("security") && uri.ends_with("/debian"))
            .then(|| uri.to_owned())
    };
    for line in text.lines().map(str::trim) {
        if let Some(uris) = line.strip_prefix("URIs:") {
            if let Some(found) = uris.split_whitespace().find_map(archive) {
                return Some(found);
            }
        } else if let Some(rest) = line.strip_prefix("deb ") {
            let mut words = rest.split_whitespace();
            let mut uri = words.next();
            if uri.is_some_and(|w| w.starts_with('[')) {
                uri = words.find(|w| w.ends_with(']')).and_then(|_| words.next());
            }
            if let Some(found) = uri.and_then(archive) {
                return Some(found);
            }
        }
    }
    None
}

/// A step of the build, for progress on a terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Running mmdebstrap (minutes), writing the root tarball to the cache.
    Bootstrap {
        /// The tarball being written.
        tarball: PathBuf,
    },
    /// The root tarball came from the cache.
    Cached {
        /// The tarball used.
        tarball: PathBuf,
    },
    /// Unpacking the root and making it an image.
    Configure,
    /// Making the ext4 root filesystem.
    Filesystem,
    /// Making the self-booting disk.
    BootLoader,
    /// Converting the disk to qcow2.
    Convert,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stage::Bootstrap { tarball } => write!(
                f,
                "bootstrapping the root with mmdebstrap (a few minutes; cached as {})",
                tarball.display()
            ),
            Stage::Cached { tarball } => {
                write!(f, "using the cached root {}", tarball.display())
            }
            Stage::Configure => f.write_str("unpacking and configuring the root"),
            Stage::Filesystem => f.write_str("making the ext4 root filesystem"),
            Stage::BootLoader => f.write_str("installing GRUB on the disk"),
            Stage::Convert => f.write_str("converting the disk to qcow2"),
        }
    }
}

/// Which file of the build a properties sidecar describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The self-booting qcow2.
    Disk,
    /// The trio's ami (the root filesystem).
    Ami,
}

/// The built image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebianImage {
    /// The self-booting disk (GRUB on MBR), qcow2.
    pub bootable_qcow2: PathBuf,
    /// The kernel: the trio's `aki`.
    pub kernel: PathBuf,
    /// The initrd: the trio's `ari`.
    pub initrd: PathBuf,
    /// The ext4 root filesystem, raw: the trio's `ami`.
    pub root_raw: PathBuf,
    /// The kernel release, e.g. `6.1.0-41-cloud-amd64`.
    pub kernel_release: String,
    /// The root tarball the image was made from.
    pub root_tarball: PathBuf,
    /// Whether that tarball came from the cache.
    pub root_cached: bool,
    /// The Glance properties of the qcow2 (also in its sidecar).
    pub disk_properties: BTreeMap<String, String>,
    /// The Glance properties of the ami (also in its sidecar).
    pub ami_properties: BTreeMap<String, String>,
}

/// The properties Nova and cloud-init users expect of the image.
pub fn properties(version: &str, part: Part) -> BTreeMap<String, String> {
    let mut properties: BTreeMap<String, String> = [
        ("os_distro", "debian"),
        ("os_version", version),
        ("os_type", "linux"),
        ("os_admin_user", "debian"),
        ("hw_disk_bus", "virtio"),
        ("hw_vif_model", "virtio"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if part == Part::Ami {
        properties.insert("os_command_line".to_owned(), command_line());
    }
    properties
}

/// Where the properties of `image` are written: `<image>.properties.json`.
pub fn sidecar_path(image: &Path) -> PathBuf {
    let mut name = image.file_name().unwrap_or_default().to_owned();
    name.push(".properties.json");
    image.with_file_name(name)
}

/// Reads the sidecar of `image`, if it has one.
pub fn read_sidecar(image: &Path) -> Result<Option<BTreeMap<String, String>>> {
    let path = sidecar_path(image);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Error::io("cannot read", &path, err)),
    };
    serde_json::from_str(&text).map(Some).map_err(|err| {
        Error::invalid(
            path.display().to_string(),
            format!("not a JSON object of strings: {err}"),
        )
    })
}

/// Builds the image: the root tarball from the cache when it is there, the rest every time
/// (about ten seconds). `progress` hears of each [`Stage`].
pub async fn build(
    spec: &DebianSpec,
    progress: &(dyn Fn(Stage) + Send + Sync),
) -> Result<DebianImage> {
    spec.validate()?;
    let qemu_img = QemuImg::configured(spec.qemu_img.as_deref())?;
    let mkfs = programs::MKFS_EXT4.locate(None)?;
    let grub_mkimage = programs::GRUB_MKIMAGE.locate(None)?;
    let grub_dir = grub_modules()?;
    // A folder this build makes goes again if the build fails or is dropped (interrupted).
    let mut made = (!spec.out_dir.exists()).then(|| RemoveIfEmpty(spec.out_dir.clone()));
    std::fs::create_dir_all(&spec.out_dir)
        .map_err(|err| Error::io("cannot create", &spec.out_dir, err))?;
    let built = build_in(spec, progress, &qemu_img, &mkfs, &grub_mkimage, &grub_dir).await;
    if let (Ok(_), Some(made)) = (&built, made.as_mut()) {
        made.0 = PathBuf::new();
    }
    built
}

/// Removes a folder on drop when it is empty (the scratch folder inside it is gone first);
/// an empty path keeps it.
struct RemoveIfEmpty(PathBuf);

impl Drop for RemoveIfEmpty {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            let _ = std::fs::remove_dir(&self.0);
        }
    }
}

async fn build_in(
    spec: &DebianSpec,
    progress: &(dyn Fn(Stage) + Send + Sync),
    qemu_img: &QemuImg,
    mkfs: &Path,
    grub_mkimage: &Path,
    grub_dir: &Path,
) -> Result<DebianImage> {
    let (tarball, root_cached) = root_tarball(spec, progress).await?;

    let scratch = tempfile::Builder::new()
        .prefix(".debian-build-")
        .tempdir_in(&spec.out_dir)
        .map_err(|err| Error::io("cannot create a scratch folder in", &spec.out_dir, err))?;
    let tree = scratch.path().join("root");
    progress(Stage::Configure);
    std::fs::create_dir(&tree).map_err(|err| Error::io("cannot create", &tree, err))?;
    unpack_command(&programs::TAR.locate(None)?, &tarball, &tree)
        .run()
        .await?;
    let boot = configure(&tree, grub_dir)?;

    let used_mib = tree_mib(&tree)?;
    let needed_mib = used_mib + used_mib / 5 + 128;
    if spec.size_mib < needed_mib + 1 {
        return Err(size_error(spec.size_mib, needed_mib + 1));
    }

    let out = |suffix: &str| scratch.path().join(format!("{}{suffix}", spec.name));
    let kernel = out("-kernel");
    let initrd = out("-ramdisk");
    let root_raw = out("-root.raw");
    let disk_raw = scratch.path().join("disk.raw");
    let bootable_qcow2 = out(".qcow2");
    for (from, to) in [(&boot.kernel, &kernel), (&boot.initrd, &initrd)] {
        std::fs::copy(from, to).map_err(|err| Error::io("cannot copy", from, err))?;
    }

    progress(Stage::Filesystem);
    let fs_mib = spec.size_mib - 1;
    mkfs_command(mkfs, &tree, &root_raw, fs_mib).run().await?;
    // The tree is not needed any more: free its space before the disk is written.
    std::fs::remove_dir_all(&tree).map_err(|err| Error::io("cannot remove", &tree, err))?;

    progress(Stage::BootLoader);
    let core = scratch.path().join("core.img");
    grub_mkimage_command(grub_mkimage, grub_dir, &core)
        .run()
        .await?;
    assemble_disk(&disk_raw, &grub_dir.join("boot.img"), &core, &root_raw)?;

    progress(Stage::Convert);
    qemu_img
        .convert(&ConvertSpec::new(&disk_raw, &bootable_qcow2, "qcow2").source_format("raw"))
        .await?;
    std::fs::remove_file(&disk_raw).map_err(|err| Error::io("cannot remove", &disk_raw, err))?;

    let disk_properties = properties(&spec.version, Part::Disk);
    let ami_properties = properties(&spec.version, Part::Ami);
    write_sidecar(&bootable_qcow2, &disk_properties)?;
    write_sidecar(&root_raw, &ami_properties)?;

    // Everything is complete: move it into place.
    let mut placed = Vec::new();
    for from in [&kernel, &initrd, &root_raw, &bootable_qcow2] {
        for file in [from.clone(), sidecar_path(from)] {
            if !file.exists() {
                continue;
            }
            let to = spec.out_dir.join(file.file_name().unwrap_or_default());
            std::fs::rename(&file, &to).map_err(|err| Error::io("cannot move", &file, err))?;
            placed.push(to);
        }
    }
    let final_path = |p: &Path| spec.out_dir.join(p.file_name().unwrap_or_default());
    Ok(DebianImage {
        bootable_qcow2: final_path(&bootable_qcow2),
        kernel: final_path(&kernel),
        initrd: final_path(&initrd),
        root_raw: final_path(&root_raw),
        kernel_release: boot.release,
        root_tarball: tarball,
        root_cached,
        disk_properties,
        ami_properties,
    })
}

/// The cached root tarball, bootstrapped first when the cache lacks it. Builds sharing the
/// cache take turns (a lock file), and a tarball appears under its name only when complete.
async fn root_tarball(
    spec: &DebianSpec,
    progress: &(dyn Fn(Stage) + Send + Sync),
) -> Result<(PathBuf, bool)> {
    let tarball = spec.root_tarball();
    let dir = tarball.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|err| Error::io("cannot create", dir, err))?;
    let _lock = crate::tiny::lock_cache(dir).await?;
    if tarball.exists() {
        progress(Stage::Cached {
            tarball: tarball.clone(),
        });
        return Ok((tarball, true));
    }
    let mmdebstrap = programs::MMDEBSTRAP.locate(None)?;
    progress(Stage::Bootstrap {
        tarball: tarball.clone(),
    });
    let partial = tempfile::Builder::new()
        .prefix(".root-")
        .suffix(".tar")
        .tempfile_in(dir)
        .map_err(|err| Error::io("cannot create a file in", dir, err))?;
    spec.bootstrap_command(&mmdebstrap, partial.path())
        .run()
        .await?;
    partial
        .persist(&tarball)
        .map_err(|err| Error::io("cannot store", &tarball, err.error))?;
    Ok((tarball, false))
}

/// GRUB's BIOS modules and boot sector on this host (package `grub-pc-bin`).
fn grub_modules() -> Result<PathBuf> {
    let dir = PathBuf::from("/usr/lib/grub/i386-pc");
    if dir.join("boot.img").is_file() && dir.join("normal.mod").is_file() {
        Ok(dir)
    } else {
        Err(Error::MissingProgram {
            program: dir.join("boot.img").display().to_string(),
            package: "grub-pc-bin".to_owned(),
            configured: None,
        })
    }
}

/// `tar` unpacking the root as it was made: owners by number, modes, extended attributes
/// (file capabilities).
fn unpack_command(tar: &Path, tarball: &Path, tree: &Path) -> ToolCommand {
    ToolCommand::new(tar)
        .arg("--extract")
        .arg("--file")
        .path_arg(tarball)
        .arg("--directory")
        .path_arg(tree)
        .arg("--numeric-owner")
        .arg("--same-permissions")
        .arg("--xattrs")
        .arg("--xattrs-include=*")
}

/// `mkfs.ext4 -d`: the folder as a filesystem in a file, no mount.
fn mkfs_command(mkfs: &Path, tree: &Path, raw: &Path, mib: u64) -> ToolCommand {
    ToolCommand::new(mkfs)
        .arg("-q")
        .arg("-F")
        .arg("-L")
        .arg(ROOT_LABEL)
        .arg("-E")
        .arg("root_owner=0:0")
        .arg("-d")
        .path_arg(tree)
        .path_arg(raw)
        .arg(format!("{mib}M"))
}

/// The modules built into GRUB's core image: enough to read partition 1's ext4 and run
/// `grub.cfg`; the rest load from `/boot/grub/i386-pc`.
const CORE_MODULES: &[&str] = &[
    "biosdisk",
    "part_msdos",
    "ext2",
    "normal",
    "configfile",
    "linux",
    "serial",
    "terminal",
    "echo",
    "test",
    "search",
    "search_label",
];

fn grub_mkimage_command(grub_mkimage: &Path, grub_dir: &Path, core: &Path) -> ToolCommand {
    let mut command = ToolCommand::new(grub_mkimage)
        .arg("--format=i386-pc")
        .arg("--directory")
        .path_arg(grub_dir)
        .arg("--output")
        .path_arg(core)
        .arg("--prefix=(hd0,msdos1)/boot/grub");
    for module in CORE_MODULES {
        command = command.arg(*module);
    }
    command
}

/// GRUB's configuration: the serial console as well as the screen, no menu wait.
fn grub_cfg(boot: &BootFiles) -> String {
    format!(
        "serial --unit=0 --speed=115200\n\
         terminal_input serial console\n\
         terminal_output serial console\n\
         set default=0\n\
         set timeout=0\n\
         menuentry 'Debian GNU/Linux' {{\n\
         \x20   set root=(hd0,msdos1)\n\
         \x20   linux /boot/{} {}\n\
         \x20   initrd /boot/{}\n\
         }}\n",
        file_name(&boot.kernel),
        command_line(),
        file_name(&boot.initrd)
    )
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The kernel and initrd found in the root.
#[derive(Clone, Debug, PartialEq, Eq)]
struct BootFiles {
    release: String,
    kernel: PathBuf,
    initrd: PathBuf,
}

/// The one kernel under `boot/` (and its initrd).
fn boot_files(tree: &Path) -> Result<BootFiles> {
    let boot = tree.join("boot");
    let mut releases: Vec<String> = std::fs::read_dir(&boot)
        .map_err(|err| Error::io("cannot read", &boot, err))?
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_prefix("vmlinuz-").map(str::to_owned)
        })
        .collect();
    releases.sort();
    let Some(release) = releases.pop() else {
        return Err(Error::invalid(
            boot.display().to_string(),
            "no vmlinuz-* here: the root has no kernel (is linux-image-cloud-amd64 in it?)",
        ));
    };
    let kernel = boot.join(format!("vmlinuz-{release}"));
    let initrd = boot.join(format!("initrd.img-{release}"));
    if !initrd.is_file() {
        return Err(Error::invalid(
            initrd.display().to_string(),
            "missing: the kernel has no initrd (is initramfs-tools in the root?)",
        ));
    }
    Ok(BootFiles {
        release,
        kernel,
        initrd,
    })
}

/// The files an image needs that a bootstrap does not make, and what must not be in it.
fn image_files() -> Vec<(&'static str, String)> {
    vec![
        (
            "etc/fstab",
            format!("LABEL={ROOT_LABEL} / ext4 rw,discard,errors=remount-ro 0 1\n"),
        ),
        // cloud-init writes the interfaces it finds under interfaces.d.
        (
            "etc/network/interfaces",
            "source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n".to_owned(),
        ),
        (
            "etc/ssh/sshd_config.d/60-ferrostack.conf",
            "# Keys only, as on Debian's cloud images.\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n"
                .to_owned(),
        ),
        (
            "etc/cloud/cloud.cfg.d/90-ferrostack.cfg",
            "# ferrostack image build: a locale that needs no generating, the instance's name\n\
             # in /etc/hosts (sudo looks it up). Password logins are off in sshd's own\n\
             # configuration: ssh_pwauth here would restart sshd under the first logins.\n\
             locale: C.UTF-8\nmanage_etc_hosts: true\n"
                .to_owned(),
        ),
        // Empty: systemd makes one per instance on first boot.
        ("etc/machine-id", String::new()),
    ]
}

/// Units masked in the image: work that costs a TCG guest half a minute of CPU at boot
/// (e2scrub's reaper) or later (apt's daily timers, which cannot reach a mirror from a
/// `restrict=on` network anyway).
const MASKED: &[&str] = &[
    "e2scrub_reap.service",
    "e2scrub_all.timer",
    "apt-daily.timer",
    "apt-daily-upgrade.timer",
];

/// Per-instance files a bootstrap leaves that an image must not carry.
const REMOVED: &[&str] = &["etc/hostname", "etc/resolv.conf", "var/lib/dbus/machine-id"];

/// Makes the unpacked root an image; returns its kernel and initrd.
fn configure(tree: &Path, grub_dir: &Path) -> Result<BootFiles> {
    for (relative, content) in image_files() {
        let path = tree.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|err| Error::io("cannot create", parent, err))?;
        }
        // A symlink (e.g. resolv.conf) is replaced, never written through.
        let _ = std::fs::remove_file(&path);
        std::fs::write(&path, content).map_err(|err| Error::io("cannot write", &path, err))?;
    }
    for relative in REMOVED {
        let path = tree.join(relative);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(Error::io("cannot remove", &path, err)),
        }
    }
    let ssh = tree.join("etc/ssh");
    if let Ok(entries) = std::fs::read_dir(&ssh) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with("ssh_host_") {
                std::fs::remove_file(entry.path())
                    .map_err(|err| Error::io("cannot remove", entry.path(), err))?;
            }
        }
    }
    let units = tree.join("etc/systemd/system");
    std::fs::create_dir_all(&units).map_err(|err| Error::io("cannot create", &units, err))?;
    for unit in MASKED {
        let link = units.join(unit);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink("/dev/null", &link)
            .map_err(|err| Error::io("cannot mask", &link, err))?;
    }
    let boot = boot_files(tree)?;
    let modules = tree.join("boot/grub/i386-pc");
    std::fs::create_dir_all(&modules).map_err(|err| Error::io("cannot create", &modules, err))?;
    for entry in
        std::fs::read_dir(grub_dir).map_err(|err| Error::io("cannot read", grub_dir, err))?
    {
        let entry = entry.map_err(|err| Error::io("cannot read", grub_dir, err))?;
        let name = entry.file_name();
        let keep = Path::new(&name)
            .extension()
            .is_some_and(|e| e == "mod" || e == "lst");
        if keep {
            std::fs::copy(entry.path(), modules.join(&name))
                .map_err(|err| Error::io("cannot copy", entry.path(), err))?;
        }
    }
    let cfg = tree.join("boot/grub/grub.cfg");
    std::fs::write(&cfg, grub_cfg(&boot)).map_err(|err| Error::io("cannot write", &cfg, err))?;
    Ok(boot)
}

/// The space the tree takes, in MiB (allocated blocks, each hard-linked file once).
fn tree_mib(tree: &Path) -> Result<u64> {
    use std::os::unix::fs::MetadataExt as _;
    let mut seen = std::collections::HashSet::new();
    let mut bytes = 0u64;
    let mut stack = vec![tree.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|err| Error::io("cannot read", &dir, err))? {
            let entry = entry.map_err(|err| Error::io("cannot read", &dir, err))?;
            let meta = entry
                .metadata()
                .map_err(|err| Error::io("cannot stat", entry.path(), err))?;
            if meta.nlink() > 1 && !meta.is_dir() && !seen.insert(meta.ino()) {
                continue;
            }
            bytes += meta.blocks() * 512;
            if meta.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    Ok(bytes.div_ceil(1 << 20))
}

/// Lays out the disk: boot.img's code with a partition table in the MBR, the core image right
/// after it (where boot.img looks for it, and whose own block list grub-mkimage filled in),
/// the root filesystem as the one, active, partition at 1 MiB.
fn assemble_disk(disk: &Path, boot_img: &Path, core: &Path, root_raw: &Path) -> Result<()> {
    use std::io::Write as _;
    let boot_code =
        std::fs::read(boot_img).map_err(|err| Error::io("cannot read", boot_img, err))?;
    let core_image = std::fs::read(core).map_err(|err| Error::io("cannot read", core, err))?;
    let gap = (FIRST_SECTOR - 1) * 512;
    if core_image.len() as u64 > gap {
        return Err(Error::invalid(
            core.display().to_string(),
            format!(
                "is {} bytes; the gap before the partition holds {gap}",
                core_image.len()
            ),
        ));
    }
    let root_len = std::fs::metadata(root_raw)
        .map_err(|err| Error::io("cannot stat", root_raw, err))?
        .len();
    let sectors = u32::try_from(root_len / 512)
        .map_err(|_| Error::invalid(root_raw.display().to_string(), "too large for an MBR"))?;
    let partition = mbr::Partition {
        kind: 0x83,
        bootable: true,
        start: FIRST_SECTOR as u32,
        sectors,
    };
    let sector = mbr::sector(
        &boot_code[..boot_code.len().min(440)],
        rand::random(),
        &[partition],
    )
    .map_err(|problem| Error::invalid(boot_img.display().to_string(), problem))?;
    let written = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(disk)?;
        file.write_all(&sector)?;
        file.write_all(&core_image)?;
        file.set_len((FIRST_SECTOR + u64::from(sectors)) * 512)?;
        copy_sparse(&std::fs::File::open(root_raw)?, &file, FIRST_SECTOR * 512)
    })();
    written.map_err(|err| Error::io("cannot write", disk, err))
}

/// Copies the data of `from` into `to` at `offset`, extent by extent (`SEEK_DATA` /
/// `SEEK_HOLE`): the holes of a fresh filesystem stay holes, and are never read.
fn copy_sparse(from: &std::fs::File, to: &std::fs::File, offset: u64) -> std::io::Result<()> {
    use rustix::fs::{SeekFrom, seek};
    use std::os::unix::fs::FileExt as _;
    let len = from.metadata()?.len();
    let mut block = vec![0u8; 1 << 20];
    let mut at = 0u64;
    while at < len {
        let data = match seek(from, SeekFrom::Data(at)) {
            Ok(data) => data,
            // No data after `at`: the rest is a hole.
            Err(rustix::io::Errno::NXIO) => return Ok(()),
            Err(err) => return Err(err.into()),
        };
        let hole = seek(from, SeekFrom::Hole(data))?.min(len);
        let mut position = data;
        while position < hole {
            let want =
                usize::try_from((hole - position).min(block.len() as u64)).unwrap_or(block.len());
            let read = from.read_at(&mut block[..want], position)?;
            if read == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            to.write_all_at(&block[..read], offset + position)?;
            position += read as u64;
        }
        at = hole;
    }
    Ok(())
}

fn write_sidecar(image: &Path, properties: &BTreeMap<String, String>) -> Result<()> {
    let path = sidecar_path(image);
    let mut text = serde_json::to_string_pretty(properties)
        .map_err(|err| Error::invalid(path.display().to_string(), err.to_string()))?;
    text.push('\n');
    std::fs::write(&path, text).map_err(|err| Error::io("cannot write", &path, err))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> DebianSpec {
        DebianSpec::new(
            release("debian-12").unwrap(),
            "http://deb.debian.org/debian",
            "/cache",
            "/out",
        )
    }

    #[test]
    fn distro_names_resolve_and_unknown_ones_are_named() {
        assert_eq!(release("debian-12").unwrap().suite, "bookworm");
        assert_eq!(release("debian12").unwrap().suite, "bookworm");
        assert_eq!(release("debian-trixie").unwrap().version, "13");
        let err = release("ubuntu-24.04").unwrap_err().to_string();
        assert!(
            err.contains("--distro ubuntu-24.04") && err.contains("--suite"),
            "{err}"
        );
        let err = release("debian-7").unwrap_err().to_string();
        assert!(
            err.contains("--distro debian-7") && err.contains("debian-12"),
            "{err}"
        );
    }

    #[test]
    fn bootstrap_argv() {
        let mut spec = spec();
        spec.packages = vec!["htop".into(), "sudo".into()];
        insta::assert_snapshot!(
            spec.bootstrap_command(Path::new("mmdebstrap"), Path::new("/cache/root.tar"))
                .display()
        );
    }

    #[test]
    fn the_cache_key_follows_every_input() {
        let base = spec();
        let key = base.root_key();
        assert_eq!(key.len(), 16);
        let mut slash = base.clone();
        slash.mirror.push('/');
        assert_eq!(slash.root_key(), key, "a trailing slash is the same mirror");
        let mut reordered = base.clone();
        reordered.packages = vec!["sudo".into()];
        assert_eq!(reordered.root_key(), key, "sudo is already a base package");
        let mut sized = base.clone();
        sized.size_mib = 4096;
        assert_eq!(sized.root_key(), key, "the size is not in the root");
        for changed in [
            DebianSpec {
                suite: "trixie".into(),
                ..base.clone()
            },
            DebianSpec {
                mirror: "http://mirror.example/debian".into(),
                ..base.clone()
            },
            DebianSpec {
                packages: vec!["htop".into()],
                ..base.clone()
            },
        ] {
            assert_ne!(changed.root_key(), key, "{changed:?}");
        }
        assert!(
            base.root_tarball()
                .ends_with(format!("debian/root-bookworm-{key}.tar"))
        );
    }

    #[test]
    fn bad_input_is_named() {
        let cases: Vec<(DebianSpec, &str)> = vec![
            (
                DebianSpec {
                    suite: "book worm".into(),
                    ..spec()
                },
                "--suite",
            ),
            (
                DebianSpec {
                    mirror: "ftp://x/debian".into(),
                    ..spec()
                },
                "--mirror ftp://x/debian",
            ),
            (
                DebianSpec {
                    packages: vec!["vim;rm".into()],
                    ..spec()
                },
                "--packages \"vim;rm\"",
            ),
            (
                DebianSpec {
                    size_mib: 100,
                    ..spec()
                },
                "--size 100M: too small",
            ),
        ];
        for (spec, named) in cases {
            let err = spec.validate().unwrap_err().to_string();
            assert!(err.contains(named), "{named}: {err}");
        }
        spec().validate().unwrap();
    }

    #[test]
    fn the_mirror_is_read_from_either_sources_format() {
        let deb822 = "Types: deb\n# comment\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n\n\
                      Types: deb\nURIs: http://deb.debian.org/debian-security\n";
        assert_eq!(mirror_in(deb822).unwrap(), "http://deb.debian.org/debian");
        let security_first = "URIs: http://security.debian.org/debian-security\n\
                              URIs: http://ftp.fr.debian.org/debian/\n";
        assert_eq!(
            mirror_in(security_first).unwrap(),
            "http://ftp.fr.debian.org/debian"
        );
        let one_line = "deb [signed-by=/usr/share/keyrings/k.gpg arch=amd64] http://mirror.local/debian bookworm main\n";
        assert_eq!(mirror_in(one_line).unwrap(), "http://mirror.local/debian");
        assert_eq!(
            mirror_in("deb http://archive.ubuntu.com/ubuntu jammy main\n"),
            None
        );
    }

    #[test]
    fn grub_boots_the_label_on_the_serial_console() {
        let boot = BootFiles {
            release: "6.1.0-41-cloud-amd64".into(),
            kernel: "/t/boot/vmlinuz-6.1.0-41-cloud-amd64".into(),
            initrd: "/t/boot/initrd.img-6.1.0-41-cloud-amd64".into(),
        };
        insta::assert_snapshot!(grub_cfg(&boot));
        insta::assert_snapshot!(
            "grub_mkimage",
            grub_mkimage_command(
                Path::new("grub-mkimage"),
                Path::new("/usr/lib/grub/i386-pc"),
                Path::new("/s/core.img")
            )
            .display()
        );
    }

    #[test]
    fn properties_and_their_sidecar() {
        let disk = properties("12", Part::Disk);
        assert_eq!(disk["os_distro"], "debian");
        assert_eq!(disk["os_version"], "12");
        assert_eq!(disk["hw_disk_bus"], "virtio");
        assert!(!disk.contains_key("os_command_line"));
        assert_eq!(
            properties("12", Part::Ami)["os_command_line"],
            command_line()
        );
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("debian-12.qcow2");
        assert_eq!(read_sidecar(&image).unwrap(), None);
        write_sidecar(&image, &disk).unwrap();
        assert_eq!(
            sidecar_path(&image),
            dir.path().join("debian-12.qcow2.properties.json")
        );
        assert_eq!(read_sidecar(&image).unwrap(), Some(disk));
        std::fs::write(sidecar_path(&image), "[1]").unwrap();
        let err = read_sidecar(&image).unwrap_err().to_string();
        assert!(err.contains("debian-12.qcow2.properties.json"), "{err}");
    }

    #[test]
    fn configure_makes_a_bootstrap_an_image() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("root");
        let grub = dir.path().join("grub");
        for d in ["boot", "etc/ssh", "var/lib/dbus"] {
            std::fs::create_dir_all(tree.join(d)).unwrap();
        }
        std::fs::create_dir_all(&grub).unwrap();
        for (file, content) in [
            ("boot/vmlinuz-6.1.0-9-cloud-amd64", "k"),
            ("boot/initrd.img-6.1.0-9-cloud-amd64", "i"),
            ("etc/ssh/ssh_host_ed25519_key", "secret"),
            ("etc/ssh/sshd_config", "x"),
            ("etc/hostname", "builder"),
            ("var/lib/dbus/machine-id", "abc"),
        ] {
            std::fs::write(tree.join(file), content).unwrap();
        }
        std::os::unix::fs::symlink(
            "/run/systemd/resolve/stub-resolv.conf",
            tree.join("etc/resolv.conf"),
        )
        .unwrap();
        std::fs::write(grub.join("normal.mod"), "m").unwrap();
        std::fs::write(grub.join("boot.img"), "b").unwrap();
        let boot = configure(&tree, &grub).unwrap();
        assert_eq!(boot.release, "6.1.0-9-cloud-amd64");
        for gone in [
            "etc/ssh/ssh_host_ed25519_key",
            "etc/hostname",
            "etc/resolv.conf",
            "var/lib/dbus/machine-id",
        ] {
            assert!(
                tree.join(gone).symlink_metadata().is_err(),
                "{gone} is still there"
            );
        }
        assert!(tree.join("etc/ssh/sshd_config").exists());
        assert_eq!(
            std::fs::read_link(tree.join("etc/systemd/system/e2scrub_reap.service")).unwrap(),
            Path::new("/dev/null")
        );
        assert_eq!(
            std::fs::read_to_string(tree.join("etc/machine-id")).unwrap(),
            ""
        );
        assert!(tree.join("boot/grub/i386-pc/normal.mod").exists());
        assert!(!tree.join("boot/grub/i386-pc/boot.img").exists());
        assert!(
            std::fs::read_to_string(tree.join("boot/grub/grub.cfg"))
                .unwrap()
                .contains("linux /boot/vmlinuz-6.1.0-9-cloud-amd64 root=LABEL=debian-root")
        );

        // A root without a kernel is refused, naming the folder.
        std::fs::remove_file(tree.join("boot/vmlinuz-6.1.0-9-cloud-amd64")).unwrap();
        let err = configure(&tree, &grub).unwrap_err().to_string();
        assert!(err.contains("no vmlinuz-* here"), "{err}");
    }

    #[test]
    fn the_disk_has_grub_in_the_mbr_gap_and_the_root_at_one_mib() {
        let dir = tempfile::tempdir().unwrap();
        let boot = dir.path().join("boot.img");
        let core = dir.path().join("core.img");
        let root = dir.path().join("root.raw");
        let disk = dir.path().join("disk.raw");
        std::fs::write(&boot, vec![0xEBu8; 512]).unwrap();
        std::fs::write(&core, vec![0xC0u8; 3000]).unwrap();
        let mut fs = vec![0u8; 4 << 20];
        fs[1024] = 0x53;
        fs[(3 << 20) + 5] = 0xEF;
        std::fs::write(&root, &fs).unwrap();
        assemble_disk(&disk, &boot, &core, &root).unwrap();
        let bytes = std::fs::read(&disk).unwrap();
        assert_eq!(bytes.len() as u64, FIRST_SECTOR * 512 + fs.len() as u64);
        assert_eq!(bytes[0], 0xEB);
        assert_eq!(&bytes[510..512], &[0x55, 0xAA]);
        assert_eq!(bytes[446], 0x80, "partition 1 is active");
        assert_eq!(bytes[450], 0x83);
        assert_eq!(&bytes[512..3512], &vec![0xC0u8; 3000][..]);
        assert_eq!(&bytes[(FIRST_SECTOR * 512) as usize..], &fs[..]);

        std::fs::write(&core, vec![0u8; 2048 * 512]).unwrap();
        let err = assemble_disk(&disk, &boot, &core, &root)
            .unwrap_err()
            .to_string();
        assert!(err.contains("the gap before the partition"), "{err}");
    }
}
