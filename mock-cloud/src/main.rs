//! `mock-cloud serve`: Keystone, Glance and Nova in one process, until Ctrl-C or SIGTERM.
//!
//! The first line on stdout is `mock-cloud listening on http://ADDR` (easy to parse), the
//! second `mock-cloud control token: TOKEN` (what `/_mock/*` asks for). With `--clouds-yaml
//! FILE`, that file and the token file beside it (`mock-cloud.token`, readable by its owner
//! only) are written before the first line is printed.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
#[cfg(feature = "qemu")]
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
#[cfg(feature = "qemu")]
use mock_cloud::QemuDriver;
use mock_cloud::{MockCloud, Seed};

/// An OpenStack cloud (Keystone v3, Glance v2, Nova v2.1) in one process, for offline tests.
#[derive(Parser)]
#[command(name = "mock-cloud", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve until Ctrl-C or SIGTERM.
    Serve(Serve),
}

#[derive(clap::Args)]
struct Serve {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:5000", conflicts_with = "port")]
    listen: SocketAddr,
    /// Listen on 127.0.0.1:PORT.
    #[arg(long)]
    port: Option<u16>,
    /// Allow a --listen address other than loopback. The cloud's users have well-known
    /// passwords: only for a network you trust.
    #[arg(long)]
    allow_remote: bool,
    /// Keep the whole cloud here, across restarts and crashes (in memory without it): its
    /// database (users, tokens, images, servers, ...) and image bytes. One cloud at a time.
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// A seed document (YAML, or JSON when it ends in .json): regions, projects, users,
    /// application credentials, flavors, images.
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Seed images sent to `POST /_mock/seed` may read files in DIR (repeatable; none by
    /// default). The --seed file may name any file.
    #[arg(long, value_name = "DIR")]
    seed_folder: Vec<PathBuf>,
    /// Write a clouds.yaml with clouds `mock-admin` and `mock-demo` here, and the control
    /// token beside it (`mock-cloud.token`).
    #[arg(long, value_name = "FILE")]
    clouds_yaml: Option<PathBuf>,
    /// Token lifetime in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    token_ttl: u64,
    /// Seconds a client may be silent while it sends a request (headers, or a body being
    /// read), or leave its connection with nothing moving (an idle HTTP/2 connection, a
    /// response it does not read), before the cloud gives up on it.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    idle_timeout: u64,
    /// PBKDF2-SHA512 rounds of the salted hashes Keystone keeps of passwords and
    /// application-credential secrets (the only form they are kept in). Low by default so
    /// that tests stay quick; raise it for a cloud others can reach.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    secret_hash_rounds: u32,
    /// Polls (or ticks) a fake-driver transition takes.
    #[arg(long, value_name = "N", default_value_t = 1)]
    fake_driver_polls: u32,
    /// What runs servers: `fake` (state changes on polls, nothing boots) or `qemu` (each
    /// server really boots its image under qemu-system-x86_64).
    #[arg(long, value_enum, default_value_t = DriverKind::Fake)]
    compute_driver: DriverKind,
    /// The qemu driver keeps each server's disk overlay and serial logs here (default:
    /// STATE_DIR/instances with --state-dir, else a temporary folder removed on exit).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
}

/// The compute drivers `serve` can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum DriverKind {
    /// State changes on polls or ticks; nothing boots.
    Fake,
    /// Servers really boot under qemu.
    Qemu,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(serve) => run(serve).await,
    }
}

