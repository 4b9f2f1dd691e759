//! `server list`: osc's columns, which depend on `--long`, `--all-projects` and the cloud's
//! microversion, with image and flavor names looked up unless `--no-name-lookup`.

use std::collections::HashMap;

use anyhow::Result;
use ferrostack::Cloud;
use ferrostack::compute::{Microversion, Server, ServerFlavor, ServerStatus};
use ferrostack::image::ImageId;
use futures::{StreamExt as _, TryStreamExt as _};
use serde_json::Value;

use super::args::ServerList;
use super::fields::{BOOTED_FROM_VOLUME, addresses, metadata, power_state, wire};
use super::lookup_error;
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// `server list`: Nova filters on the server; `--limit` also caps what is shown.
pub async fn list(ctx: &Context, args: ServerList) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let compute = cloud.compute();
    let version = compute.microversion().await?;
    let mut query = compute.servers().list().all_projects(args.all_projects);
    if let Some(name) = &args.name {
        query = query.name_regex(name);
    }
    if let Some(status) = &args.status {
        query = query.status(ServerStatus::from(status.as_str()));
    }
    if let Some(limit) = args.limit {
        query = query.limit(limit);
    }
    if let Some(flavor) = &args.flavor {
        let found = compute
            .flavors()
            .find(flavor)
            .await
            .map_err(|e| lookup_error("flavor", flavor, e))?;
        query = query.flavor(found.id);
    }
    if let Some(image) = &args.image {
        let found = cloud
            .image()
            .images()
            .find(image)
            .await
            .map_err(|e| lookup_error("image", image, e))?;
        query = query.image(found.id);
    }
    let stream = query.stream();
    // osc's --limit is the most servers to show (one page), not only a page size.
    let servers: Vec<Server> = match args.limit {
        Some(n) => stream.take(n as usize).try_collect().await?,
        None => stream.try_collect().await?,
    };

    let images = if args.no_name_lookup {
        HashMap::new()
    } else {
        image_names(cloud, &servers).await
    };
    let embedded = version >= Microversion::EMBEDDED_FLAVOR;
    let flavors = if embedded || args.no_name_lookup {
        HashMap::new()
    } else {
        compute
            .flavors()
            .list()
            .collect_all()
            .await
            .map(|all| {
                all.into_iter()
                    .map(|f| (f.id.to_string(), f.name))
                    .collect()
            })
            // Names are a nicety: osc shows the ids' column empty rather than fail.
            .unwrap_or_default()
    };

    let mut columns = vec!["ID", "Name", "Status"];
    if args.long {
        columns.extend(["Task State", "Power State"]);
    }
    columns.push("Networks");
    if args.long {
        columns.extend(["Image Name", "Image ID"]);
    } else {
        columns.push("Image");
    }
    if embedded {
        columns.push("Flavor");
    } else if args.long {
        columns.extend(["Flavor Name", "Flavor ID"]);
    } else {
        columns.push("Flavor");
    }
    if args.long {
        columns.extend(["Availability Zone", "Host", "Properties"]);
        if version >= Microversion(2, 96) {
            columns.push("Pinned Availability Zone");
        }
    }
    if args.all_projects {
        columns.push("Project ID");
    }
    let host_status = args.long
        && version >= Microversion(2, 16)
        && servers
            .iter()
            .any(|s| s.extra.get("host_status").is_some_and(|v| !v.is_null()));
    if host_status {
        columns.push("Host Status");
    }

    let rows = servers
        .iter()
        .map(|s| {
            let wire = wire(s);
            let get = |key: &str| Cell::json(wire.get(key).cloned().unwrap_or(Value::Null));
            let (image_name, image_id) = match &s.image {
                Some(image) => (
                    images
                        .get(&image.id.to_string())
                        .cloned()
                        .unwrap_or_default(),
                    image.id.to_string(),
                ),
                None => (BOOTED_FROM_VOLUME.to_owned(), BOOTED_FROM_VOLUME.to_owned()),
            };
            let flavor_id = s
                .flavor
                .as_ref()
                .and_then(|f| f.id())
                .map(|id| id.to_string());
            let flavor_name = match &s.flavor {
                Some(ServerFlavor::Embedded(e)) => e.original_name.clone(),
                Some(ServerFlavor::Link { id, .. }) => {
                    flavors.get(&id.to_string()).cloned().unwrap_or_default()
                }
                _ => String::new(),
            };
            let mut row = vec![
                Cell::str(s.id.to_string()),
                Cell::str(&s.name),
                Cell::str(s.status.as_str()),
            ];
            if args.long {
                row.push(Cell::opt(s.task_state.clone()));
                row.push(power_state(wire.get("OS-EXT-STS:power_state")));
            }
            row.push(addresses(wire.get("addresses")));
            if args.long {
                row.push(Cell::str(image_name));
                row.push(Cell::str(image_id));
            } else if args.no_name_lookup {
                row.push(Cell::str(image_id));
            } else {
                row.push(Cell::str(image_name));
            }
            if embedded {
                row.push(Cell::str(flavor_name));
            } else if args.long {
                row.push(Cell::str(flavor_name));
                row.push(Cell::opt(flavor_id));
            } else if args.no_name_lookup {
                row.push(Cell::opt(flavor_id));
            } else {
                row.push(Cell::str(flavor_name));
            }
            if args.long {
                row.push(get("OS-EXT-AZ:availability_zone"));
                let host = wire.get("OS-EXT-SRV-ATTR:hypervisor_hostname").cloned();
                row.push(Cell::Formatted {
                    human: host
                        .as_ref()
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    machine: host.unwrap_or(Value::Null),
                });
                row.push(metadata(s));
                if version >= Microversion(2, 96) {
                    row.push(get("pinned_availability_zone"));
                }
            }
            if args.all_projects {
                row.push(Cell::opt(s.tenant_id.clone()));
            }
            if host_status {
                row.push(get("host_status"));
            }
            row
        })
        .collect();
    print::list(&args.output, &columns, rows)
}

/// The names of the servers' images, by id; an image that cannot be read has no name
/// (osc leaves the column empty rather than fail the listing).
async fn image_names(cloud: &Cloud, servers: &[Server]) -> HashMap<String, String> {
    let mut ids: Vec<ImageId> = servers
        .iter()
        .filter_map(|s| s.image.as_ref().map(|i| i.id.clone()))
        .collect();
    ids.sort_by_key(|id| id.to_string());
    ids.dedup();
    let images = cloud.image().images();
    let mut names = HashMap::new();
    for id in ids {
        if let Ok(image) = images.get(id.clone()).await {
            names.insert(id.to_string(), image.name.unwrap_or_default());
        }
    }
    names
}
