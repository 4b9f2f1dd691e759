//! Upload and download: the SDK (a release-built probe process) against `openstack image
//! create --file` and `openstack image save`, on the same file and the same cloud; MB/s, peak
//! RSS of the client, and the share of the machine's own `sha512sum` speed on that file (the
//! physical bound of a verified transfer here). The same against real Glance, for the record.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::cli::client_command;
use super::measure::{Sample, Tools, measure, medians};
use super::mock::{Endpoints, MockProcess};
use super::report::{Cell, Section, Unit, median};
use super::{Plan, scratch};
use crate::real_cloud::RealCloud;
use xtask::step;

/// One cloud the transfers run against.
pub struct Target<'a> {
    /// clouds.yaml holding `cloud`.
    pub clouds_yaml: &'a Path,
    /// The admin cloud's name in it.
    pub cloud: &'a str,
    /// Its roots, for deleting what a run made.
    pub endpoints: Endpoints,
}

/// Medians of one direction against one cloud.
struct Figures {
    ours: Vec<Sample>,
    peer: Vec<Sample>,
}

/// Measures both sections (upload, download).
/// `real` is the real pair the services section started, or why there is none.
pub fn run(
    tools: &Tools,
    plan: &Plan,
    real: std::result::Result<&RealCloud, &str>,
) -> Result<(Section, Section)> {
    let mib = plan.transfer_bytes >> 20;
    let file = test_file(tools, plan.transfer_bytes)?;
    step(format!(
        "transfer: the bound, sha512sum of the {mib} MiB file ({} runs)",
        plan.transfer_runs.max(3)
    ));
    let sha = sha512sum_seconds(&file, plan.transfer_runs.max(3))?;
    let bound = plan.transfer_bytes as f64 / sha / 1e6;

    let dir = scratch(tools, "transfer")?;
    let mock = MockProcess::start(tools, &dir)?;
    let target = Target {
        clouds_yaml: &mock.clouds_yaml,
        cloud: "mock-admin",
        endpoints: Endpoints {
            auth_url: mock.auth_url(),
            image_url: mock.image_url(),
        },
    };
    step(format!(
        "upload: SDK vs openstack image create --file, {mib} MiB, {} runs each, mock cloud",
        plan.transfer_runs
    ));
    let up = upload(tools, &target, &file, plan.transfer_runs)?;
    step(format!(
        "download: SDK vs openstack image save, {mib} MiB, {} runs each, mock cloud",
        plan.transfer_runs
    ));
    let down = download(tools, &target, &file, &dir, plan.transfer_runs)?;

    let real_figures = match (real, plan.real_transfer) {
        (Ok(real), true) => {
            step("upload and download against real Glance 33, once each, for the record");
            let real_dir = scratch(tools, "transfer-real")?;
            fs::create_dir_all(&real_dir)?;
            let yaml = real_dir.join("clouds.yaml");
            fs::write(&yaml, real.clouds_yaml())?;
            let target = Target {
                clouds_yaml: &yaml,
                cloud: "real-admin",
                endpoints: Endpoints {
                    auth_url: format!("{}/v3", real.keystone_url),
                    image_url: real.glance_url.clone(),
                },
            };
            let up = upload(tools, &target, &file, 1)?;
            let down = download(tools, &target, &file, &real_dir, 1)?;
            Ok((up, down))
        }
        (Err(why), true) => Err(why.to_owned()),
        _ => Err("skipped in --quick".to_owned()),
    };

    let mut sections = Vec::new();
    for (key, title, peer, figures, real) in [
        (
            "upload",
            format!("Upload of {mib} MiB (random data, raw), verified"),
            "openstack image create --file",
            &up,
            real_figures.as_ref().map(|(u, _)| u),
        ),
        (
            "download",
            format!("Download of {mib} MiB (image save), verified"),
            "openstack image save",
            &down,
            real_figures.as_ref().map(|(_, d)| d),
        ),
    ] {
        let mut section = Section::new(key, &title, "ferrostack SDK", peer);
        rows(
            &mut section,
            "mock cloud",
            figures,
            plan.transfer_bytes,
            Some(bound),
        );
        match real {
            Ok(figures) => rows(
                &mut section,
                "real Glance",
                figures,
                plan.transfer_bytes,
                None,
            ),
            Err(why) => section.row(
                "real Glance: MB/s",
                Unit::MegabytesPerSecond,
                Cell::Absent(why.clone()),
                Cell::Absent(why.clone()),
            ),
        }
        section.note(format!(
            "Bound: `sha512sum` of the same (cached) file runs at {bound:.0} MB/s ({sha:.2} s, \
             median). MB/s is the file's size over the whole command's wall time (median of {} \
             runs, interleaved; {} for real Glance); peak RSS is the client process's.",
            plan.transfer_runs,
            if plan.real_transfer {
                "1 run"
            } else {
                "no runs"
            }
        ));
        sections.push(section);
    }
    sections[0].note(
        "Both sides hash: the SDK sha512 of a file as it streams (on a thread of its own), and \
         checks it and the size against what Glance reports (md5 too for a stream, which \
         cannot be read again); the mock computes md5 + sha512 as it receives, beside the \
         file's writes (in memory, as here, it does not fsync). openstackclient hashes \
         nothing: on these 2 cores the SDK's hashing competes with the mock's.",
    );
    sections[1].note(
        "The SDK verifies sha512 (os_hash_value) and fsyncs before renaming into place; \
         openstackclient verifies md5 (checksum).",
    );
    let download = sections.pop().expect("two sections");
    let upload = sections.pop().expect("two sections");
    Ok((upload, download))
}

