//! `qemu-img`, typed: create, info, convert, check, resize, measure.
//!
//! Each operation is first a [`ToolCommand`] (plain data, snapshot-tested), then run; a failure
//! carries the command line, the exit status and qemu-img's stderr.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::command::{Program, ToolCommand};
use crate::error::{Error, Result};

/// A handle on one `qemu-img` binary.
#[derive(Clone, Debug)]
pub struct QemuImg {
    binary: PathBuf,
}

impl QemuImg {
    /// Finds `qemu-img` on `PATH`; a missing binary names the package `qemu-utils`.
    pub fn locate() -> Result<Self> {
        Self::configured(None)
    }

    /// Uses `path` when given (it must exist), else finds `qemu-img` on `PATH`.
    pub fn configured(path: Option<&Path>) -> Result<Self> {
        Ok(QemuImg {
            binary: Program::QEMU_IMG.locate(path)?,
        })
    }

    /// The binary this handle runs.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// Creates an image.
    pub async fn create(&self, spec: &CreateSpec) -> Result<()> {
        spec.command(&self.binary).run().await.map(drop)
    }

    /// Describes one image (`info --output=json`).
    pub async fn info(&self, path: &Path, format: Option<&str>) -> Result<ImageInfo> {
        let command = info_command(&self.binary, path, format, false);
        let output = command.run().await?;
        decode(&command, &output.stdout)
    }

    /// Describes an image and every image under it (`info --output=json --backing-chain`),
    /// top first.
    pub async fn info_chain(&self, path: &Path, format: Option<&str>) -> Result<Vec<ImageInfo>> {
        let command = info_command(&self.binary, path, format, true);
        let output = command.run().await?;
        decode(&command, &output.stdout)
    }

    /// Converts an image to another file (and format).
    pub async fn convert(&self, spec: &ConvertSpec) -> Result<()> {
        spec.command(&self.binary).run().await.map(drop)
    }

    /// Checks an image's consistency; exit codes 0, 2, 3 and 63 are outcomes, not errors.
    pub async fn check(&self, path: &Path, format: Option<&str>) -> Result<CheckReport> {
        let command = check_command(&self.binary, path, format);
        let output = command.run_accepting(&[0, 2, 3, 63]).await?;
        let code = output.status.code().unwrap_or(-1);
        CheckReport::from_exit(&command, code, &output.stdout, &output.stderr)
    }

    /// Changes an image's virtual size to `size` bytes (shrinking needs `shrink`).
    pub async fn resize(
        &self,
        path: &Path,
        format: Option<&str>,
        size: u64,
        shrink: bool,
    ) -> Result<()> {
        resize_command(&self.binary, path, format, size, shrink)
            .run()
            .await
            .map(drop)
    }

    /// How much room an image of `target_format` needs (`measure --output=json`).
    pub async fn measure(
        &self,
        source: &MeasureSource,
        target_format: &str,
    ) -> Result<Measurement> {
        let command = measure_command(&self.binary, source, target_format);
        let output = command.run().await?;
        decode(&command, &output.stdout)
    }
}

/// What to create: `qemu-img create -f FORMAT [-b BACKING -F FMT] [-o K=V,...] FILE [SIZE]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateSpec {
    path: PathBuf,
    format: String,
    size: Option<u64>,
    backing: Option<(PathBuf, String)>,
    options: Vec<(String, String)>,
}

impl CreateSpec {
    /// A new image at `path` in `format` (e.g. "qcow2", "raw").
    pub fn new(path: impl Into<PathBuf>, format: impl Into<String>) -> Self {
        CreateSpec {
            path: path.into(),
            format: format.into(),
            size: None,
            backing: None,
            options: Vec::new(),
        }
    }

    /// The virtual size in bytes (optional with a backing file: it inherits the backing size).
    pub fn size(mut self, bytes: u64) -> Self {
        self.size = Some(bytes);
        self
    }

    /// A backing file and its format (qemu-img requires the format with `-b`).
    pub fn backing(mut self, path: impl Into<PathBuf>, format: impl Into<String>) -> Self {
        self.backing = Some((path.into(), format.into()));
        self
    }

