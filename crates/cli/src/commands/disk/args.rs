//! The flags of `fstack disk ...` (ours): qemu-img's own flag names.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::args::{ShowFormat, ShowOutput};

/// The output flags of `disk` commands. They follow qemu-img, where `-f` is the image format
/// and `-c` compresses, so the output format is `--output` (as `qemu-img info --output=json`)
/// and columns are chosen with `--column`.
#[derive(Debug, Clone, Args)]
pub struct DiskOutput {
    /// The output format.
    #[arg(
        id = "output",
        long = "output",
        value_enum,
        value_name = "FORMAT",
        default_value_t = ShowFormat::Table
    )]
    pub format: ShowFormat,
    /// Fields to show (repeatable), in this order.
    #[arg(long = "column", value_name = "COLUMN")]
    pub columns: Vec<String>,
    /// JSON without indentation.
    #[arg(long)]
    pub noindent: bool,
    /// Prefix of shell variable names.
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// Maximum table width; below 1 means no limit.
    #[arg(long = "max-width", value_name = "integer", default_value_t = 0)]
    pub max_width: usize,
    /// Fit the table to the terminal.
    #[arg(long = "fit-width")]
    pub fit_width: bool,
}

impl DiskOutput {
    /// The same choices as the show flags every other command takes.
    pub fn show(&self) -> ShowOutput {
        ShowOutput {
            format: self.format,
            columns: self.columns.clone(),
            noindent: self.noindent,
            prefix: self.prefix.clone(),
            variables: Vec::new(),
            max_width: self.max_width,
            fit_width: self.fit_width,
            print_empty: false,
        }
    }
}

/// `fstack disk ...` (ours): qemu-img, typed, with qemu-img's own flag names.
#[derive(Debug, Subcommand)]
pub enum DiskCommand {
    /// Create a disk image (qemu-img create); refuses to overwrite an existing file.
    Create(DiskCreate),
    /// Describe a disk image (qemu-img info).
    Info(DiskInfo),
    /// Convert a disk image to another file and format (qemu-img convert).
    Convert(DiskConvert),
    /// Check a disk image for corruption (qemu-img check). Exits as qemu-img check does:
    /// 0 clean, 1 the check could not run, 2 corrupted, 3 leaked clusters only, 63 the
    /// format cannot be checked.
    Check(DiskCheck),
    /// Change a disk image's virtual size (qemu-img resize).
    Resize(DiskResize),
}

/// `disk create`.
#[derive(Debug, Args)]
pub struct DiskCreate {
    /// The image file to create.
    pub file: PathBuf,
    /// Virtual size: bytes, or with a suffix K, M, G, T, P, E (powers of 1024): `10G`,
    /// `512M`. Optional with -b: the overlay then takes the backing file's size.
    #[arg(required_unless_present = "backing_file")]
    pub size: Option<String>,
    /// Image format.
    #[arg(
        short = 'f',
        long = "format",
        value_name = "FMT",
        default_value = "qcow2"
    )]
    pub format: String,
    /// Backing file: the new image is an overlay recording only changes to it.
    #[arg(
        short = 'b',
        long = "backing",
        value_name = "BACKING",
        requires = "backing_format"
    )]
    pub backing_file: Option<PathBuf>,
    /// The backing file's format (required with -b: qemu-img never probes it).
    #[arg(
        short = 'F',
        long = "backing-format",
        value_name = "FMT",
        requires = "backing_file"
    )]
    pub backing_format: Option<String>,
    #[command(flatten)]
    pub output: DiskOutput,
}

/// `disk info`.
#[derive(Debug, Args)]
pub struct DiskInfo {
    /// The image file.
    pub file: PathBuf,
    /// Its format (default: probed by qemu-img).
    #[arg(short = 'f', long = "format", value_name = "FMT")]
    pub format: Option<String>,
    /// Describe every image of the backing chain, one row each, top first.
    #[arg(long = "backing-chain")]
    pub backing_chain: bool,
    #[command(flatten)]
    pub output: DiskOutput,
}

/// `disk convert`.
#[derive(Debug, Args)]
pub struct DiskConvert {
    /// Source image.
    pub source: PathBuf,
    /// Destination file (written to a temporary name beside it, renamed when complete).
    pub destination: PathBuf,
    /// Source format (default: probed by qemu-img).
    #[arg(short = 'f', long = "format", value_name = "FMT")]
    pub source_format: Option<String>,
    /// Output format (default: from the destination's extension: .qcow2, .raw, .img, .vmdk,
    /// .vdi, .vhd, .vhdx).
    #[arg(short = 'O', long = "output-format", value_name = "FMT")]
    pub output_format: Option<String>,
    /// Compress the output (qcow2).
    #[arg(short = 'c', long = "compress")]
    pub compress: bool,
    #[command(flatten)]
    pub output: DiskOutput,
}

/// `disk check`.
#[derive(Debug, Args)]
pub struct DiskCheck {
    /// The image file.
    pub file: PathBuf,
    /// Its format (default: probed by qemu-img).
    #[arg(short = 'f', long = "format", value_name = "FMT")]
    pub format: Option<String>,
    #[command(flatten)]
    pub output: DiskOutput,
}

/// `disk resize`.
#[derive(Debug, Args)]
pub struct DiskResize {
    /// The image file.
    pub file: PathBuf,
    /// New virtual size (`20G`), or a change to it (`+1G`, `-512M`).
    #[arg(allow_hyphen_values = true)]
    pub size: String,
    /// Its format (default: probed by qemu-img).
    #[arg(short = 'f', long = "format", value_name = "FMT")]
    pub format: Option<String>,
    /// Allow making the image smaller (data past the new end is lost).
    #[arg(long)]
    pub shrink: bool,
    #[command(flatten)]
    pub output: DiskOutput,
}
