//! Finding host programs and running them with errors that carry the whole story.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use crate::error::{Error, Result};

/// A host program the driver needs, and the Debian package that ships it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Program {
    /// The executable's file name.
    pub name: &'static str,
    /// The Debian package to install when it is missing.
    pub package: &'static str,
}

impl Program {
    /// `qemu-img`.
    pub const QEMU_IMG: Program = Program::new("qemu-img", "qemu-utils");
    /// `qemu-system-x86_64`.
    pub const QEMU_SYSTEM_X86_64: Program = Program::new("qemu-system-x86_64", "qemu-system-x86");
    /// `setpriv` (util-linux), which starts qemu so that it dies with its owner.
    pub const SETPRIV: Program = Program::new("setpriv", "util-linux");
    /// A program named `name`, shipped by the Debian package `package`.
    pub const fn new(name: &'static str, package: &'static str) -> Self {
        Program { name, package }
    }

    /// Finds the program: at `configured` when given (it must exist), else on `PATH`
    /// (plus `/usr/sbin` and `/sbin`, which a non-root `PATH` often lacks).
    pub fn locate(&self, configured: Option<&Path>) -> Result<PathBuf> {
        if let Some(path) = configured {
            return if path.is_file() {
                Ok(path.to_owned())
            } else {
                Err(self.missing(Some(path)))
            };
        }
        let path_var = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/bin:/bin"));
        std::env::split_paths(&path_var)
            .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
            .map(|dir| dir.join(self.name))
            .find(|candidate| candidate.is_file())
            .ok_or_else(|| self.missing(None))
    }

    fn missing(&self, configured: Option<&Path>) -> Error {
        Error::MissingProgram {
            program: self.name.to_owned(),
            package: self.package.to_owned(),
            configured: configured.map(Path::to_owned),
        }
    }
}

/// A command as plain data: the program and its arguments, built before anything runs so
/// that it can be snapshot-tested, logged and put into error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolCommand {
    /// The program to run.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// The folder it runs in (the caller's when `None`).
    pub current_dir: Option<PathBuf>,
}

impl ToolCommand {
    /// A command running `program` with no arguments yet.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        ToolCommand {
            program: program.into(),
            args: Vec::new(),
            current_dir: None,
        }
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Runs the command in `dir`.
    pub fn in_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// Appends a path argument.
    pub fn path_arg(self, path: &Path) -> Self {
        self.arg(path.to_string_lossy())
    }

    /// The command line as a shell would read it (for messages and logs).
    pub fn display(&self) -> String {
        std::iter::once(self.program.to_string_lossy().into_owned())
            .chain(self.args.iter().cloned())
            .map(|word| shell_quote(&word))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs the command to completion; any exit status other than 0 is an error.
    pub async fn run(&self) -> Result<Output> {
        self.run_accepting(&[0]).await
    }

    /// Runs the command to completion; an exit code outside `accepted` is an error.
    pub async fn run_accepting(&self, accepted: &[i32]) -> Result<Output> {
        tracing::debug!(command = %self.display(), "running");
        let mut process = tokio::process::Command::new(&self.program);
        if let Some(dir) = &self.current_dir {
            process.current_dir(dir);
        }
        let output = process
            .args(&self.args)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|source| Error::Spawn {
                command: self.display(),
                source,
            })?;
        match output.status.code() {
            Some(code) if accepted.contains(&code) => Ok(output),
            _ => Err(self.failed(&output)),
        }
    }

    /// The error for a run that ended with `output`.
    pub fn failed(&self, output: &Output) -> Error {
        Error::CommandFailed {
            command: self.display(),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        }
    }
}

/// Quotes `word` for a POSIX shell when it needs it.
pub(crate) fn shell_quote(word: &str) -> String {
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

    #[test]
    fn display_quotes_only_what_needs_it() {
        let cmd = ToolCommand::new("/usr/bin/qemu-img")
            .arg("create")
            .arg("-o")
            .arg("compat=1.1")
            .arg("my disk.qcow2")
            .arg("it's");
        assert_eq!(
            cmd.display(),
            r"/usr/bin/qemu-img create -o compat=1.1 'my disk.qcow2' 'it'\''s'"
        );
    }

    #[test]
    fn a_missing_program_names_its_package() {
        let err = Program::new("ferrostack-no-such-tool", "ferrostack-pkg")
            .locate(None)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`ferrostack-no-such-tool` was not found on PATH; install the Debian package \
             `ferrostack-pkg` (apt-get install ferrostack-pkg)"
        );
    }

    #[test]
    fn a_configured_path_that_does_not_exist_is_named() {
        let err = Program::QEMU_SYSTEM_X86_64
            .locate(Some(Path::new("/nonexistent/qemu")))
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("at the configured path /nonexistent/qemu; install the Debian package `qemu-system-x86`"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_failed_command_carries_its_line_status_and_stderr() {
        let err = ToolCommand::new("/bin/sh")
            .arg("-c")
            .arg("echo broken >&2; exit 3")
            .run()
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`/bin/sh -c 'echo broken >&2; exit 3'` failed with exit status: 3: broken"
        );
    }
}
