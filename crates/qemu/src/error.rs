//! The one error type of the qemu driver.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong while driving qemu-img, qemu-system or the image builder.
///
/// `Display` says what this layer knows; the source (if any) is reachable through
/// `std::error::Error::source` and is never repeated in the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A program the driver needs is not installed (or not where it was configured).
    #[error("`{program}` was not found{hint}; install the Debian package `{package}` (apt-get install {package})", hint = configured_hint(.configured))]
    MissingProgram {
        /// The program looked for, e.g. `qemu-img`.
        program: String,
        /// The Debian package that ships it.
        package: String,
        /// The explicitly configured path, when one was given and does not exist.
        configured: Option<PathBuf>,
    },
    /// A program could not be started at all.
    #[error("could not start `{command}`")]
    Spawn {
        /// The command line.
        command: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A program ran and failed.
    #[error("`{command}` failed with {status}: {stderr}")]
    CommandFailed {
        /// The command line.
        command: String,
        /// Its exit status, as the OS reports it (`exit status: 1`, `signal: 9`).
        status: String,
        /// Its standard error, trimmed.
        stderr: String,
    },
    /// A program's output could not be understood.
    #[error("could not read the output of `{command}`: {detail}")]
    Decode {
        /// The command line.
        command: String,
        /// What was wrong (the JSON path and serde's message, for JSON).
        detail: String,
    },
    /// A file or folder could not be read or written.
    #[error("{action} {path}")]
    Io {
        /// What was being done, e.g. "cannot write".
        action: &'static str,
        /// The file or folder at fault.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Input given to the driver is wrong (an image, a kernel package, a builder setting).
    #[error("{what}: {problem}")]
    Invalid {
        /// The thing at fault (a file, a flag, a setting).
        what: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The guest did not boot: qemu ended, or the deadline passed, before the expected line.
    #[error("{reason}; last console lines:\n{console_tail}")]
    BootFailed {
        /// What happened (qemu exited with ..., no marker within ...).
        reason: String,
        /// The last lines of the serial console.
        console_tail: String,
    },
    /// Something did not happen within its deadline.
    #[error("{what} did not happen within {after:?}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// The deadline that passed.
        after: Duration,
    },
    /// The QMP conversation with qemu failed.
    #[error("QMP: {0}")]
    Qmp(String),
    /// Host packages are missing and could not be installed here.
    #[error("missing host packages: {missing}; {reason}. Install them as root with: {command}", missing = .missing.join(" "))]
    Packages {
        /// The Debian packages that are missing.
        missing: Vec<String>,
        /// Why they were not installed (not root, apt failed: its stderr).
        reason: String,
        /// The exact command that installs them.
        command: String,
    },
}

fn configured_hint(configured: &Option<PathBuf>) -> String {
    match configured {
        Some(path) => format!(" at the configured path {}", path.display()),
        None => " on PATH".to_owned(),
    }
}

impl Error {
    /// An [`Error::Io`] for `path` (public for the crates that build on the driver, such as
    /// the testbed).
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// An [`Error::Invalid`].
    pub fn invalid(what: impl Into<String>, problem: impl Into<String>) -> Self {
        Error::Invalid {
            what: what.into(),
            problem: problem.into(),
        }
    }
}

/// The driver's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
