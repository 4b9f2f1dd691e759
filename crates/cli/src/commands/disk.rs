//! `fstack disk create|info|convert|check|resize`: qemu-img, typed, with its own flag names.
//!
//! Every command that leaves an image behind prints what `disk info` prints about it, so a
//! script gets the result in one call. Nothing half-made is left: a failed `create` removes
//! the file it started, and `convert` writes under a temporary name that is renamed only when
//! qemu-img succeeds (or removed when it fails or is interrupted).

pub(crate) mod args;
mod size;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use ferrostack_qemu::img::ImageInfo;
use ferrostack_qemu::{CheckOutcome, CheckReport, ConvertSpec, CreateSpec, QemuImg};

use self::args::{
    DiskCheck, DiskCommand, DiskConvert, DiskCreate, DiskInfo, DiskOutput, DiskResize,
};
use self::size::{SizeChange, human_size};
use super::vm::Interrupts;
use crate::args::{ListFormat, ListOutput, QuoteMode, ShowFormat};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// Runs one `disk` command.
pub async fn run(_ctx: &Context, command: DiskCommand) -> Result<()> {
    let qemu_img = QemuImg::locate()?;
    match command {
        DiskCommand::Create(args) => create(&qemu_img, args).await,
        DiskCommand::Info(args) => info(&qemu_img, args).await,
        DiskCommand::Convert(args) => convert(&qemu_img, args).await,
        DiskCommand::Check(args) => check(&qemu_img, args).await,
        DiskCommand::Resize(args) => resize(&qemu_img, args).await,
    }
}

/// `disk create FILE [SIZE] [-f FMT] [-b BACKING -F FMT]`.
async fn create(qemu_img: &QemuImg, args: DiskCreate) -> Result<()> {
    let file = &args.file;
    // qemu-img create overwrites without a word; an image is too costly to lose that way.
    if file.symlink_metadata().is_ok() {
        bail!(
            "{}: already exists; remove it first (disk create never overwrites)",
            file.display()
        );
    }
    let mut spec = CreateSpec::new(file, &args.format);
    if let Some(size) = &args.size {
        spec = spec.size(size::parse(size).with_context(|| format!("SIZE {size:?}"))?);
    }
    if let (Some(backing), Some(format)) = (&args.backing_file, &args.backing_format) {
        // qemu-img reads a relative backing path from the new image's folder.
        let resolved = match file.parent() {
            Some(dir) if backing.is_relative() => dir.join(backing),
            _ => backing.clone(),
        };
        require_file(&resolved, "-b backing file")?;
        spec = spec.backing(backing, format);
    }
    if let Err(error) = qemu_img.create(&spec).await {
        // qemu-img may have written the file before failing (a bad backing file, a full disk).
        let _ = std::fs::remove_file(file);
        return Err(error).with_context(|| format!("cannot create {}", file.display()));
    }
    let info = describe(qemu_img, file, Some(&args.format)).await?;
    print::one(&args.output.show(), as_refs(&info_fields(&info)))
}

/// `disk info FILE [-f FMT] [--backing-chain]`.
async fn info(qemu_img: &QemuImg, args: DiskInfo) -> Result<()> {
    require_file(&args.file, "image")?;
    let format = args.format.as_deref();
    if !args.backing_chain {
        let info = describe(qemu_img, &args.file, format).await?;
        return print::one(&args.output.show(), as_refs(&info_fields(&info)));
    }
    let chain = qemu_img
        .info_chain(&args.file, format)
        .await
        .with_context(|| format!("cannot describe {}", args.file.display()))?;
    let rows = chain
        .iter()
        .map(|info| {
            info_fields(info)
                .into_iter()
                .filter(|(name, _)| CHAIN_COLUMNS.contains(&name.as_str()))
                .map(|(_, cell)| cell)
                .collect()
        })
        .collect();
    print::list(&chain_output(&args.output)?, CHAIN_COLUMNS, rows)
}

/// The columns of `disk info --backing-chain`: one row per image, top first.
const CHAIN_COLUMNS: &[&str] = &[
    "file",
    "file_format",
    "virtual_size",
    "virtual_size_bytes",
    "disk_size",
    "disk_size_bytes",
    "backing_file",
    "backing_file_format",
];

