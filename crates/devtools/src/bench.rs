//! `cargo xtask bench [--quick] [--only KEYS]`: every speed claim of ferrostack measured in one run, side by
//! side with the tool people use today (python-openstackclient, openstacksdk, real Keystone +
//! Glance), as medians of several runs and ratios, because these machines are noisy.
//!
//! Everything measured is built in release mode, in one `cargo build --release` made by
//! `cargo xtask bench` before it starts this (release) binary. The Rust side of each comparison
//! runs as its own process (this binary's hidden `bench probe ...` subcommands), so that its
//! wall time and peak RSS are its own, taken the same way as the peer's: by a small wrapper
//! (`bench probe measure`) that spawns the command and reads `getrusage(RUSAGE_CHILDREN)`.
//!
//! The output is one markdown table per section, printed and written to
//! `target/bench/report[-quick].md`, and all figures as JSON in
//! `target/bench/report[-quick].json`. This is a report: nothing here fails on speed.
//! `--only KEY,KEY` (cli, upload, download, listing, throughput, growth, services, smoke,
//! debian)
//! runs just those sections, into `report[-quick]-only.*`.

mod cli;
mod debian;
mod listing;
mod load;
mod measure;
mod mock;
mod probe;
mod report;
mod services;
mod smoke;
mod throughput;
mod transfer;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use self::measure::Tools;
use self::report::Section;
use xtask::{prerequisites, step, workspace_root};

/// How much work a run does: the full bench, or `--quick` (under two minutes once built).
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Runs per CLI command and side (the median is reported).
    pub cli_runs: usize,
    /// Bytes of the file uploaded and downloaded.
    pub transfer_bytes: u64,
    /// Runs per transfer and side.
    pub transfer_runs: usize,
    /// Images in the listing section.
    pub list_images: usize,
    /// Runs per listing and side.
    pub list_runs: usize,
    /// Cold starts of the mock cloud (the real pair starts once).
    pub cold_starts: usize,
    /// Seconds of each load cell (service x request x concurrency).
    pub load_seconds: f64,
    /// Whether the real-Glance upload and download rows run.
    pub real_transfer: bool,
    /// Image counts at which creates and lists are timed as the store fills.
    pub growth_levels: &'static [usize],
    /// Creates timed at each of those levels.
    pub growth_window: usize,
    /// Whether the Debian image is also built cold (mmdebstrap from nothing, minutes).
    pub debian_cold: bool,
}

impl Plan {
    fn full() -> Self {
        Self {
            cli_runs: 7,
            transfer_bytes: 1 << 30,
            transfer_runs: 3,
            list_images: 10_000,
            list_runs: 3,
            cold_starts: 5,
            load_seconds: 5.0,
            real_transfer: true,
            growth_levels: &[0, 1_000, 10_000],
            growth_window: 400,
            debian_cold: true,
        }
    }

    fn quick() -> Self {
        Self {
            cli_runs: 2,
            transfer_bytes: 64 << 20,
            transfer_runs: 1,
            list_images: 1_000,
            list_runs: 1,
            cold_starts: 2,
            load_seconds: 1.0,
            real_transfer: false,
            growth_levels: &[0, 1_000],
            growth_window: 100,
            debian_cold: false,
        }
    }
}

