//! `fstack image build --distro debian-12`: a Debian cloud image (cloud-init, SSH, GRUB on an
//! MBR disk) and the aki/ari/ami trio from the same root, with the lines that upload them.
//! The build itself is [`ferrostack_testbed::debian`]: its slow part, the root, is cached.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context as _, Result};
use ferrostack_testbed::debian::{self, DebianImage, DebianSpec, Stage};
use ferrostack_testbed::packages;
use serde_json::Value;

use super::args::ImageBuild;
use super::{default_cache_dir, quote};
use crate::args::ShowFormat;
use crate::commands::vm::Interrupts;
use crate::context::Context;
use crate::output::Cell;
use crate::print;
use crate::progress;

/// Builds the distribution's image.
pub async fn run(ctx: &Context, args: ImageBuild) -> Result<()> {
    let distro = args.distro.as_deref().unwrap_or_default();
    let release = debian::release(distro)?;
    let cache_dir = match &args.cache_dir {
        Some(dir) => dir.clone(),
        None => default_cache_dir()?,
    };
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("debian-{}", release.version)));
    let mirror = args.mirror.clone().unwrap_or_else(debian::host_mirror);
    let mut spec = DebianSpec::new(release, mirror, &cache_dir, &output);
    if let Some(suite) = &args.suite {
        spec.suite = suite.clone();
    }
    if let Some(mib) = args.size {
        spec.size_mib = mib;
    }
    spec.packages = args
        .packages
        .iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    spec.validate()?;

    let bar = progress::spinner(ctx, &format!("Building {}", spec.name));
    let started = Instant::now();
    let current: Mutex<Option<(String, Instant)>> = Mutex::new(None);
    let done = |bar: &progress::Progress| {
        if let Some((stage, at)) = current.lock().expect("not poisoned").take() {
            bar.println(format!("{stage} ({:.1} s)", at.elapsed().as_secs_f64()));
        }
    };
    let on_stage = |stage: Stage| {
        done(&bar);
        bar.set_message(stage.to_string());
        *current.lock().expect("not poisoned") = Some((stage.to_string(), Instant::now()));
    };
    let mut interrupts = Interrupts::listen()?;
    let building = async {
        packages::ensure(debian::HOST_PACKAGES, &cache_dir.join("apt")).await?;
        debian::build(&spec, &on_stage).await
    };
    let built = tokio::select! {
        built = building => built,
        stop = interrupts.recv() => {
            bar.finish();
            // Dropping the build removed its scratch folder and killed its tools.
            eprintln!("fstack: image build {stop}; nothing was left in {}", output.display());
            std::process::exit(stop.exit_code());
        }
    };
    done(&bar);
    bar.finish();
    let image = built.with_context(|| {
        format!(
            "cannot build the {} image in {}",
            spec.name,
            output.display()
        )
    })?;
    let built = Built::new(&spec.name, image, started.elapsed().as_secs_f64())?;
    let table_only = args.output_format.format == ShowFormat::Table;
    print::one(&args.output_format, built.fields(!table_only))?;
    if table_only && args.output_format.columns.is_empty() {
        print::write_stdout(&built.instructions())?;
    }
    Ok(())
}

/// The finished image, with absolute paths so that the printed lines work from anywhere.
struct Built {
    name: String,
    image: DebianImage,
    seconds: f64,
}

impl Built {
    fn new(name: &str, mut image: DebianImage, seconds: f64) -> Result<Built> {
        for path in [
            &mut image.bootable_qcow2,
            &mut image.kernel,
            &mut image.initrd,
            &mut image.root_raw,
        ] {
            *path = path
                .canonicalize()
                .with_context(|| format!("cannot resolve {}", path.display()))?;
        }
        Ok(Built {
            name: name.to_owned(),
            image,
            seconds,
        })
    }

    fn path(path: &Path) -> String {
        quote(&path.to_string_lossy())
    }

    fn upload_qcow2(&self) -> String {
        format!(
            "fstack image create {} --disk-format qcow2 --container-format bare --file {}",
            self.name,
            Self::path(&self.image.bootable_qcow2)
        )
    }

    fn upload_trio(&self) -> String {
        format!(
            "fstack image create {}-ami --disk-format ami --container-format ami \
             --kernel {} --ramdisk {} --file {}",
            self.name,
            Self::path(&self.image.kernel),
            Self::path(&self.image.initrd),
            Self::path(&self.image.root_raw)
        )
    }

    fn fields(&self, with_commands: bool) -> Vec<(&'static str, Cell)> {
        let path = |p: &Path| Cell::str(p.to_string_lossy());
        let dict = |properties: &std::collections::BTreeMap<String, String>| {
            Cell::Dict(
                properties
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                    .collect(),
            )
        };
        let mut fields = vec![
            ("bootable_qcow2", path(&self.image.bootable_qcow2)),
            ("kernel", path(&self.image.kernel)),
            ("ramdisk", path(&self.image.initrd)),
            ("root_raw", path(&self.image.root_raw)),
            ("kernel_release", Cell::str(&self.image.kernel_release)),
            ("properties", dict(&self.image.disk_properties)),
            ("ami_properties", dict(&self.image.ami_properties)),
            ("root_tarball", path(&self.image.root_tarball)),
            ("root_cached", Cell::json(self.image.root_cached)),
            ("seconds", Cell::json((self.seconds * 10.0).round() / 10.0)),
        ];
        if with_commands {
            fields.extend([
                ("upload_qcow2", Cell::str(self.upload_qcow2())),
                ("upload_trio", Cell::str(self.upload_trio())),
            ]);
        }
        fields
    }

    /// What to do with it, as lines to paste.
    fn instructions(&self) -> String {
        format!(
            "\nUpload it as a self-booting qcow2 (its properties come from {}):\n  {}\n\
             Upload it as an aki/ari/ami trio:\n  {}\n\
             Boot it with your key, and log in as `debian`:\n  \
             fstack server create --image {} --flavor m1.small --key-name KEY --network NET VM\n",
            Self::path(&debian::sidecar_path(&self.image.bootable_qcow2)),
            self.upload_qcow2(),
            self.upload_trio(),
            self.name,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built() -> Built {
        Built {
            name: "debian-12".into(),
            image: DebianImage {
                bootable_qcow2: "/out/debian-12.qcow2".into(),
                kernel: "/out/debian-12-kernel".into(),
                initrd: "/out/debian-12-ramdisk".into(),
                root_raw: "/my out/debian-12-root.raw".into(),
                kernel_release: "6.1.0-41-cloud-amd64".into(),
                root_tarball: "/cache/debian/root-bookworm-0123456789abcdef.tar".into(),
                root_cached: true,
                disk_properties: debian::properties("12", debian::Part::Disk),
                ami_properties: debian::properties("12", debian::Part::Ami),
            },
            seconds: 9.5,
        }
    }

    #[test]
    fn the_printed_lines_upload_it() {
        insta::assert_snapshot!(built().instructions());
    }
}