/// A backing chain is a list: the show flags become the list flags they stand for.
fn chain_output(out: &DiskOutput) -> Result<ListOutput> {
    let format = match out.format {
        ShowFormat::Table => ListFormat::Table,
        ShowFormat::Json => ListFormat::Json,
        ShowFormat::Yaml => ListFormat::Yaml,
        ShowFormat::Value => ListFormat::Value,
        ShowFormat::Shell => {
            bail!("--output shell prints one image; with --backing-chain use json, yaml or value")
        }
    };
    Ok(ListOutput {
        format,
        columns: out.columns.clone(),
        quote: QuoteMode::Nonnumeric,
        noindent: out.noindent,
        max_width: out.max_width,
        fit_width: out.fit_width,
        print_empty: false,
        sort_columns: Vec::new(),
        sort_ascending: false,
        sort_descending: false,
    })
}

/// `disk convert SRC DST [-f FMT] [-O FMT] [-c]`.
async fn convert(qemu_img: &QemuImg, args: DiskConvert) -> Result<()> {
    // Listen before qemu-img starts, so that Ctrl-C always reaches the cleanup below.
    let mut interrupts = Interrupts::listen()?;
    require_file(&args.source, "source image")?;
    let target_format = match &args.output_format {
        Some(format) => format.clone(),
        None => format_from_extension(&args.destination)?.to_owned(),
    };
    let partial = Partial::beside(&args.destination)?;
    let mut spec =
        ConvertSpec::new(&args.source, partial.path(), &target_format).compress(args.compress);
    if let Some(format) = &args.source_format {
        spec = spec.source_format(format);
    }
    let converted = tokio::select! {
        result = qemu_img.convert(&spec) => result,
        signal = interrupts.recv() => {
            // Dropping the conversion killed qemu-img; take its partial output with it.
            drop(partial);
            eprintln!("fstack: disk convert {signal}; removed the partial output");
            std::process::exit(signal.exit_code());
        }
    };
    if let Err(error) = converted {
        drop(partial);
        return Err(error).with_context(|| {
            format!(
                "cannot convert {} to {} ({target_format}); nothing was written",
                args.source.display(),
                args.destination.display()
            )
        });
    }
    partial.finish(&args.destination)?;
    let info = describe(qemu_img, &args.destination, Some(&target_format)).await?;
    print::one(&args.output.show(), as_refs(&info_fields(&info)))
}

/// The format a destination's extension names, for `convert` without `-O`.
fn format_from_extension(destination: &Path) -> Result<&'static str> {
    let extension = destination
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let format = match extension.as_deref() {
        Some("qcow2") => "qcow2",
        Some("raw" | "img") => "raw",
        Some("vmdk") => "vmdk",
        Some("vdi") => "vdi",
        Some("vhd") => "vpc",
        Some("vhdx") => "vhdx",
        _ => bail!(
            "{}: cannot tell the output format from this name; pass -O FMT (e.g. -O qcow2)",
            destination.display()
        ),
    };
    Ok(format)
}

/// An output file being written under a temporary name beside its destination; removed on
/// drop unless [`Partial::finish`] renamed it into place.
struct Partial {
    path: Option<PathBuf>,
}