/// The `bench` task: `bench [--quick]`, or the hidden `bench probe ...` used by the bench
/// itself from the release build.
pub fn run(args: &[String]) -> Result<()> {
    if args.first().map(String::as_str) == Some("probe") {
        return probe::run(&args[1..]);
    }
    let mut quick = false;
    // `--only throughput,growth`: just those sections (for measuring one change).
    let mut only: Option<Vec<String>> = None;
    // How long `cargo xtask bench`'s release build took, for the report.
    let mut built = 0.0;
    // Whether that build ran in the background beside other work (`cargo xtask test`).
    let mut in_background = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--only" => {
                let keys = args.next().context("bench: --only needs section keys")?;
                only = Some(keys.split(',').map(str::to_owned).collect());
            }
            "--built-in-background" => in_background = true,
            "--build-seconds" => {
                let value = args
                    .next()
                    .context("bench: --build-seconds needs a value")?;
                built = value
                    .parse()
                    .with_context(|| format!("bench: --build-seconds {value}"))?;
            }
            other => bail!("bench: unknown argument `{other}` (expected --quick or --only KEYS)"),
        }
    }
    let plan = if quick { Plan::quick() } else { Plan::full() };
    let out_dir = workspace_root().join("target").join("bench");
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;

    let tools = tools()?;
    let measuring = Instant::now();
    let mut sections: Vec<Section> = Vec::new();
    let mut record = |section: Section| {
        println!("\n{}", section.markdown());
        sections.push(section);
    };
    let wanted = |key: &str| {
        only.as_ref()
            .is_none_or(|keys| keys.iter().any(|k| k == key))
    };
    if wanted("cli") {
        record(cli::run(&tools, &plan).context("bench section `cli`")?);
    }
    if wanted("listing") {
        record(listing::run(&tools, &plan).context("bench section `listing`")?);
    }
    if wanted("throughput") {
        record(throughput::concurrent(&tools, &plan).context("bench section `throughput`")?);
    }
    if wanted("growth") {
        record(throughput::growth(&tools, &plan).context("bench section `growth`")?);
    }
    // The real services start once, here, and serve the transfers' real-Glance rows too.
    let mut real = None;
    let mut no_real = "not run: `--only` left out the `services` section that starts it";
    if wanted("services") {
        let (services, started) =
            services::run(&tools, &plan).context("bench section `services`")?;
        record(services);
        real = started;
        no_real = "real Glance did not start";
    }
    if wanted("upload") || wanted("download") {
        let (upload, download) = transfer::run(&tools, &plan, real.as_ref().ok_or(no_real))
            .context("bench section `transfer`")?;
        record(upload);
        record(download);
    }
    drop(real);
    if wanted("smoke") {
        record(smoke::run(&out_dir).context("bench section `smoke`")?);
    }
    if wanted("debian") {
        record(debian::run_or_note(&tools, &plan, &out_dir));
    }
    // The report reads in the order of the promise: CLI, data, listing, the mock under load
    // and as it fills, services, smoke.
    let order = [
        "cli",
        "upload",
        "download",
        "listing",
        "throughput",
        "growth",
        "services",
        "smoke",
        "debian",
    ];
    sections.sort_by_key(|s| order.iter().position(|k| *k == s.key));

    let measured = measuring.elapsed().as_secs_f64();
    // A partial run never overwrites the whole report.
    let suffix = match (quick, only.is_some()) {
        (false, false) => "",
        (true, false) => "-quick",
        (false, true) => "-only",
        (true, true) => "-quick-only",
    };
    let command = format!(
        "cargo xtask bench{}{}",
        if quick { " --quick" } else { "" },
        only.as_ref()
            .map(|keys| format!(" --only {}", keys.join(",")))
            .unwrap_or_default()
    );
    let builds = if in_background {
        format!("The release build ran {built:.0} s in the background, beside other work")
    } else {
        format!("Builds took {built:.0} s")
    };
    let header = format!(
        "Measured with `{command}` on {} ({} cores); ratio = ours / peer; medians of the runs \
         noted; release builds. {builds}, measuring {measured:.0} s.",
        host_name(),
        std::thread::available_parallelism().map_or(0, usize::from),
    );
    let markdown = report::document(&header, &sections);
    let md_path = out_dir.join(format!("report{suffix}.md"));
    std::fs::write(&md_path, &markdown)?;
    let json = serde_json::json!({
        "command": command,
        "quick": quick,
        "build_seconds": built,
        "built_in_background": in_background,
        "measure_seconds": measured,
        "sections": sections.iter().map(Section::json).collect::<Vec<_>>(),
    });
    let json_path = out_dir.join(format!("report{suffix}.json"));
    std::fs::write(&json_path, serde_json::to_string_pretty(&json)?)?;
    let took = if in_background {
        format!(
            "bench done in {:.0} s (measuring {measured:.0} s; the release build ran {built:.0} s \
             in the background)",
            measuring.elapsed().as_secs_f64()
        )
    } else {
        format!(
            "bench done in {:.0} s (builds {built:.0} s, measuring {measured:.0} s)",
            built + measuring.elapsed().as_secs_f64()
        )
    };
    step(format!(
        "{took}: {} and {}",
        md_path.display(),
        json_path.display()
    ));
    Ok(())
}

/// Finds what is measured (beside this binary: `cargo xtask bench` built them all in one
/// release build) and the peers.
fn tools() -> Result<Tools> {
    let devtools = std::env::current_exe().context("where is this binary")?;
    let release = devtools
        .parent()
        .context("this binary is in no folder")?
        .to_owned();
    let beside = |name: &str| -> Result<PathBuf> {
        let path = release.join(name);
        if !path.is_file() {
            bail!(
                "{} is missing: run the bench as `cargo xtask bench`, which builds it in release \
                 mode with this binary",
                path.display()
            );
        }
        Ok(path)
    };
    let mock_cloud = beside("mock-cloud")?;
    let fstack = beside("fstack")?;
    let clients = prerequisites::client_venv()?;
    Ok(Tools {
        devtools,
        mock_cloud,
        fstack: Ok(fstack),
        openstack: clients.bin().join("openstack"),
        python: clients.bin().join("python"),
        work: workspace_root().join("target").join("bench").join("work"),
    })
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "an unknown CPU".to_owned())
}

/// Where the bench keeps its scratch files (clouds.yaml, downloads, the upload file).
fn scratch(tools: &Tools, name: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(&tools.work)?;
    Ok(tools.work.join(name))
}