/// Four rows for one cloud: wall, MB/s, peak RSS, and the share of the bound.
fn rows(section: &mut Section, label: &str, f: &Figures, bytes: u64, bound: Option<f64>) {
    let (ours_wall, ours_rss) = medians(&f.ours);
    let (peer_wall, peer_rss) = medians(&f.peer);
    let mbps = |wall: f64| bytes as f64 / wall / 1e6;
    section.row(
        format!("{label}: wall time"),
        Unit::Seconds,
        ours_wall.into(),
        peer_wall.into(),
    );
    section.row(
        format!("{label}: MB/s"),
        Unit::MegabytesPerSecond,
        mbps(ours_wall).into(),
        mbps(peer_wall).into(),
    );
    section.row(
        format!("{label}: client peak RSS"),
        Unit::Kib,
        ours_rss.into(),
        peer_rss.into(),
    );
    let cpu =
        |samples: &[Sample]| median(&samples.iter().map(|s| s.cpu_seconds).collect::<Vec<_>>());
    section.row(
        format!("{label}: client CPU time"),
        Unit::Seconds,
        cpu(&f.ours).into(),
        cpu(&f.peer).into(),
    );
    if let Some(bound) = bound {
        section.row(
            format!("{label}: share of sha512sum speed"),
            Unit::Share,
            (mbps(ours_wall) / bound).into(),
            (mbps(peer_wall) / bound).into(),
        );
    }
}

/// Uploads `file` `runs` times from each side, deleting each image after its run.
fn upload(tools: &Tools, target: &Target<'_>, file: &Path, runs: usize) -> Result<Figures> {
    let mut ours_cmd = client_command(&tools.devtools, &[], target.clouds_yaml, target.cloud);
    ours_cmd.args([
        "bench",
        "probe",
        "upload",
        "--cloud",
        target.cloud,
        "--file",
    ]);
    ours_cmd.arg(file).args(["--name", "bench-upload-sdk"]);
    let mut peer_cmd = client_command(
        &tools.openstack,
        &[
            "image",
            "create",
            "--disk-format",
            "raw",
            "--container-format",
            "bare",
            "-f",
            "value",
            "-c",
            "id",
            "--file",
        ],
        target.clouds_yaml,
        target.cloud,
    );
    peer_cmd.arg(file).arg("bench-upload-osc");
    let mut figures = Figures {
        ours: Vec::new(),
        peer: Vec::new(),
    };
    for _ in 0..runs {
        let sample = measure(tools, &ours_cmd)?;
        let id = sample.json()?["id"]
            .as_str()
            .context("the upload probe printed no id")?
            .to_owned();
        target.endpoints.delete_image(&id)?;
        figures.ours.push(sample);
        let sample = measure(tools, &peer_cmd)?;
        let id = sample.stdout.trim().to_owned();
        target.endpoints.delete_image(&id)?;
        figures.peer.push(sample);
    }
    Ok(figures)
}