impl Partial {
    fn beside(destination: &Path) -> Result<Partial> {
        let name = destination
            .file_name()
            .with_context(|| format!("{}: not a file name", destination.display()))?;
        let dir = match destination.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            bail!("{}: no such folder", dir.display());
        }
        let mut temporary = std::ffi::OsString::from(".");
        temporary.push(name);
        temporary.push(format!(".fstack-partial-{}", std::process::id()));
        Ok(Partial {
            path: Some(dir.join(temporary)),
        })
    }

    fn path(&self) -> &Path {
        self.path.as_deref().expect("not finished yet")
    }

    fn finish(mut self, destination: &Path) -> Result<()> {
        let path = self.path.take().expect("finished once");
        std::fs::rename(&path, destination).with_context(|| {
            let _ = std::fs::remove_file(&path);
            format!(
                "cannot move the converted image to {}",
                destination.display()
            )
        })
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// `disk check FILE [-f FMT]`: the table, then qemu-img check's exit code and what it means.
async fn check(qemu_img: &QemuImg, args: DiskCheck) -> Result<()> {
    require_file(&args.file, "image")?;
    let report = qemu_img
        .check(&args.file, args.format.as_deref())
        .await
        .with_context(|| format!("cannot check {}", args.file.display()))?;
    print::one(
        &args.output.show(),
        as_refs(&check_fields(&args.file, &report)),
    )?;
    let (code, message) = check_verdict(&args.file, &report);
    if let Some(message) = message {
        eprintln!("{message}");
    }
    if code != 0 {
        // The codes scripts already test after `qemu-img check`; the runner only knows 0 and 1.
        std::process::exit(code);
    }
    Ok(())
}

fn check_fields(file: &Path, report: &CheckReport) -> Vec<(String, Cell)> {
    let result = match report.outcome {
        CheckOutcome::Clean => "clean",
        CheckOutcome::Corrupted => "corrupted",
        CheckOutcome::Leaked => "leaked clusters",
        CheckOutcome::NotCheckable => "not checkable",
    };
    vec![
        ("file".to_owned(), Cell::str(file.display().to_string())),
        ("result".to_owned(), Cell::str(result)),
        ("corruptions".to_owned(), Cell::json(report.corruptions)),
        ("leaks".to_owned(), Cell::json(report.leaks)),
        ("check_errors".to_owned(), Cell::json(report.check_errors)),
    ]
}

/// The exit code (qemu-img check's own) and the line that explains it.
fn check_verdict(file: &Path, report: &CheckReport) -> (i32, Option<String>) {
    let file = file.display();
    match report.outcome {
        CheckOutcome::Clean => (0, None),
        CheckOutcome::Leaked => (
            3,
            Some(format!(
                "{file}: {} leaked cluster(s): space is wasted but the data is intact; \
                 `qemu-img check -r leaks {file}` reclaims it",
                report.leaks
            )),
        ),
        CheckOutcome::Corrupted => (
            2,
            Some(format!(
                "{file} is corrupted: {} error(s); do not boot or upload it. Restore it from a \
                 copy, or try `qemu-img check -r all` on a copy of it",
                report.corruptions
            )),
        ),
        CheckOutcome::NotCheckable => (
            63,
            Some(format!(
                "{file}: its format keeps no metadata qemu-img can check (raw has none)"
            )),
        ),
    }
}

/// `disk resize FILE SIZE|+SIZE|-SIZE [-f FMT] [--shrink]`.
async fn resize(qemu_img: &QemuImg, args: DiskResize) -> Result<()> {
    require_file(&args.file, "image")?;
    let change = SizeChange::parse(&args.size).with_context(|| format!("SIZE {:?}", args.size))?;
    let before = describe(qemu_img, &args.file, args.format.as_deref()).await?;
    let target = change.apply(before.virtual_size).with_context(|| {
        format!(
            "SIZE {:?}: {} is {} bytes",
            args.size,
            args.file.display(),
            before.virtual_size
        )
    })?;
    if target < before.virtual_size && !args.shrink {
        bail!(
            "SIZE {:?} would shrink {} from {} to {}; pass --shrink if the data past the new \
             end may be lost",
            args.size,
            args.file.display(),
            human_size(before.virtual_size),
            human_size(target)
        );
    }
    // The probed format is passed on, so that qemu-img does not probe (and warn) again.
    qemu_img
        .resize(&args.file, Some(&before.format), target, args.shrink)
        .await
        .with_context(|| format!("cannot resize {}", args.file.display()))?;
    let after = describe(qemu_img, &args.file, Some(&before.format)).await?;
    print::one(&args.output.show(), as_refs(&info_fields(&after)))
}

/// `qemu-img info` of one image, with the file named when it fails.
async fn describe(qemu_img: &QemuImg, file: &Path, format: Option<&str>) -> Result<ImageInfo> {
    qemu_img
        .info(file, format)
        .await
        .with_context(|| format!("cannot describe {}", file.display()))
}

/// A clear error for a missing input, before qemu-img says it in its own words.
fn require_file(path: &Path, what: &str) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => bail!("{what} {}: is a folder, not a file", path.display()),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("{what} {}: no such file", path.display())
        }
        Err(e) => Err(e).with_context(|| format!("{what} {}: cannot read it", path.display())),
    }
}

/// The fields of one image: qemu-img's own, typed, sizes both readable and in bytes, then the
/// format-specific ones (for qcow2: compat, compression_type, corrupt, extended_l2,
/// lazy_refcounts, refcount_bits).
fn info_fields(info: &ImageInfo) -> Vec<(String, Cell)> {
    let mut fields = vec![
        ("file".to_owned(), Cell::str(&info.filename)),
        ("file_format".to_owned(), Cell::str(&info.format)),
        (
            "virtual_size".to_owned(),
            Cell::str(human_size(info.virtual_size)),
        ),
        (
            "virtual_size_bytes".to_owned(),
            Cell::json(info.virtual_size),
        ),
        (
            "disk_size".to_owned(),
            Cell::opt(info.actual_size.map(human_size)),
        ),
        ("disk_size_bytes".to_owned(), Cell::json(info.actual_size)),
        ("cluster_size".to_owned(), Cell::json(info.cluster_size)),
        (
            "backing_file".to_owned(),
            Cell::opt(info.backing_filename.clone()),
        ),
        (
            "backing_file_format".to_owned(),
            Cell::opt(info.backing_filename_format.clone()),
        ),
        (
            "full_backing_file".to_owned(),
            Cell::opt(info.full_backing_filename.clone()),
        ),
        ("dirty".to_owned(), Cell::json(info.dirty_flag)),
    ];
    if let Some(encrypted) = info.encrypted {
        fields.push(("encrypted".to_owned(), Cell::json(encrypted)));
    }
    if let Some(specific) = &info.format_specific {
        for (key, value) in &specific.data {
            let name = key.replace('-', "_");
            // A format-specific key never hides one of the common fields.
            if fields.iter().all(|(existing, _)| *existing != name) {
                fields.push((name, Cell::json(value.clone())));
            }
        }
    }
    fields
}

