//! `fstack image build`: the tiny bootable test image, made locally from Debian packages,
//! and the exact lines that upload it (as a self-booting qcow2 and as the aki/ari/ami trio)
//! and boot it here.
//!
//! The parts are built in a staging folder inside the output folder and moved into place only
//! when every one of them is complete: a failed or interrupted build leaves nothing behind.

pub(crate) mod args;
mod debian;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use ferrostack_qemu::{ConvertSpec, QemuImg};
use ferrostack_testbed::packages;
use ferrostack_testbed::tiny::{self, TinyImage, TinySpec};

use self::args::ImageBuild;
use super::vm::Interrupts;
use crate::args::ShowFormat;
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// What the build needs on the host (qemu-system is only needed to boot the result).
const HOST_PACKAGES: &[&str] = &[
    "qemu-utils",
    "busybox-static",
    "e2fsprogs",
    "mtools",
    "syslinux",
    "syslinux-common",
];

/// Builds the tiny image, or with `--distro` a distribution's cloud image.
pub async fn run(ctx: &Context, args: ImageBuild) -> Result<()> {
    if args.distro.is_some() {
        return debian::run(ctx, args).await;
    }
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("tiny-image"));
    let mut interrupts = Interrupts::listen()?;
    let token = match &args.token {
        Some(token) => check_token(token)?.to_owned(),
        None => tiny::random_token(),
    };
    let cache_dir = match &args.cache_dir {
        Some(dir) => dir.clone(),
        None => default_cache_dir()?,
    };
    let building = async {
        packages::ensure(HOST_PACKAGES, &cache_dir.join("apt")).await?;
        let staging = Staging::new(&output)?;
        let mut spec = TinySpec::new(&cache_dir, staging.path());
        spec.token = token.clone();
        let image = tiny::build(&spec).await?;
        // Glance does not inspect an ami, and the mock cloud boots it as raw: the trio's root
        // disk is raw.
        let root_raw = staging.path().join("root.raw");
        QemuImg::locate()?
            .convert(&ConvertSpec::new(&image.root_qcow2, &root_raw, "raw").source_format("qcow2"))
            .await?;
        staging.finish(image, &root_raw)
    };
    let built = tokio::select! {
        built = building => built.with_context(|| {
            format!("cannot build the tiny image in {}", output.display())
        })?,
        stop = interrupts.recv() => {
            // Dropping the build removed its staging folder and killed its tools.
            eprintln!("fstack: image build {stop}; nothing was left in {}", output.display());
            std::process::exit(stop.exit_code());
        }
    };
    let table_only = args.output_format.format == ShowFormat::Table;
    let fields = built.fields(!table_only);
    print::one(&args.output_format, fields)?;
    if table_only && args.output_format.columns.is_empty() {
        print::write_stdout(&built.instructions())?;
    }
    Ok(())
}

/// The token goes onto a kernel command line and into a boot loader's configuration.
fn check_token(token: &str) -> Result<&str> {
    let fine = !token.is_empty()
        && token.len() <= 64
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !fine {
        bail!(
            "--token {token:?}: use 1 to 64 letters, digits, '.', '_' or '-' (it goes onto \
             the guest's kernel command line)"
        );
    }
    Ok(token)
}

/// `$XDG_CACHE_HOME/ferrostack`, else `~/.cache/ferrostack`.
pub(super) fn default_cache_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("ferrostack"));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".cache/ferrostack")),
        None => bail!("neither XDG_CACHE_HOME nor HOME is set: pass --cache-dir DIR"),
    }
}

/// The folder the parts are built in, inside the output folder; removed on drop (with the
/// output folder itself when this build made it and left it empty).
struct Staging {
    path: PathBuf,
    output: PathBuf,
    made_output: bool,
}

