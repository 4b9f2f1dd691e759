//! The state directory's lock: `STATE_DIR/lock`, held with `flock` for as long as the cloud
//! runs, the holder's pid inside. The kernel drops a flock when its process ends, however it
//! ends (kill -9 included), so a crashed cloud never leaves a stale lock behind; the pid only
//! names the holder in the refusal.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::Context;
use rustix::fs::{FlockOperation, flock};

/// The lock, held until dropped.
#[derive(Debug)]
pub(crate) struct StateLock {
    _file: File,
}

impl StateLock {
    /// Takes the lock of `dir`, or says which process holds it.
    pub(crate) fn acquire(dir: &Path) -> anyhow::Result<StateLock> {
        let path = dir.join("lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(rustix::io::Errno::WOULDBLOCK) => {
                let holder = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|text| text.trim().parse::<u32>().ok())
                    .map_or_else(|| "pid unknown".to_owned(), |pid| format!("pid {pid}"));
                anyhow::bail!(
                    "the state directory {} is in use by another mock-cloud ({holder}, holding {}): \
                     stop that one first, or give this one its own --state-dir",
                    dir.display(),
                    path.display()
                );
            }
            Err(e) => {
                return Err(std::io::Error::from(e))
                    .with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        file.set_len(0)
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(StateLock { _file: file })
    }
}

/// Creates `path` readable by its owner only, if it does not exist yet (the database holds
/// passwords and application credential secrets; SQLite gives its WAL the same mode).
pub(crate) fn create_private(path: &Path) -> anyhow::Result<()> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create the state database {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_folder_and_the_pid() {
        let dir = tempfile::tempdir().unwrap();
        let first = StateLock::acquire(dir.path()).unwrap();
        let err = StateLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        StateLock::acquire(dir.path()).expect("free again once dropped");
    }
}