/// `print::one` takes borrowed names; format-specific names are made at run time.
fn as_refs(fields: &[(String, Cell)]) -> Vec<(&str, Cell)> {
    fields
        .iter()
        .map(|(name, cell)| (name.as_str(), cell.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn parse_info(json: &str) -> ImageInfo {
        ferrostack_qemu::img::parse_json(json.as_bytes()).unwrap()
    }

    #[test]
    fn qcow2_fields_are_typed_and_ordered() {
        let info = parse_info(
            r#"{"filename":"d.qcow2","format":"qcow2","virtual-size":1073741824,
                "actual-size":200704,"cluster-size":65536,"dirty-flag":false,
                "format-specific":{"type":"qcow2","data":{"compat":"1.1","corrupt":false,
                "refcount-bits":16,"extended-l2":false}}}"#,
        );
        let fields = info_fields(&info);
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "file",
                "file_format",
                "virtual_size",
                "virtual_size_bytes",
                "disk_size",
                "disk_size_bytes",
                "cluster_size",
                "backing_file",
                "backing_file_format",
                "full_backing_file",
                "dirty",
                "compat",
                "corrupt",
                "extended_l2",
                "refcount_bits",
            ]
        );
        let get = |n: &str| fields.iter().find(|(k, _)| k == n).unwrap().1.clone();
        assert_eq!(get("virtual_size").human(), "1 GiB");
        assert_eq!(
            get("virtual_size_bytes").machine(),
            Value::from(1073741824u64)
        );
        assert_eq!(get("disk_size").human(), "196 KiB");
        assert_eq!(get("corrupt").machine(), Value::Bool(false));
        assert_eq!(get("backing_file").machine(), Value::Null);
    }

    #[test]
    fn the_output_format_follows_the_extension() {
        assert_eq!(
            format_from_extension(Path::new("a/b.QCOW2")).unwrap(),
            "qcow2"
        );
        assert_eq!(format_from_extension(Path::new("b.img")).unwrap(), "raw");
        assert_eq!(format_from_extension(Path::new("b.vhd")).unwrap(), "vpc");
        let err = format_from_extension(Path::new("disk.bin"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("disk.bin") && err.contains("-O FMT"), "{err}");
    }

    #[test]
    fn check_outcomes_keep_qemu_img_exit_codes() {
        let report = |outcome| CheckReport {
            outcome,
            corruptions: 2,
            leaks: 4,
            check_errors: 0,
        };
        let file = Path::new("d.qcow2");
        assert_eq!(check_verdict(file, &report(CheckOutcome::Clean)), (0, None));
        let (code, message) = check_verdict(file, &report(CheckOutcome::Leaked));
        assert_eq!(code, 3);
        assert!(message.unwrap().contains("4 leaked cluster(s)"));
        let (code, message) = check_verdict(file, &report(CheckOutcome::Corrupted));
        assert_eq!(code, 2);
        assert!(
            message
                .unwrap()
                .starts_with("d.qcow2 is corrupted: 2 error(s)")
        );
        assert_eq!(
            check_verdict(file, &report(CheckOutcome::NotCheckable)).0,
            63
        );
    }

    #[test]
    fn a_partial_output_is_removed_unless_finished() {
        let dir = tempfile::tempdir().unwrap();
        let destination = dir.path().join("out.qcow2");
        let partial = Partial::beside(&destination).unwrap();
        std::fs::write(partial.path(), b"half").unwrap();
        let path = partial.path().to_owned();
        assert!(
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".out.qcow2.")
        );
        drop(partial);
        assert!(!path.exists());
        let partial = Partial::beside(&destination).unwrap();
        std::fs::write(partial.path(), b"whole").unwrap();
        partial.finish(&destination).unwrap();
        assert_eq!(std::fs::read(&destination).unwrap(), b"whole");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
