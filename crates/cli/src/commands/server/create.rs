//! `server create`: the flags as one request to Nova, and the server as `server show` prints it.

use anyhow::{Context as _, Result, bail};
use ferrostack::Cloud;
use ferrostack::compute::{NetworkAttachment, Networks, ServerStatus};
use ferrostack::request::ServiceType;

use super::args::ServerCreate;
use super::fields::{CreateExtras, server_fields};
use super::{lookup_error, wait_policy};
use crate::commands::floating_ip::{find_network, find_port};
use crate::commands::neutron::http_error_at;
use crate::commands::security_group;
use crate::context::Context;
use crate::{print, progress};

/// `server create`: boots the server, waits for it with `--wait`, and shows it.
pub async fn create(ctx: &Context, args: ServerCreate) -> Result<()> {
    let networks = networks(&args)?;
    let user_data = match &args.user_data {
        Some(path) => {
            Some(std::fs::read(path).with_context(|| format!("Can't open '{}'", path.display()))?)
        }
        None => None,
    };
    let cloud = ctx.cloud().await?;
    let compute = cloud.compute();
    let image = cloud
        .image()
        .images()
        .find(&args.image)
        .await
        .map_err(|e| lookup_error("image", &args.image, e))?;
    let flavor = compute
        .flavors()
        .find(&args.flavor)
        .await
        .map_err(|e| lookup_error("flavor", &args.flavor, e))?;
    let networks = resolve(cloud, networks).await?;
    let mut request = compute
        .servers()
        .create(&args.name, image.id.clone(), flavor.id.clone())
        .networks(networks);
    // As osc: each group found on Neutron first, and sent by id.
    for group in &args.security_group {
        request = request.security_group(security_group::find(cloud, group).await?.id);
    }
    if let Some(key) = &args.key_name {
        request = request.key_name(key.as_str());
    }
    if let Some(data) = user_data {
        request = request.user_data(data);
    }
    for p in &args.property {
        request = request.metadata(&p.key, &p.value);
    }
    if let Some(zone) = &args.availability_zone {
        request = request.availability_zone(zone);
    }
    if args.use_config_drive {
        request = request.config_drive(true);
    }
    let pending = match request.send().await {
        Ok(pending) => pending,
        Err(e) => return Err(http_error_at(cloud, &ServiceType::Compute, "/servers", e).await),
    };
    let server = if args.wait {
        let spinner =
            progress::spinner(ctx, &format!("Waiting for {} to become ACTIVE", args.name));
        let result = compute
            .servers()
            .wait_for_status(pending.id(), ServerStatus::Active, wait_policy())
            .await;
        spinner.finish();
        result.with_context(|| format!("Error creating server: {}", args.name))?
    } else {
        pending.show().await?
    };
    let created = pending.created();
    let extra = CreateExtras {
        admin_pass: created.admin_pass.clone(),
        security_groups: created.extra.get("security_groups").cloned(),
    };
    let fields = server_fields(cloud, &compute, &server, Some(extra)).await?;
    print::one(&args.output, fields)
}