async fn run(args: Serve) -> anyhow::Result<()> {
    let listen = match args.port {
        Some(port) => SocketAddr::from(([127, 0, 0, 1], port)),
        None => args.listen,
    };
    if !listen.ip().is_loopback() && !args.allow_remote {
        anyhow::bail!(
            "--listen {listen} is not a loopback address: this cloud's users have well-known \
             passwords (admin/admin); pass --allow-remote to listen there anyway"
        );
    }
    let mut builder = MockCloud::builder()
        .listen(listen)
        .token_ttl(Duration::from_secs(args.token_ttl))
        .idle_timeout(Duration::from_secs(args.idle_timeout))
        .secret_hash_rounds(args.secret_hash_rounds)
        .fake_driver_polls(args.fake_driver_polls);
    if let Some(dir) = &args.state_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the state directory {}", dir.display()))?;
        builder = builder.state_dir(dir);
    }
    if let Some(path) = &args.seed {
        builder = builder.seed(Seed::from_file(path)?);
    }
    for dir in &args.seed_folder {
        builder = builder.seed_folder(dir);
    }
    // A temporary work folder is ours to remove at exit; a given one is left in place.
    #[cfg_attr(not(feature = "qemu"), allow(unused_mut))]
    let mut temporary_work_dir: Option<PathBuf> = None;
    if args.compute_driver == DriverKind::Qemu {
        #[cfg(feature = "qemu")]
        {
            let work_dir = match (&args.work_dir, &args.state_dir) {
                (Some(dir), _) => dir.clone(),
                (None, Some(state)) => state.join("instances"),
                (None, None) => {
                    let dir = std::env::temp_dir()
                        .join(format!("mock-cloud-instances-{}", std::process::id()));
                    temporary_work_dir = Some(dir.clone());
                    dir
                }
            };
            let driver = QemuDriver::new(&work_dir).context("cannot use --compute-driver qemu")?;
            eprintln!(
                "mock-cloud: qemu driver, work folder {}",
                driver.work_dir().display()
            );
            builder = builder.compute_driver(Arc::new(driver));
        }
        #[cfg(not(feature = "qemu"))]
        anyhow::bail!(
            "--compute-driver qemu: this mock-cloud was built without the `qemu` feature"
        );
    } else if args.work_dir.is_some() {
        anyhow::bail!("--work-dir is for --compute-driver qemu");
    }
    let cloud = builder
        .start()
        .await
        .with_context(|| format!("cannot start the cloud on {listen}"))?;
    if let Some(path) = &args.clouds_yaml {
        std::fs::write(path, cloud.clouds_yaml())
            .with_context(|| format!("cannot write {}", path.display()))?;
        let token_file = path.with_file_name(TOKEN_FILE);
        write_private(&token_file, cloud.control_token())
            .with_context(|| format!("cannot write {}", token_file.display()))?;
        eprintln!(
            "mock-cloud: wrote {} and {}",
            path.display(),
            token_file.display()
        );
    }
    if !listen.ip().is_loopback() {
        eprintln!("mock-cloud: listening on {listen}, beyond this machine (--allow-remote)");
    }
    eprintln!(
        "mock-cloud: Nova's metadata service on {} (loopback; requests signed as Neutron's \
         metadata proxy signs them)",
        cloud.metadata_url()
    );
    // The handlers exist before the address is printed: a SIGTERM sent as soon as the line
    // is read must stop the cloud cleanly, not kill it.
    let stop = shutdown_signal()?;
    // One write for both lines; a reader that closed stdout after the first line is no
    // reason to stop serving.
    let _ = write!(
        std::io::stdout().lock(),
        "mock-cloud listening on {}\nmock-cloud control token: {}\n",
        cloud.base_url(),
        cloud.control_token()
    );
    stop.await?;
    eprintln!("mock-cloud: stopping");
    cloud.stop().await;
    if let Some(dir) = temporary_work_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(())
}

/// The control token's file, beside the clouds.yaml.
const TOKEN_FILE: &str = "mock-cloud.token";

/// Writes `text` to a file only its owner may read (a new file, or one truncated).
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    // An existing file keeps its mode: make it private too.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(text.as_bytes())
}

/// Ctrl-C, or SIGTERM on Unix: the handlers are installed now, the future ends on the signal.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = anyhow::Result<()>>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = term.recv() => {}
            }
            Ok(())
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        tokio::signal::ctrl_c()
            .await
            .context("cannot listen for Ctrl-C")
    })
}