    /// A format option (`-o key=value`), e.g. `("compat", "1.1")`, `("preallocation", "metadata")`.
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.push((key.into(), value.into()));
        self
    }

    /// The command that creates the image with `binary`.
    pub fn command(&self, binary: &Path) -> ToolCommand {
        let mut command = ToolCommand::new(binary)
            .arg("create")
            .arg("-f")
            .arg(&self.format);
        if let Some((backing, format)) = &self.backing {
            command = command.arg("-b").path_arg(backing).arg("-F").arg(format);
        }
        if !self.options.is_empty() {
            command = command.arg("-o").arg(join_options(&self.options));
        }
        command = command.path_arg(&self.path);
        if let Some(size) = self.size {
            command = command.arg(size.to_string());
        }
        command
    }
}

/// What to convert: `qemu-img convert [-f FMT] -O FMT [-c] [-o K=V,...] SRC DST`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvertSpec {
    source: PathBuf,
    source_format: Option<String>,
    target: PathBuf,
    target_format: String,
    compress: bool,
    options: Vec<(String, String)>,
}

impl ConvertSpec {
    /// Convert `source` into `target`, written in `target_format`.
    pub fn new(
        source: impl Into<PathBuf>,
        target: impl Into<PathBuf>,
        target_format: impl Into<String>,
    ) -> Self {
        ConvertSpec {
            source: source.into(),
            source_format: None,
            target: target.into(),
            target_format: target_format.into(),
            compress: false,
            options: Vec::new(),
        }
    }

    /// The source's format, instead of letting qemu-img probe it (probing raw is unsafe).
    pub fn source_format(mut self, format: impl Into<String>) -> Self {
        self.source_format = Some(format.into());
        self
    }

    /// Compress the target (`-c`; qcow2 only).
    pub fn compress(mut self, compress: bool) -> Self {
        self.compress = compress;
        self
    }

    /// A target format option (`-o key=value`).
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.push((key.into(), value.into()));
        self
    }

    /// The command that converts with `binary`.
    pub fn command(&self, binary: &Path) -> ToolCommand {
        let mut command = ToolCommand::new(binary).arg("convert");
        if let Some(format) = &self.source_format {
            command = command.arg("-f").arg(format);
        }
        command = command.arg("-O").arg(&self.target_format);
        if self.compress {
            command = command.arg("-c");
        }
        if !self.options.is_empty() {
            command = command.arg("-o").arg(join_options(&self.options));
        }
        command.path_arg(&self.source).path_arg(&self.target)
    }
}

/// What to measure: an existing image, or a blank one of a given size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MeasureSource {
    /// An existing image (and its format, when known).
    Image {
        /// The image file.
        path: PathBuf,
        /// Its format.
        format: Option<String>,
    },
    /// A blank image of this many bytes.
    Size(u64),
}

/// The answer of `qemu-img measure`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Measurement {
    /// Bytes needed for the image as it is.
    pub required: u64,
    /// Bytes needed when every cluster is allocated.
    pub fully_allocated: u64,
    /// Bytes needed for persistent bitmaps (qemu-img 5.1+; absent otherwise).
    #[serde(default)]
    pub bitmaps: Option<u64>,
}

fn join_options(options: &[(String, String)]) -> String {
    options
        .iter()
        // A comma inside a value is written twice, as qemu's option parser expects.
        .map(|(key, value)| format!("{key}={}", value.replace(',', ",,")))
        .collect::<Vec<_>>()
        .join(",")
}

/// `qemu-img info --output=json [--backing-chain] [-f FMT] FILE`.
pub fn info_command(binary: &Path, path: &Path, format: Option<&str>, chain: bool) -> ToolCommand {
    let mut command = ToolCommand::new(binary).arg("info").arg("--output=json");
    if chain {
        command = command.arg("--backing-chain");
    }
    if let Some(format) = format {
        command = command.arg("-f").arg(format);
    }
    command.path_arg(path)
}

/// `qemu-img check --output=json [-f FMT] FILE`.
pub fn check_command(binary: &Path, path: &Path, format: Option<&str>) -> ToolCommand {
    let mut command = ToolCommand::new(binary).arg("check").arg("--output=json");
    if let Some(format) = format {
        command = command.arg("-f").arg(format);
    }
    command.path_arg(path)
}

