//! The corpus: every file of `testdata/images/verdicts.tsv`, made at test time with
//! qemu-img and the hostile builders, must get its expected verdict; stream and seek
//! inspection must agree on it; and qemu-img must agree on format and virtual size.

mod hostile;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use ferrostack_format_inspector::{Inspection, StreamInspector, Verdict, decide, inspect_file};

/// One row of the verdict table.
#[derive(Debug)]
struct Row {
    line: usize,
    file: String,
    source: String,
    disk_format: String,
    container_format: String,
    verdict: String,
    detected: String,
    virtual_size: String,
    reason: String,
    qemu: String,
}

fn table() -> Vec<Row> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/images/verdicts.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [
            file,
            source,
            declared,
            verdict,
            detected,
            virtual_size,
            reason,
            qemu,
        ] = cols[..]
        else {
            panic!(
                "{}:{}: expected 8 tab-separated columns, found {}",
                path.display(),
                i + 1,
                cols.len()
            );
        };
        let (disk_format, container_format) = declared.split_once('/').unwrap_or_else(|| {
            panic!(
                "{}:{}: declared must be disk/container",
                path.display(),
                i + 1
            )
        });
        rows.push(Row {
            line: i + 1,
            file: file.into(),
            source: source.into(),
            disk_format: disk_format.into(),
            container_format: container_format.into(),
            verdict: verdict.into(),
            detected: detected.into(),
            virtual_size: virtual_size.into(),
            reason: reason.into(),
            qemu: qemu.into(),
        });
    }
    rows
}

fn qemu_img() -> PathBuf {
    let candidates = [
        PathBuf::from("/usr/bin/qemu-img"),
        PathBuf::from("qemu-img"),
    ];
    for candidate in candidates {
        if Command::new(&candidate)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return candidate;
        }
    }
    panic!("qemu-img is needed to build the image corpus: apt-get install qemu-utils");
}

/// The corpus directory with every file of the table made.
struct Corpus {
    dir: tempfile::TempDir,
    rows: Vec<Row>,
}

impl Corpus {
    fn build() -> Corpus {
        let qemu_img = qemu_img();
        let dir = tempfile::tempdir().expect("temporary directory");
        let rows = table();
        for row in &rows {
            let path = dir.path().join(&row.file);
            if row.source == "=" {
                assert!(
                    path.exists(),
                    "line {}: {} is used before it is made",
                    row.line,
                    row.file
                );
                continue;
            }
            if let Some(name) = row.source.strip_prefix("built ") {
                let bytes = hostile::build(name)
                    .unwrap_or_else(|| panic!("line {}: no builder named {name}", row.line));
                std::fs::write(&path, bytes).expect("write corpus file");
            } else if let Some(steps) = row.source.strip_prefix("qemu-img ") {
                for step in steps.split(" ; ") {
                    let args: Vec<String> = step
                        .split_whitespace()
                        .map(|a| substitute(a, dir.path(), &path))
                        .collect();
                    let out = Command::new(&qemu_img)
                        .args(&args)
                        .output()
                        .expect("run qemu-img");
                    assert!(
                        out.status.success(),
                        "line {}: qemu-img {} failed: {}",
                        row.line,
                        args.join(" "),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            } else {
                panic!("line {}: unknown source {:?}", row.line, row.source);
            }
        }
        Corpus { dir, rows }
    }

    fn path(&self, row: &Row) -> PathBuf {
        self.dir.path().join(&row.file)
    }

    /// Each file once.
    fn files(&self) -> BTreeMap<&str, &Row> {
        self.rows.iter().map(|r| (r.file.as_str(), r)).collect()
    }
}

fn substitute(text: &str, dir: &Path, file: &Path) -> String {
    text.replace("{file}", &file.display().to_string())
        .replace("{dir}", &dir.display().to_string())
}

#[test]
fn every_file_gets_its_expected_verdict() {
    let corpus = Corpus::build();
    let mut failures = Vec::new();
    for row in &corpus.rows {
        let inspection = inspect_file(corpus.path(row)).expect("inspect corpus file");
        let verdict = decide(&row.disk_format, &row.container_format, &inspection);
        let (verdict_name, virtual_size, reason) = match &verdict {
            Verdict::Accept { virtual_size, .. } => (
                "accept",
                virtual_size.map_or("-".to_string(), |s| s.to_string()),
                "-".to_string(),
            ),
            Verdict::Refuse(why) => ("refuse", "-".to_string(), why.to_string()),
        };
        let expected_reason = substitute(&row.reason, corpus.dir.path(), &corpus.path(row));
        let ok = verdict_name == row.verdict
            && inspection.format.as_str() == row.detected
            && (row.virtual_size == "?" || virtual_size == row.virtual_size)
            && (row.reason == "-" && reason == "-" || reason.starts_with(&expected_reason));
        if !ok {
            failures.push(format!(
                "line {} {} declared {}/{}: expected {} {} {} {:?}, got {} {} {} {:?}",
                row.line,
                row.file,
                row.disk_format,
                row.container_format,
                row.verdict,
                row.detected,
                row.virtual_size,
                expected_reason,
                verdict_name,
                inspection.format,
                virtual_size,
                reason
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Feeds a file to a stream inspector in chunks of `chunk` bytes.
fn stream(path: &Path, chunk: usize) -> Inspection {
    let mut file = std::fs::File::open(path).expect("open corpus file");
    let mut inspector = StreamInspector::new();
    let mut buf = vec![0; chunk];
    loop {
        let n = file.read(&mut buf).expect("read corpus file");
        if n == 0 {
            break;
        }
        inspector.feed(&buf[..n]);
    }
    inspector.finish()
}

#[test]
fn stream_and_seek_inspection_agree() {
    let corpus = Corpus::build();
    for (file, row) in corpus.files() {
        let path = corpus.path(row);
        let seek = inspect_file(&path).expect("inspect corpus file");
        let small = std::fs::metadata(&path).expect("metadata").len() < (1 << 20) + 4096;
        let chunks: &[usize] = if small {
            &[1, 511, 4096, 65537]
        } else {
            &[4093, 65536, (1 << 20) + 3]
        };
        for &chunk in chunks {
            assert_eq!(
                stream(&path, chunk),
                seek,
                "{file} streamed in chunks of {chunk}"
            );
        }
    }
}

#[test]
fn qemu_img_reports_the_same_format_and_virtual_size() {
    let qemu_img = qemu_img();
    let corpus = Corpus::build();
    let mut checked = 0;
    for (file, row) in corpus.files() {
        if row.qemu != "same" {
            assert!(
                row.qemu.starts_with("skip: "),
                "line {}: qemu column must be same or skip: why",
                row.line
            );
            continue;
        }
        let out = Command::new(&qemu_img)
            .args(["info", "--output=json"])
            .arg(corpus.path(row))
            .output()
            .expect("run qemu-img info");
        assert!(
            out.status.success(),
            "qemu-img info {file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("qemu-img json");
        let inspection = inspect_file(corpus.path(row)).expect("inspect corpus file");
        let ours = (
            inspection.format.qemu_driver().to_string(),
            inspection.virtual_size.unwrap_or(inspection.data_size),
        );
        let theirs = (
            info["format"].as_str().unwrap_or_default().to_string(),
            info["virtual-size"].as_u64().unwrap_or_default(),
        );
        assert_eq!(
            ours, theirs,
            "{file}: (format, virtual size) ours vs qemu-img info"
        );
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} files cross-checked");
}