/// Uploads `file` once (SDK), then downloads it `runs` times from each side, checking the
/// size of what arrived, then deletes it.
fn download(
    tools: &Tools,
    target: &Target<'_>,
    file: &Path,
    dir: &Path,
    runs: usize,
) -> Result<Figures> {
    let mut up = client_command(&tools.devtools, &[], target.clouds_yaml, target.cloud);
    up.args([
        "bench",
        "probe",
        "upload",
        "--cloud",
        target.cloud,
        "--file",
    ]);
    up.arg(file).args(["--name", "bench-download"]);
    let id = measure(tools, &up)?.json()?["id"]
        .as_str()
        .context("the upload probe printed no id")?
        .to_owned();
    let size = fs::metadata(file)?.len();
    let ours_to = dir.join("download-sdk.raw");
    let peer_to = dir.join("download-osc.raw");
    let mut ours_cmd = client_command(&tools.devtools, &[], target.clouds_yaml, target.cloud);
    ours_cmd.args([
        "bench",
        "probe",
        "download",
        "--cloud",
        target.cloud,
        "--id",
        &id,
        "--to",
    ]);
    ours_cmd.arg(&ours_to);
    let mut peer_cmd = client_command(
        &tools.openstack,
        &["image", "save", "--file"],
        target.clouds_yaml,
        target.cloud,
    );
    peer_cmd.arg(&peer_to).arg(&id);
    let mut figures = Figures {
        ours: Vec::new(),
        peer: Vec::new(),
    };
    for _ in 0..runs {
        for (cmd, to, samples) in [
            (&ours_cmd, &ours_to, &mut figures.ours),
            (&peer_cmd, &peer_to, &mut figures.peer),
        ] {
            let sample = measure(tools, cmd)?;
            let got = fs::metadata(to).map(|m| m.len()).unwrap_or(0);
            if got != size {
                bail!("{} wrote {got} bytes, expected {size}", to.display());
            }
            fs::remove_file(to)?;
            samples.push(sample);
        }
    }
    target.endpoints.delete_image(&id)?;
    Ok(figures)
}

/// A file of `bytes` random bytes (random so that nothing on the way can compress or skip
/// it), made once and kept under target/bench/work/.
fn test_file(tools: &Tools, bytes: u64) -> Result<PathBuf> {
    let path = scratch(tools, &format!("upload-{}MiB.raw", bytes >> 20))?;
    if fs::metadata(&path).is_ok_and(|m| m.len() == bytes) {
        return Ok(path);
    }
    step(format!(
        "making {} ({} MiB of random data, once)",
        path.display(),
        bytes >> 20
    ));
    let partial = path.with_extension("part");
    let mut random = fs::File::open("/dev/urandom").context("opening /dev/urandom")?;
    let mut out = fs::File::create(&partial)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = bytes;
    while left > 0 {
        let n = buf.len().min(left as usize);
        random.read_exact(&mut buf[..n])?;
        out.write_all(&buf[..n])?;
        left -= n as u64;
    }
    out.sync_all()?;
    fs::rename(&partial, &path)?;
    Ok(path)
}

/// The median wall time of `sha512sum FILE` after one warm-up run (which also makes sure
/// the file is in the page cache for everyone after).
fn sha512sum_seconds(file: &Path, runs: usize) -> Result<f64> {
    let mut samples = Vec::new();
    for i in 0..=runs {
        let started = std::time::Instant::now();
        let out = Command::new("sha512sum")
            .arg(file)
            .output()
            .context("running sha512sum (coreutils)")?;
        if !out.status.success() {
            bail!("sha512sum {} failed: {}", file.display(), out.status);
        }
        if i > 0 {
            samples.push(started.elapsed().as_secs_f64());
        }
    }
    Ok(median(&samples))
}