/// `qemu-img resize [-f FMT] [--shrink] FILE SIZE`.
pub fn resize_command(
    binary: &Path,
    path: &Path,
    format: Option<&str>,
    size: u64,
    shrink: bool,
) -> ToolCommand {
    let mut command = ToolCommand::new(binary).arg("resize");
    if let Some(format) = format {
        command = command.arg("-f").arg(format);
    }
    if shrink {
        command = command.arg("--shrink");
    }
    command.path_arg(path).arg(size.to_string())
}

/// `qemu-img measure --output=json -O FMT (--size N | [-f FMT] FILE)`.
pub fn measure_command(binary: &Path, source: &MeasureSource, target_format: &str) -> ToolCommand {
    let command = ToolCommand::new(binary)
        .arg("measure")
        .arg("--output=json")
        .arg("-O")
        .arg(target_format);
    match source {
        MeasureSource::Size(bytes) => command.arg("--size").arg(bytes.to_string()),
        MeasureSource::Image { path, format } => {
            let command = match format {
                Some(format) => command.arg("-f").arg(format),
                None => command,
            };
            command.path_arg(path)
        }
    }
}

/// Decodes qemu-img's JSON, naming the JSON path of a mismatch.
fn decode<T: serde::de::DeserializeOwned>(command: &ToolCommand, json: &[u8]) -> Result<T> {
    parse_json(json).map_err(|detail| Error::Decode {
        command: command.display(),
        detail,
    })
}

/// Parses qemu-img JSON into `T`, or says where and why it does not fit.
pub fn parse_json<T: serde::de::DeserializeOwned>(json: &[u8]) -> Result<T, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|err| format!("at `{}`: {}", err.path(), err.inner()))
}

/// What `qemu-img info --output=json` says about one image.
///
/// Parsed by key: keys this version does not know are ignored, keys older versions lack
/// (`children` before qemu 8) are optional.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ImageInfo {
    /// The file name as qemu-img was given it.
    pub filename: String,
    /// The format driver ("qcow2", "raw", "vmdk", and "file" for a protocol child).
    pub format: String,
    /// The size the guest sees, in bytes.
    pub virtual_size: u64,
    /// Bytes allocated on the host.
    #[serde(default)]
    pub actual_size: Option<u64>,
    /// Whether the image was not closed cleanly.
    #[serde(default)]
    pub dirty_flag: Option<bool>,
    /// The cluster size (qcow2, qed, vdi ...).
    #[serde(default)]
    pub cluster_size: Option<u64>,
    /// Whether the image is encrypted.
    #[serde(default)]
    pub encrypted: Option<bool>,
    /// The backing file as written in the image.
    #[serde(default)]
    pub backing_filename: Option<String>,
    /// The backing file resolved against the image's folder.
    #[serde(default)]
    pub full_backing_filename: Option<String>,
    /// The backing file's format as recorded in the image.
    #[serde(default)]
    pub backing_filename_format: Option<String>,
    /// Format-specific details.
    #[serde(default)]
    pub format_specific: Option<FormatSpecific>,
    /// The nodes under this one (qemu-img 8+); empty for older versions.
    #[serde(default)]
    pub children: Vec<ImageChild>,
}

impl ImageInfo {
    /// Whether qcow2 marks the image corrupt (`format-specific.data.corrupt`).
    pub fn is_marked_corrupt(&self) -> bool {
        self.format_specific
            .as_ref()
            .and_then(|specific| specific.data.get("corrupt"))
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    }
}

/// The `format-specific` object: a type tag and its fields, kept as JSON since they differ by
/// format and version.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct FormatSpecific {
    /// The format the data belongs to ("qcow2", "vmdk", "file" ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The fields, e.g. `compat`, `compression-type`, `refcount-bits` for qcow2.
    #[serde(default)]
    pub data: BTreeMap<String, serde_json::Value>,
}

/// One entry of `children`: a named child node and what qemu-img says about it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ImageChild {
    /// The role of the child ("file", "data-file" ...).
    pub name: String,
    /// Its description.
    pub info: Box<ImageInfo>,
}

