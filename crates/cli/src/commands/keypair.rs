//! `fstack keypair create|list|delete`.

pub(crate) mod args;

use anyhow::{Context as _, Result, bail};
use ferrostack::compute::{Keypair, KeypairType, Microversion};

use self::args::{KeypairCommand, KeypairCreate, KeypairDelete, KeypairList};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// Runs one `keypair` command.
pub async fn run(ctx: &Context, command: KeypairCommand) -> Result<()> {
    match command {
        KeypairCommand::Create(args) => create(ctx, args).await,
        KeypairCommand::List(args) => list(ctx, args).await,
        KeypairCommand::Delete(args) => delete(ctx, args).await,
    }
}

async fn create(ctx: &Context, args: KeypairCreate) -> Result<()> {
    let public_key = match &args.public_key {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("Key file {} not found", path.display()))?,
        ),
        None => None,
    };
    let kind = match args.kind.as_deref() {
        None => None,
        Some("ssh") => Some(KeypairType::Ssh),
        Some("x509") => Some(KeypairType::X509),
        Some(other) => bail!("--type {other}: expected ssh or x509"),
    };
    let compute = ctx.cloud().await?.compute();
    let generate = public_key.is_none();
    let mut create = compute
        .keypairs()
        .create(args.name.as_str())
        .kind(kind.unwrap_or(KeypairType::Ssh));
    if let Some(key) = public_key {
        create = create.public_key(key);
    }
    let keypair = create
        .send()
        .await
        .with_context(|| format!("cannot create keypair {}", args.name))?;
    if generate {
        let private = keypair.private_key.as_ref().with_context(|| {
            format!(
                "Nova created keypair {} without a private key to hand back",
                args.name
            )
        })?;
        match &args.private_key {
            Some(path) => write_private_key(path, private.expose())?,
            // As osc: the private key alone, on stdout, since it is shown only this once.
            None => return print::write_stdout(private.expose()),
        }
    }
    print::one(&args.output, keypair_fields(&keypair))
}

/// Writes a private key readable by its owner only (osc leaves it to the umask; a key
/// readable by others is refused by ssh anyway).
fn write_private_key(path: &std::path::Path, key: &str) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(key.as_bytes()).map(|()| f))
        .with_context(|| format!("Key file {} can not be saved", path.display()))?;
    file.flush()
        .with_context(|| format!("Key file {} can not be saved", path.display()))
}

/// osc's fields after a create: openstacksdk's attributes, keys hidden, sorted.
fn keypair_fields(k: &Keypair) -> Vec<(&'static str, Cell)> {
    vec![
        (
            "created_at",
            Cell::opt(
                k.created_at
                    .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S.%6f").to_string()),
            ),
        ),
        ("fingerprint", Cell::str(&k.fingerprint)),
        // openstacksdk's id of a keypair is its name.
        ("id", Cell::str(k.name.to_string())),
        ("is_deleted", Cell::opt(None::<String>)),
        ("name", Cell::str(k.name.to_string())),
        ("type", Cell::opt(k.kind.as_ref().map(|t| t.to_string()))),
        ("user_id", Cell::opt(k.user_id.clone())),
    ]
}

async fn list(ctx: &Context, args: KeypairList) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let keypairs = compute
        .keypairs()
        .list()
        .collect_all()
        .await
        .context("cannot list keypairs")?;
    // The type exists from 2.2 on; osc shows the column only then.
    let typed = compute.microversion().await? >= Microversion::KEYPAIR_TYPE;
    let mut columns = vec!["Name", "Fingerprint"];
    if typed {
        columns.push("Type");
    }
    let rows = keypairs
        .iter()
        .map(|k| {
            let mut row = vec![Cell::str(k.name.to_string()), Cell::str(&k.fingerprint)];
            if typed {
                row.push(Cell::opt(k.kind.as_ref().map(|t| t.to_string())));
            }
            row
        })
        .collect();
    print::list(&args.output, &columns, rows)
}

async fn delete(ctx: &Context, args: KeypairDelete) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let mut failed = 0;
    for name in &args.names {
        if let Err(e) = compute.keypairs().delete(name.as_str()).await {
            eprintln!("Failed to delete key with name '{name}': {e}");
            failed += 1;
        }
    }
    if failed > 0 {
        bail!("{failed} of {} keys failed to delete.", args.names.len());
    }
    Ok(())
}
