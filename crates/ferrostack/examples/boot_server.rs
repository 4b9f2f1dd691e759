//! Boots a server from an image, waits until it is ACTIVE, and prints its console.
//!
//! ```text
//! OS_CLOUD=mycloud cargo run -p ferrostack --example boot_server -- IMAGE FLAVOR [NAME] [--keep]
//! ```
//!
//! `IMAGE` and `FLAVOR` are names or ids. The server is deleted at the end unless `--keep` is
//! given. The cloud comes from `OS_CLOUD` and clouds.yaml, or the `OS_*` variables.

use std::process::ExitCode;
use std::time::Duration;

use ferrostack::Cloud;
use ferrostack::compute::VncConsole;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let keep = args.iter().any(|a| a == "--keep");
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let (image, flavor) = match positional.as_slice() {
        [image, flavor, ..] => (image.as_str(), flavor.as_str()),
        _ => {
            eprintln!("usage: boot_server IMAGE FLAVOR [NAME] [--keep]");
            return ExitCode::from(2);
        }
    };
    let name = positional
        .get(2)
        .map_or("ferrostack-example", |n| n.as_str());
    match run(image, flavor, name, keep).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(image: &str, flavor: &str, name: &str, keep: bool) -> ferrostack::Result<()> {
    let cloud = Cloud::from_env()?;
    let compute = cloud.compute();
    println!("compute microversion {}", compute.microversion().await?);
    let image = cloud.image().images().find(image).await?;
    let flavor = compute.flavors().find(flavor).await?;
    println!(
        "booting {name} from image {} ({}) with flavor {} ({} vCPU, {} MiB, {} GiB)",
        image.name.as_deref().unwrap_or("-"),
        image.id,
        flavor.name,
        flavor.vcpus,
        flavor.ram,
        flavor.disk
    );

    let server = compute
        .servers()
        .create(name, &image.id, flavor.id)
        .metadata("created-by", "ferrostack boot_server example")
        .send()
        .await?
        .wait_active(Duration::from_secs(600))
        .await?;
    println!("{} is {}", server.label(), server.status);
    for (network, address) in server.all_addresses() {
        println!("  {network}: {}", address.addr);
    }

    // The console fills as the guest boots: poll until it says something.
    let mut console = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while console.trim().is_empty() && tokio::time::Instant::now() < deadline {
        console = compute
            .servers()
            .console_output(&server.id, Some(50))
            .await?;
        if console.trim().is_empty() {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }
    println!("--- console (last 50 lines) ---\n{console}\n--- end of console ---");
    match compute
        .servers()
        .remote_console(&server.id, VncConsole::NoVnc)
        .await
    {
        Ok(url) => println!("VNC console: {url}"),
        Err(err) => println!("no VNC console: {err}"),
    }

    if keep {
        println!("keeping {} (--keep)", server.label());
        return Ok(());
    }
    compute.servers().delete(server.id.clone()).await?;
    compute
        .servers()
        .wait_for_delete(&server.id, Duration::from_secs(300))
        .await?;
    println!("deleted {}", server.label());
    Ok(())
}