/// How a consistency check ended, from qemu-img's exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckOutcome {
    /// Exit 0: no errors.
    Clean,
    /// Exit 2: the image is corrupted.
    Corrupted,
    /// Exit 3: clusters are leaked (wasted space, data intact).
    Leaked,
    /// Exit 63: the format cannot be checked (e.g. raw).
    NotCheckable,
}

/// The result of `qemu-img check`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckReport {
    /// The outcome.
    pub outcome: CheckOutcome,
    /// Corrupted clusters or tables.
    pub corruptions: u64,
    /// Leaked clusters.
    pub leaks: u64,
    /// Internal errors while checking.
    pub check_errors: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct CheckJson {
    #[serde(default)]
    corruptions: u64,
    #[serde(default)]
    leaks: u64,
    #[serde(default)]
    check_errors: u64,
}

impl CheckReport {
    /// Maps an exit code and qemu-img's JSON to a report.
    pub fn from_exit(
        command: &ToolCommand,
        code: i32,
        stdout: &[u8],
        stderr: &[u8],
    ) -> Result<Self> {
        let outcome = match code {
            0 => CheckOutcome::Clean,
            2 => CheckOutcome::Corrupted,
            3 => CheckOutcome::Leaked,
            63 => {
                return Ok(CheckReport {
                    outcome: CheckOutcome::NotCheckable,
                    corruptions: 0,
                    leaks: 0,
                    check_errors: 0,
                });
            }
            _ => {
                return Err(Error::CommandFailed {
                    command: command.display(),
                    status: format!("exit status: {code}"),
                    stderr: String::from_utf8_lossy(stderr).trim().to_owned(),
                });
            }
        };
        let json: CheckJson = decode(command, stdout)?;
        Ok(CheckReport {
            outcome,
            corruptions: json.corruptions,
            leaks: json.leaks,
            check_errors: json.check_errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(name: &str) -> Vec<u8> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/qemu")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    fn bin() -> &'static Path {
        Path::new("qemu-img")
    }

    #[test]
    fn create_argv() {
        let plain = CreateSpec::new("disk.qcow2", "qcow2").size(1 << 30);
        let overlay = CreateSpec::new("top.qcow2", "qcow2")
            .backing("/images/base.qcow2", "qcow2")
            .option("compat", "1.1")
            .option("lazy_refcounts", "on");
        let raw = CreateSpec::new("disk.raw", "raw")
            .size(64 << 20)
            .option("preallocation", "falloc");
        insta::assert_debug_snapshot!([
            plain.command(bin()).args,
            overlay.command(bin()).args,
            raw.command(bin()).args,
        ]);
    }

    #[test]
    fn convert_argv() {
        let compressed = ConvertSpec::new("disk.raw", "disk.qcow2", "qcow2")
            .source_format("raw")
            .compress(true);
        let with_options =
            ConvertSpec::new("in.qcow2", "out.vmdk", "vmdk").option("subformat", "streamOptimized");
        let comma = ConvertSpec::new("a", "b", "qcow2").option("backing_file", "x,y");
        insta::assert_debug_snapshot!([
            compressed.command(bin()).args,
            with_options.command(bin()).args,
            comma.command(bin()).args,
        ]);
    }

    #[test]
    fn info_check_resize_measure_argv() {
        let disk = Path::new("disk.qcow2");
        insta::assert_debug_snapshot!([
            info_command(bin(), disk, None, false).args,
            info_command(bin(), disk, Some("qcow2"), true).args,
            check_command(bin(), disk, Some("qcow2")).args,
            resize_command(bin(), disk, Some("qcow2"), 2 << 30, false).args,
            resize_command(bin(), disk, None, 1 << 20, true).args,
            measure_command(bin(), &MeasureSource::Size(1 << 30), "qcow2").args,
            measure_command(
                bin(),
                &MeasureSource::Image {
                    path: "disk.raw".into(),
                    format: Some("raw".into())
                },
                "qcow2"
            )
            .args,
        ]);
    }

    #[test]
    fn info_of_qemu10_qcow2_keeps_children_and_format_specific() {
        let info: ImageInfo = parse_json(&testdata("info-qcow2-qemu10.json")).unwrap();
        assert_eq!(info.format, "qcow2");
        assert_eq!(info.virtual_size, 64 << 20);
        assert_eq!(info.cluster_size, Some(65536));
        assert_eq!(info.children.len(), 1);
        assert_eq!(info.children[0].name, "file");
        assert_eq!(info.children[0].info.format, "file");
        let specific = info.format_specific.as_ref().unwrap();
        assert_eq!(specific.kind, "qcow2");
        assert_eq!(specific.data["compat"], "1.1");
        assert!(!info.is_marked_corrupt());
        assert_eq!(info.backing_filename, None);
    }

    #[test]
    fn info_of_qemu10_backing_chain_is_top_first() {
        let chain: Vec<ImageInfo> =
            parse_json(&testdata("info-backing-chain-qemu10.json")).unwrap();
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[0].filename, "overlay.qcow2");
        assert_eq!(chain[0].backing_filename.as_deref(), Some("base.qcow2"));
        assert_eq!(
            chain[0].full_backing_filename.as_deref(),
            Some("base.qcow2")
        );
        assert_eq!(chain[0].backing_filename_format.as_deref(), Some("qcow2"));
        assert_eq!(chain[1].filename, "base.qcow2");
        assert_eq!(chain[1].backing_filename, None);
    }

    #[test]
    fn info_of_raw_has_no_format_specific() {
        let info: ImageInfo = parse_json(&testdata("info-raw-qemu10.json")).unwrap();
        assert_eq!(info.format, "raw");
        assert_eq!(info.virtual_size, 1 << 20);
        assert_eq!(info.format_specific, None);
    }

    #[test]
    fn info_of_older_qemu_without_children_parses() {
        let info: ImageInfo = parse_json(&testdata("info-overlay-qemu7.json")).unwrap();
        assert!(info.children.is_empty());
        assert_eq!(info.backing_filename_format.as_deref(), Some("qcow2"));
    }

    #[test]
    fn info_tolerates_unknown_keys() {
        let info: ImageInfo = parse_json(
            br#"{"filename":"x","format":"qcow2","virtual-size":1,"some-future-key":{"a":[1]}}"#,
        )
        .unwrap();
        assert_eq!(info.virtual_size, 1);
    }

    #[test]
    fn info_decode_error_names_the_json_path() {
        let err =
            parse_json::<ImageInfo>(br#"{"filename":"x","format":"qcow2","virtual-size":"big"}"#)
                .unwrap_err();
        assert!(err.starts_with("at `virtual-size`:"), "{err}");
    }

    #[test]
    fn measure_parses() {
        let measurement: Measurement = parse_json(&testdata("measure-qemu10.json")).unwrap();
        assert_eq!(measurement.required, 393216);
        assert_eq!(measurement.fully_allocated, 1074135040);
    }

    #[test]
    fn check_exit_codes_map_to_outcomes() {
        let command = check_command(bin(), Path::new("d"), None);
        let clean = testdata("check-clean-qemu10.json");
        let report = CheckReport::from_exit(&command, 0, &clean, b"").unwrap();
        assert_eq!(report.outcome, CheckOutcome::Clean);
        let leaked = br#"{"leaks": 4, "check-errors": 0}"#;
        let report = CheckReport::from_exit(&command, 3, leaked, b"").unwrap();
        assert_eq!((report.outcome, report.leaks), (CheckOutcome::Leaked, 4));
        let corrupt = br#"{"corruptions": 2, "leaks": 0, "check-errors": 0}"#;
        let report = CheckReport::from_exit(&command, 2, corrupt, b"").unwrap();
        assert_eq!(
            (report.outcome, report.corruptions),
            (CheckOutcome::Corrupted, 2)
        );
        let report = CheckReport::from_exit(&command, 63, b"", b"does not support checks").unwrap();
        assert_eq!(report.outcome, CheckOutcome::NotCheckable);
        let err =
            CheckReport::from_exit(&command, 1, b"", b"qemu-img: Could not open 'd'").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`qemu-img check --output=json d` failed with exit status: 1: qemu-img: Could not open 'd'"
        );
    }
}
