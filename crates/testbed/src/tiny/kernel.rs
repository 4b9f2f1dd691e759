//! The guest kernel: the Debian cloud flavour, downloaded with apt and unpacked into a cache
//! (nothing is installed system-wide).

use std::path::{Path, PathBuf};

use ferrostack_qemu::{Error, Result, ToolCommand};

use crate::packages::PrivateApt;
use crate::programs;

/// The metapackage that always depends on the current cloud kernel.
pub const KERNEL_METAPACKAGE: &str = "linux-image-cloud-amd64";

/// An unpacked kernel package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelFiles {
    /// The release, e.g. `6.1.0-56-cloud-amd64`.
    pub release: String,
    /// The bzImage.
    pub vmlinuz: PathBuf,
    /// `lib/modules/<release>/kernel` inside the unpacked package.
    pub modules_dir: PathBuf,
}

/// Resolves the current cloud kernel, and downloads and unpacks it unless the cache has it.
/// When apt cannot answer (offline) a kernel already in the cache is used.
/// Builds sharing `cache_dir` (parallel tests, a mock cloud beside a smoke run) take turns
/// through a lock file, so that apt state and unpacking never race.
pub async fn fetch_kernel(cache_dir: &Path) -> Result<KernelFiles> {
    let _lock = lock_cache(cache_dir).await?;
    fetch_kernel_locked(cache_dir).await
}

/// Takes an exclusive lock on `cache_dir/.lock`, released when the returned file is dropped.
pub(crate) async fn lock_cache(cache_dir: &Path) -> Result<std::fs::File> {
    std::fs::create_dir_all(cache_dir).map_err(|err| Error::io("cannot create", cache_dir, err))?;
    let path = cache_dir.join(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|err| Error::io("cannot open", &path, err))?;
    tokio::task::spawn_blocking(move || {
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
            .map(|()| file)
            .map_err(|err| Error::io("cannot lock", path, err.into()))
    })
    .await
    .map_err(|err| Error::invalid("the cache lock task", err.to_string()))?
}

async fn fetch_kernel_locked(cache_dir: &Path) -> Result<KernelFiles> {
    let apt = PrivateApt::for_host(cache_dir.join("apt"))?;
    let kernels = cache_dir.join("kernel");
    let package = match resolve(&apt).await {
        Ok(package) => package,
        Err(err) => match cached_packages(&kernels).as_slice() {
            [only] => {
                tracing::warn!(%err, package = %only, "cannot ask apt; using the cached kernel");
                only.clone()
            }
            _ => return Err(err),
        },
    };
    let release = package
        .strip_prefix("linux-image-")
        .ok_or_else(|| {
            Error::invalid(
                KERNEL_METAPACKAGE,
                format!("depends on {package}, not a linux-image"),
            )
        })?
        .to_owned();
    let unpacked = kernels.join(&package);
    let files = KernelFiles {
        vmlinuz: unpacked.join("boot").join(format!("vmlinuz-{release}")),
        modules_dir: unpacked.join("lib/modules").join(&release).join("kernel"),
        release,
    };
    let complete = unpacked.join(".complete");
    if complete.exists() {
        return Ok(files);
    }
    let debs = cache_dir.join("debs");
    std::fs::create_dir_all(&debs).map_err(|err| Error::io("cannot create", &debs, err))?;
    let deb = match find_deb(&debs, &package)? {
        Some(deb) => deb,
        None => {
            let apt_get = programs::APT_GET.locate(None)?;
            tracing::info!(%package, "downloading the guest kernel");
            let download = apt
                .command(&apt_get, &["-q", "download", &package])
                .in_dir(&debs);
            if let Err(err) = download.run().await {
                // Lists fetched long ago may name a version the archive has since dropped.
                tracing::warn!(%err, "kernel download failed; refreshing the package lists once");
                apt.update(true).await?;
                let fresh = resolve(&apt).await?;
                if fresh != package {
                    return Err(Error::invalid(
                        KERNEL_METAPACKAGE,
                        format!("now depends on {fresh} instead of {package}; run the build again"),
                    ));
                }
                download.run().await?;
            }
            find_deb(&debs, &package)?.ok_or_else(|| {
                Error::invalid(
                    package.clone(),
                    format!("apt-get download left no .deb in {}", debs.display()),
                )
            })?
        }
    };
    // Unpack next to the final folder and rename, so a half-unpacked kernel is never used.
    let partial = kernels.join(format!("{package}.partial"));
    if partial.exists() {
        std::fs::remove_dir_all(&partial)
            .map_err(|err| Error::io("cannot remove", &partial, err))?;
    }
    std::fs::create_dir_all(&partial).map_err(|err| Error::io("cannot create", &partial, err))?;
    let dpkg_deb = programs::DPKG_DEB.locate(None)?;
    ToolCommand::new(dpkg_deb)
        .arg("-x")
        .path_arg(&deb)
        .path_arg(&partial)
        .run()
        .await?;
    if unpacked.exists() {
        std::fs::remove_dir_all(&unpacked)
            .map_err(|err| Error::io("cannot remove", &unpacked, err))?;
    }
    std::fs::rename(&partial, &unpacked)
        .map_err(|err| Error::io("cannot rename", &partial, err))?;
    if !files.vmlinuz.is_file() {
        return Err(Error::invalid(
            deb.display().to_string(),
            format!("has no {}", files.vmlinuz.display()),
        ));
    }
    std::fs::write(&complete, b"").map_err(|err| Error::io("cannot write", &complete, err))?;
    Ok(files)
}

/// Asks apt which kernel package the metapackage depends on.
async fn resolve(apt: &PrivateApt) -> Result<String> {
    apt.update(false).await?;
    let apt_cache = programs::APT_CACHE.locate(None)?;
    let command = apt.command(&apt_cache, &["depends", KERNEL_METAPACKAGE]);
    let output = command.run().await?;
    parse_depends(&String::from_utf8_lossy(&output.stdout)).ok_or_else(|| Error::Decode {
        command: command.display(),
        detail: "no linux-image-* dependency".to_owned(),
    })
}

/// The first `Depends: linux-image-...` of `apt-cache depends` output.
fn parse_depends(output: &str) -> Option<String> {
    output
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Depends:"))
        .map(str::trim)
        .find(|package| package.starts_with("linux-image-"))
        .map(str::to_owned)
}

fn find_deb(dir: &Path, package: &str) -> Result<Option<PathBuf>> {
    let prefix = format!("{package}_");
    let entries = std::fs::read_dir(dir).map_err(|err| Error::io("cannot list", dir, err))?;
    Ok(entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .find(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(&prefix) && name.ends_with(".deb"))
        }))
}

fn cached_packages(kernels: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(kernels) else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join(".complete").exists())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_cache_lock_is_exclusive_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_cache(dir.path()).await.unwrap();
        let again = std::fs::File::open(dir.path().join(".lock")).unwrap();
        let busy = rustix::fs::flock(&again, rustix::fs::FlockOperation::NonBlockingLockExclusive);
        assert!(busy.is_err(), "a second lock must wait");
        drop(first);
        rustix::fs::flock(&again, rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap();
    }

    #[test]
    fn the_abi_comes_from_the_metapackage() {
        let output = "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n";
        assert_eq!(
            parse_depends(output).as_deref(),
            Some("linux-image-6.1.0-56-cloud-amd64")
        );
        assert_eq!(parse_depends("linux-image-cloud-amd64\n"), None);
    }
}
