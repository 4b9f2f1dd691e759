//! Policy between two projects: the member of demo cannot see, change or use the admin's
//! private network (404, as if it were not there), sees shared and external networks but
//! cannot change them (403), and may put a port on a shared one; the admin sees both
//! projects'.

use anyhow::{Result, ensure};
use ferrostack::ErrorKind;

use super::{project_id, public};
use crate::{Case, Fixture, expect, network_case};

pub(crate) fn cases() -> Vec<Case> {
    vec![network_case!("network.policy.projects", projects)]
}

async fn projects(f: &Fixture) -> Result<()> {
    let admin = f.admin.network();
    let demo = f.demo.network();
    let demo_project = project_id(&f.demo).await?;
    let private = admin
        .networks()
        .create(f.name("admin-private"))
        .send()
        .await?;
    let shared = admin
        .networks()
        .create(f.name("admin-shared"))
        .shared(true)
        .send()
        .await?;
    ensure!(shared.shared, "the shared network is not shared");
    admin
        .subnets()
        .create(shared.id.clone(), "10.70.0.0/24")
        .name(f.name("admin-shared-subnet"))
        .send()
        .await?;

    // The admin's private network is not there for the member.
    let hidden = demo.networks().get(private.id.clone()).await;
    expect::neutron_error(
        "the member showing the admin's private network",
        hidden,
        ErrorKind::NotFound,
        Some(404),
        "NetworkNotFound",
    )?;
    let listed = demo.networks().list().collect_all().await?;
    let names: Vec<&str> = listed.iter().map(|n| n.name.as_str()).collect();
    ensure!(
        !names.contains(&private.name.as_str()),
        "the member lists the admin's private network: {names:?}"
    );
    ensure!(
        names.contains(&shared.name.as_str()) && names.contains(&"public"),
        "the member does not list the shared and the external network: {names:?}"
    );
    let changed = demo
        .networks()
        .update(private.id.clone())
        .description("taken")
        .send()
        .await;
    expect::error(
        "the member changing the admin's private network",
        changed,
        ErrorKind::NotFound,
        Some(404),
    )?;
    let deleted = demo.networks().delete(private.id.clone()).await;
    expect::error(
        "the member deleting the admin's private network",
        deleted,
        ErrorKind::NotFound,
        Some(404),
    )?;
    let port = demo
        .ports()
        .create(private.id.clone())
        .name(f.name("demo-on-private"))
        .send()
        .await;
    expect::error(
        "the member's port on the admin's private network",
        port,
        ErrorKind::NotFound,
        Some(404),
    )?;

    // Shared and external: seen, not changed.
    let seen = demo.networks().get(shared.id.clone()).await?;
    ensure!(
        seen.shared,
        "the member sees the shared network as not shared"
    );
    let changed = demo
        .networks()
        .update(shared.id.clone())
        .description("taken")
        .send()
        .await;
    expect::error(
        "the member changing the admin's shared network",
        changed,
        ErrorKind::Forbidden,
        Some(403),
    )?;
    let public = public(&demo).await?;
    let deleted = demo.networks().delete(public.id.clone()).await;
    expect::error(
        "the member deleting the external network",
        deleted,
        ErrorKind::Forbidden,
        Some(403),
    )?;
    let external = demo.networks().list().external(true).collect_all().await?;
    ensure!(
        external.iter().any(|n| n.id == public.id),
        "the member's external networks lack public"
    );

    // A port of the member's own on the shared network.
    let port = demo
        .ports()
        .create(shared.id.clone())
        .name(f.name("demo-on-shared"))
        .send()
        .await?;
    expect::equal(
        "the port's project",
        port.project_id.as_deref(),
        Some(demo_project.as_str()),
    )?;
    ensure!(
        port.ip_addresses()
            .all(|a| a.to_string().starts_with("10.70.0.")),
        "the port's addresses are not on the shared subnet: {:?}",
        port.fixed_ips
    );

    // The admin sees both projects' `private`.
    let privates = admin
        .networks()
        .list()
        .name("private")
        .collect_all()
        .await?;
    let mut owners: Vec<String> = privates
        .iter()
        .filter_map(|n| n.project_id.clone())
        .collect();
    owners.sort();
    owners.dedup();
    ensure!(
        owners.len() >= 2 && owners.contains(&demo_project),
        "the admin does not see every project's private network: owners {owners:?}"
    );
    Ok(())
}
