//! `server ssh`: the address picked as osc 10 picks it, then the system `ssh` in place of
//! this process, with osc's arguments in osc's order.

use std::os::unix::process::CommandExt as _;

use anyhow::{Result, bail};
use serde_json::Value;

use super::args::ServerSsh;
use super::fields::wire;
use crate::commands::neutron::lookup_error;
use crate::context::Context;

/// Runs `server ssh`; on success it does not return (ssh takes the process over).
pub async fn ssh(ctx: &Context, args: ServerSsh) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let server = cloud
        .compute()
        .servers()
        .find(&args.server)
        .await
        .map_err(|e| lookup_error("Server", &args.server, e))?;
    let deprecated = args.port.is_some()
        || args.identity.is_some()
        || args.option.is_some()
        || args.login.is_some()
        || args.verbose;
    if deprecated {
        eprintln!(
            "The ssh options have been deprecated. The ssh equivalent options can be used \
             instead as arguments after \"--\" on the command line."
        );
    }
    let families: &[u64] = match (args.ipv4, args.ipv6) {
        (true, _) => &[4],
        (_, true) => &[6],
        _ => &[4, 6],
    };
    let kind = match (&args.address_type, args.private) {
        (Some(kind), _) => kind.clone(),
        (None, true) => "private".to_owned(),
        (None, false) => "public".to_owned(),
    };
    let addresses = wire(&server).remove("addresses").unwrap_or(Value::Null);
    let ip = pick_address(&addresses, &kind, families)?;

    let mut ssh_args = args.ssh_args.clone();
    if let Some(port) = args.port {
        ssh_args.extend(["-p".to_owned(), port.to_string()]);
    }
    if let Some(identity) = &args.identity {
        ssh_args.extend(["-i".to_owned(), identity.clone()]);
    }
    if let Some(option) = &args.option {
        ssh_args.extend(["-o".to_owned(), option.clone()]);
    }
    if let Some(login) = &args.login {
        ssh_args.extend(["-l".to_owned(), login.clone()]);
    } else if !ssh_args.iter().any(|a| a == "-l") {
        // As osc: the cloud's own user name.
        let token = cloud.session().token().await?;
        let user = token.and_then(|t| t.user.name.clone());
        if let Some(user) = user {
            ssh_args.extend(["-l".to_owned(), user]);
        }
    }
    // osc's own `-v` (its verbosity) takes the flag before the command sees it, so ssh
    // never gets it there either: `-- -v` is the way.
    ctx.save_token().await;
    let error = std::process::Command::new("ssh")
        .arg(&ip)
        .args(&ssh_args)
        .exec();
    bail!("cannot run ssh: {error}")
}

/// osc's `_get_ip_address`: a network named `kind` first (its first address of a wanted
/// family), then any address of the type `kind` names (`public` is floating, `private`
/// fixed).
fn pick_address(addresses: &Value, kind: &str, families: &[u64]) -> Result<String> {
    let version_ok = |a: &Value| {
        a.get("version")
            .and_then(Value::as_u64)
            .is_some_and(|v| families.contains(&v))
    };
    let addr = |a: &Value| a.get("addr").and_then(Value::as_str).map(str::to_owned);
    if let Some(list) = addresses.get(kind).and_then(Value::as_array)
        && let Some(found) = list.iter().find(|a| version_ok(a)).and_then(addr)
    {
        return Ok(found);
    }
    let wanted = match kind {
        "public" => "floating",
        "private" => "fixed",
        other => other,
    };
    for list in addresses.as_object().into_iter().flat_map(|m| m.values()) {
        for a in list.as_array().into_iter().flatten() {
            if a.get("OS-EXT-IPS:type").and_then(Value::as_str) == Some(wanted)
                && version_ok(a)
                && let Some(found) = addr(a)
            {
                return Ok(found);
            }
        }
    }
    let families: Vec<String> = families.iter().map(u64::to_string).collect();
    bail!(
        "ERROR: No {kind} IP version [{}] address found",
        families.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn addresses_are_picked_as_osc_picks_them() {
        let addresses = json!({"private": [
            {"addr": "10.0.0.5", "version": 4, "OS-EXT-IPS:type": "fixed"},
            {"addr": "127.42.0.7", "version": 4, "OS-EXT-IPS:type": "floating"},
        ]});
        assert_eq!(
            pick_address(&addresses, "public", &[4, 6]).unwrap(),
            "127.42.0.7"
        );
        assert_eq!(pick_address(&addresses, "fixed", &[4]).unwrap(), "10.0.0.5");
        // A network's name wins over the type.
        assert_eq!(
            pick_address(&addresses, "private", &[4]).unwrap(),
            "10.0.0.5"
        );
        let err = pick_address(&addresses, "floating", &[6]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ERROR: No floating IP version [6] address found"
        );
    }
}