/// `--nic` (and `--no-network`, `--auto-network`) as the SDK's networks.
fn networks(args: &ServerCreate) -> Result<Networks> {
    if args.no_network {
        return Ok(Networks::None);
    }
    let nothing = args.nic.is_empty() && args.network.is_empty() && args.port.is_empty();
    if args.auto_network || nothing {
        return Ok(Networks::Auto);
    }
    if args.nic.len() == 1 && args.network.is_empty() && args.port.is_empty() {
        match args.nic[0].as_str() {
            "none" => return Ok(Networks::None),
            "auto" => return Ok(Networks::Auto),
            _ => {}
        }
    }
    let mut list = Vec::new();
    for nic in &args.nic {
        if nic == "none" || nic == "auto" {
            bail!(
                "Specifying a --nic of auto or none cannot be used with any other --nic, \
                 --network or --port value."
            );
        }
        let mut net = None;
        let mut port = None;
        let mut ip = None;
        for part in nic.split(',') {
            let (key, value) = part.split_once('=').with_context(|| {
                format!(
                    "--nic {nic}: expected net-id=, port-id=, v4-fixed-ip= or v6-fixed-ip= entries"
                )
            })?;
            match key {
                "net-id" => net = Some(value.to_owned()),
                "port-id" => port = Some(value.to_owned()),
                "v4-fixed-ip" | "v6-fixed-ip" => {
                    ip = Some(value.parse().with_context(|| {
                        format!("--nic {nic}: {key} {value:?} is not an IP address")
                    })?)
                }
                other => bail!(
                    "--nic {nic}: unknown key {other:?} (expected net-id, port-id, v4-fixed-ip or v6-fixed-ip)"
                ),
            }
        }
        list.push(match (net, port) {
            (Some(_), Some(_)) => bail!("--nic {nic}: either net-id or port-id, not both"),
            (Some(id), None) => NetworkAttachment::Network { id, fixed_ip: ip },
            (None, Some(id)) => NetworkAttachment::Port(id),
            (None, None) => bail!("--nic {nic}: net-id or port-id is required"),
        });
    }
    // osc keeps the order of the command line across the three flags; clap gives each
    // its own list, so --network and --port come after the --nic entries.
    list.extend(args.network.iter().map(NetworkAttachment::network));
    list.extend(args.port.iter().map(NetworkAttachment::port));
    Ok(Networks::List(list))
}

/// The networks and ports named on the command line, found on Neutron by name or id (as
/// osc's `find_network` and `find_port`), as ids.
async fn resolve(cloud: &Cloud, networks: Networks) -> Result<Networks> {
    let Networks::List(list) = networks else {
        return Ok(networks);
    };
    let mut found = Vec::with_capacity(list.len());
    for nic in list {
        found.push(match nic {
            NetworkAttachment::Network { id, fixed_ip } => NetworkAttachment::Network {
                id: find_network(cloud, &id).await?.id.to_string(),
                fixed_ip,
            },
            NetworkAttachment::Port(id) => {
                NetworkAttachment::Port(find_port(cloud, &id).await?.id.to_string())
            }
            other => other,
        });
    }
    Ok(Networks::List(found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::server::args::ServerCommand;

    fn create_args(line: &str) -> ServerCreate {
        use clap::Parser as _;
        let cli = crate::args::Cli::try_parse_from(
            [
                "fstack", "server", "create", "--image", "i", "--flavor", "f", "vm",
            ]
            .into_iter()
            .chain(line.split_whitespace()),
        )
        .unwrap();
        match cli.command {
            crate::args::Command::Server {
                command: ServerCommand::Create(args),
            } => *args,
            _ => unreachable!(),
        }
    }

    #[test]
    fn nics_become_networks() {
        assert_eq!(networks(&create_args("")).unwrap(), Networks::Auto);
        assert_eq!(
            networks(&create_args("--nic none")).unwrap(),
            Networks::None
        );
        assert_eq!(
            networks(&create_args("--no-network")).unwrap(),
            Networks::None
        );
        assert_eq!(
            networks(&create_args(
                "--nic net-id=n1,v4-fixed-ip=10.0.0.5 --nic port-id=p1"
            ))
            .unwrap(),
            Networks::List(vec![
                NetworkAttachment::fixed_ip("n1", "10.0.0.5".parse().unwrap()),
                NetworkAttachment::port("p1"),
            ])
        );
        for (bad, said) in [
            ("--nic none --nic auto", "cannot be used with any other"),
            ("--nic net-id=n,port-id=p", "not both"),
            ("--nic v4-fixed-ip=1.2.3.4", "net-id or port-id is required"),
            ("--nic net-id=n,v4-fixed-ip=nope", "is not an IP address"),
            ("--nic foo=bar", "unknown key \"foo\""),
            ("--nic garbage", "expected net-id="),
        ] {
            let err = networks(&create_args(bad)).unwrap_err().to_string();
            assert!(err.contains(said), "{bad}: {err}");
        }
    }
}
