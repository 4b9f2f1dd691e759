//! What the qemu driver tests share: the tiny image, built offline from Debian packages.
//!
//! The tests FAIL (never skip) when the host lacks qemu or the image's build tools; as root
//! they install them first (`ferrostack_testbed::packages::ensure`), otherwise the failure
//! says what to install.

// Each test crate uses its own part of this.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Instant;

use ferrostack_qemu::QemuImg;
use ferrostack_qemu::img::ConvertSpec;
use ferrostack_testbed::packages;
use ferrostack_testbed::tiny::{self, TinyImage, TinySpec};
use tokio::sync::OnceCell;

/// The tiny image, and its root filesystem as raw bytes (an ami holds raw bytes: Glance
/// refuses a qcow2 declared as ami).
pub struct Tiny {
    pub image: TinyImage,
    pub root_raw: PathBuf,
}

/// `target/`, where the shared download cache lives.
fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("..")
}

/// Built once per test binary (each in its own folder); the kernel download is cached across runs and crates.
pub async fn tiny() -> &'static Tiny {
    static TINY: OnceCell<Tiny> = OnceCell::const_new();
    TINY.get_or_init(|| async {
        let cache = target_dir().join("ferrostack-cache");
        if let Err(err) = packages::ensure(&packages::all_packages(), &cache.join("apt")).await {
            panic!("the qemu driver tests need qemu and the tiny image's build tools: {err}");
        }
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("mock-cloud-qemu-tiny-{}", env!("CARGO_CRATE_NAME")));
        let started = Instant::now();
        let image = tiny::build(&TinySpec::new(&cache, &out))
            .await
            .unwrap_or_else(|err| panic!("building the tiny image failed: {err}"));
        let root_raw = out.join("root.raw");
        QemuImg::locate()
            .unwrap()
            .convert(&ConvertSpec::new(&image.root_qcow2, &root_raw, "raw").source_format("qcow2"))
            .await
            .unwrap_or_else(|err| panic!("converting the root disk to raw failed: {err}"));
        eprintln!("tiny image built in {:.1?}", started.elapsed());
        Tiny { image, root_raw }
    })
    .await
}