impl Staging {
    fn new(output: &Path) -> Result<Staging> {
        let made_output = !output.exists();
        std::fs::create_dir_all(output)
            .with_context(|| format!("--output {}: cannot create it", output.display()))?;
        let path = output.join(format!(".fstack-build-{}", std::process::id()));
        // A leftover of a killed build with the same pid: it is ours to replace.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Staging {
            path,
            output: output.to_owned(),
            made_output,
        })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// Moves every part into the output folder, under its final name.
    fn finish(self, image: TinyImage, root_raw: &Path) -> Result<Built> {
        let place = |from: &Path| -> Result<PathBuf> {
            let name = from.file_name().context("a built part has no file name")?;
            let to = self.output.join(name);
            std::fs::rename(from, &to)
                .with_context(|| format!("cannot move {} to {}", from.display(), to.display()))?;
            to.canonicalize()
                .with_context(|| format!("cannot resolve {}", to.display()))
        };
        Ok(Built {
            kernel: place(&image.kernel)?,
            initrd: place(&image.initrd)?,
            root_qcow2: place(&image.root_qcow2)?,
            root_raw: place(root_raw)?,
            bootable_qcow2: place(&image.bootable_qcow2)?,
            kernel_release: image.kernel_release,
            token: image.token,
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
        if self.made_output {
            // Only removes it when empty, i.e. when the build failed.
            let _ = std::fs::remove_dir(&self.output);
        }
    }
}

/// The finished image, with absolute paths so that the printed lines work from anywhere.
struct Built {
    kernel: PathBuf,
    initrd: PathBuf,
    root_qcow2: PathBuf,
    root_raw: PathBuf,
    bootable_qcow2: PathBuf,
    kernel_release: String,
    token: String,
}

impl Built {
    /// The kernel command line of the ami (and of a local kernel boot with the root disk). It
    /// keeps the guest up after the marker, so that a server booted from it stays ACTIVE.
    fn ami_command_line(&self) -> String {
        format!(
            "{} smoke_stay=1",
            tiny::kernel_append(&self.token, Some("/dev/vda"))
        )
    }

    fn name(&self, part: &str) -> String {
        format!("tiny-{}-{part}", self.token)
    }

    fn upload_qcow2(&self) -> String {
        format!(
            "fstack image create {} --disk-format qcow2 --container-format bare --file {}",
            self.name("qcow2"),
            quote(&self.bootable_qcow2.to_string_lossy())
        )
    }

    fn upload_kernel(&self) -> String {
        format!(
            "KID=$(fstack image create {} --disk-format aki --container-format aki --file {} \
             -f value -c id)",
            self.name("kernel"),
            quote(&self.kernel.to_string_lossy())
        )
    }

    fn upload_ramdisk(&self) -> String {
        format!(
            "RID=$(fstack image create {} --disk-format ari --container-format ari --file {} \
             -f value -c id)",
            self.name("ramdisk"),
            quote(&self.initrd.to_string_lossy())
        )
    }

    fn upload_ami(&self) -> String {
        format!(
            "fstack image create {} --disk-format ami --container-format ami --property \
             kernel_id=\"$KID\" --property ramdisk_id=\"$RID\" --property os_command_line={} \
             --file {}",
            self.name("ami"),
            quote(&self.ami_command_line()),
            quote(&self.root_raw.to_string_lossy())
        )
    }

    fn boot_disk(&self) -> String {
        format!(
            "fstack vm boot --disk {} --wait-for {}",
            quote(&self.bootable_qcow2.to_string_lossy()),
            quote(&tiny::boot_marker(&self.token))
        )
    }

    fn boot_kernel(&self) -> String {
        format!(
            "fstack vm boot --kernel {} --initrd {} --append {} --wait-for {}",
            quote(&self.kernel.to_string_lossy()),
            quote(&self.initrd.to_string_lossy()),
            quote(&tiny::kernel_append(&self.token, None)),
            quote(&tiny::boot_marker(&self.token))
        )
    }

    /// The fields; the command lines only where they are data (not in the table, under which
    /// they are printed as text).
    fn fields(&self, with_commands: bool) -> Vec<(&'static str, Cell)> {
        let path = |p: &Path| Cell::str(p.to_string_lossy());
        let mut fields = vec![
            ("kernel", path(&self.kernel)),
            ("initrd", path(&self.initrd)),
            ("root_qcow2", path(&self.root_qcow2)),
            ("root_raw", path(&self.root_raw)),
            ("bootable_qcow2", path(&self.bootable_qcow2)),
            ("kernel_release", Cell::str(&self.kernel_release)),
            ("token", Cell::str(&self.token)),
            ("boot_marker", Cell::str(tiny::boot_marker(&self.token))),
            ("ami_command_line", Cell::str(self.ami_command_line())),
        ];
        if with_commands {
            fields.extend([
                ("upload_qcow2", Cell::str(self.upload_qcow2())),
                ("upload_kernel", Cell::str(self.upload_kernel())),
                ("upload_ramdisk", Cell::str(self.upload_ramdisk())),
                ("upload_ami", Cell::str(self.upload_ami())),
                ("boot_disk", Cell::str(self.boot_disk())),
                ("boot_kernel", Cell::str(self.boot_kernel())),
            ]);
        }
        fields
    }

    /// What to do with it, as lines to paste.
    fn instructions(&self) -> String {
        format!(
            "\nUpload it as a self-booting qcow2:\n  {}\n\
             Upload it as an aki/ari/ami trio:\n  {}\n  {}\n  {}\n\
             Boot it here:\n  {}\n  {}\n",
            self.upload_qcow2(),
            self.upload_kernel(),
            self.upload_ramdisk(),
            self.upload_ami(),
            self.boot_disk(),
            self.boot_kernel(),
        )
    }
}

/// Quotes a word for a POSIX shell when it needs it.
pub(super) fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built() -> Built {
        Built {
            kernel: "/out/vmlinuz".into(),
            initrd: "/out/initrd.gz".into(),
            root_qcow2: "/out/root.qcow2".into(),
            root_raw: "/out/root.raw".into(),
            bootable_qcow2: "/my out/bootable.qcow2".into(),
            kernel_release: "6.1.0-41-cloud-amd64".into(),
            token: "t0k3n".into(),
        }
    }

    #[test]
    fn the_printed_lines_upload_and_boot_it() {
        insta::assert_snapshot!(built().instructions());
    }

    #[test]
    fn tokens_are_checked() {
        assert_eq!(check_token("abc-1.2_3").unwrap(), "abc-1.2_3");
        for bad in ["", "a b", "x;rm", "é", &"x".repeat(65)] {
            let err = check_token(bad).unwrap_err().to_string();
            assert!(err.starts_with("--token"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn words_are_quoted_only_when_needed() {
        assert_eq!(quote("/a/b.qcow2"), "/a/b.qcow2");
        assert_eq!(quote("SMOKE-BOOT-OK t"), "'SMOKE-BOOT-OK t'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
