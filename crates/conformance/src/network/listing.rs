//! Lists: pages that follow `<collection>_links` `next`, sorting, markers and `fields=`; and
//! the extensions a Neutron offers.

use anyhow::{Context, Result, ensure};
use ferrostack::network::{Network, SortDir};
use serde_json::Value;

use crate::{Case, Fixture, expect, network_case};

pub(crate) fn cases() -> Vec<Case> {
    vec![
        network_case!("network.list.pages_and_sorting", pages_and_sorting),
        network_case!("network.extensions", extensions),
    ]
}

fn names(networks: &[Network]) -> Vec<&str> {
    networks.iter().map(|n| n.name.as_str()).collect()
}

/// Five networks tagged with the case's tag, listed two by two, in both orders, from a
/// marker, and narrowed by `fields=`; the default group's rules one by one.
async fn pages_and_sorting(f: &Fixture) -> Result<()> {
    let networks = f.demo.network().networks();
    let mut made = Vec::new();
    for i in 0..5 {
        let network = networks.create(f.name(&format!("page-{i}"))).send().await?;
        networks.set_tags(network.id.clone(), [f.tag()]).await?;
        made.push(network.name);
    }
    let ours = || networks.list().tags([f.tag()]);

    // The server pages: two, and a `next` link.
    let first = ours().sort("name", SortDir::Asc).limit(2).request();
    let page: Value = f
        .demo
        .session()
        .send_json(first)
        .await
        .context("the first page, as sent")?;
    let on_page = page["networks"].as_array().map_or(0, Vec::len);
    expect::equal("networks on the first page", on_page, 2)?;
    let next = page["networks_links"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|link| link["rel"] == "next");
    ensure!(
        next,
        "the first page has no next link: {}",
        page["networks_links"]
    );

    // The SDK follows every page.
    let paged = ours()
        .sort("name", SortDir::Asc)
        .limit(2)
        .collect_all()
        .await?;
    expect::equal(
        "every page, by name",
        names(&paged),
        made.iter().map(String::as_str).collect(),
    )?;
    let descending = ours()
        .sort("name", SortDir::Desc)
        .limit(2)
        .collect_all()
        .await?;
    let mut reversed: Vec<&str> = made.iter().map(String::as_str).collect();
    reversed.reverse();
    expect::equal(
        "every page, by name descending",
        names(&descending),
        reversed,
    )?;
    let after = ours()
        .sort("name", SortDir::Asc)
        .limit(2)
        .marker(paged[1].id.to_string())
        .collect_all()
        .await?;
    expect::equal(
        "after the second",
        names(&after),
        made[2..].iter().map(String::as_str).collect(),
    )?;
    let narrowed = ours()
        .sort("name", SortDir::Asc)
        .fields(["name"])
        .limit(3)
        .collect_all()
        .await?;
    expect::equal(
        "fields=name, by name",
        names(&narrowed),
        made.iter().map(String::as_str).collect(),
    )?;
    ensure!(
        narrowed
            .iter()
            .all(|n| n.tags.is_empty() && n.status.is_none()),
        "fields=name answered more than the id and the name"
    );

    // Pages of another collection: the default group's four rules, one a page.
    let network = f.demo.network();
    let default = network.security_groups().find("default").await?;
    let rules = network
        .security_group_rules()
        .list()
        .security_group_id(default.id.clone())
        .sort("id", SortDir::Asc)
        .limit(1)
        .collect_all()
        .await?;
    let mut ids: Vec<String> = rules.iter().map(|r| r.id.to_string()).collect();
    expect::equal("the default group's rules, one a page", ids.len(), 4)?;
    let in_order = ids.clone();
    ids.sort();
    expect::equal("sorted by id", in_order, ids)?;
    Ok(())
}

/// The extensions list, and `find_extension` for one there and one not.
async fn extensions(f: &Fixture) -> Result<()> {
    let network = f.demo.network();
    let all = network.extensions().await?;
    let aliases: Vec<&str> = all.iter().map(|e| e.alias.as_str()).collect();
    for wanted in [
        "router",
        "external-net",
        "security-group",
        "standard-attr-tag",
        "extraroute",
    ] {
        ensure!(
            aliases.contains(&wanted),
            "the extensions lack {wanted:?}: {aliases:?}"
        );
    }
    let router = network
        .find_extension("router")
        .await?
        .context("find_extension(router) found nothing")?;
    expect::equal("router's alias", router.alias.as_str(), "router")?;
    expect::equal("router's name", router.name.as_str(), "Neutron L3 Router")?;
    expect::equal(
        "an extension that is not there",
        network.find_extension("no-such-extension").await?,
        None,
    )?;
    Ok(())
}
