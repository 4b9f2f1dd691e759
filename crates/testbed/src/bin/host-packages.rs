//! Checks the host packages the qemu driver and the tiny image need, and installs what is
//! missing (as root).
//!
//! `cargo run -p ferrostack-testbed --bin host-packages [APT_STATE_DIR]`

use std::path::PathBuf;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let apt_dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/ferrostack-cache/apt"));
    let packages = ferrostack_testbed::packages::all_packages();
    match ferrostack_testbed::packages::ensure(&packages, &apt_dir).await {
        Ok(installed) if installed.packages.is_empty() => {
            println!("all present: {}", packages.join(" "));
            std::process::ExitCode::SUCCESS
        }
        Ok(installed) => {
            println!("installed: {}", installed.packages.join(" "));
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{err}");
            std::process::ExitCode::FAILURE
        }
    }
}
