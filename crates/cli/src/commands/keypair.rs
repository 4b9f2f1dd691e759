//! `fstack keypair create|list|delete|show`.

pub(crate) mod args;

use anyhow::{Context as _, Result, bail};
use ferrostack::compute::{Keypair, KeypairType, Microversion};

use self::args::{KeypairCommand, KeypairCreate, KeypairDelete, KeypairList, KeypairShow};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// Runs one `keypair` command.
pub async fn run(ctx: &Context, command: KeypairCommand) -> Result<()> {
    match command {
        KeypairCommand::Create(args) => create(ctx, args).await,
        KeypairCommand::List(args) => list(ctx, args).await,
        KeypairCommand::Delete(args) => delete(ctx, args).await,
        KeypairCommand::Show(args) => show(ctx, args).await,
    }
}

/// A key pair made here, as openstackclient 10 makes one when no public key is given:
/// Ed25519, the private half in OpenSSH's format, the public half as an OpenSSH line.
/// The key wipes itself when dropped.
fn generate() -> Result<ssh_key::PrivateKey> {
    ssh_key::PrivateKey::random(&mut ssh_key::rand_core::OsRng, ssh_key::Algorithm::Ed25519)
        .context("cannot generate an Ed25519 key")
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
    // Generated here and only the public half sent, as openstackclient does: the private
    // key never crosses the network.
    let generated = match public_key {
        Some(_) => None,
        None => Some(generate()?),
    };
    let public_key = match (&generated, public_key) {
        (Some(key), _) => Some(
            key.public_key()
                .to_openssh()
                .context("cannot encode the generated public key")?,
        ),
        (None, imported) => imported,
    };
    let compute = ctx.cloud().await?.compute();
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
    if let Some(generated) = &generated {
        let private = generated
            .to_openssh(ssh_key::LineEnding::LF)
            .context("cannot encode the generated key")?;
        match &args.private_key {
            Some(path) => write_private_key(path, &private)?,
            // As osc: the private key alone, on stdout, since it is shown only this once.
            None => return print::write_stdout(&private),
        }
    }
    print::one(&args.output, keypair_fields(&keypair, false))
}

/// `keypair show`: openstacksdk's attributes but the public key (and the private key
/// Nova never keeps), or `--public-key`: the public key alone, as stored.
async fn show(ctx: &Context, args: KeypairShow) -> Result<()> {
    let compute = ctx.cloud().await?.compute();
    let keypair = match compute.keypairs().get(args.name.as_str()).await {
        Ok(keypair) => keypair,
        Err(err) if *err.kind() == ferrostack::ErrorKind::NotFound => {
            bail!("No Keypair found for {}", args.name)
        }
        Err(err) => return Err(err.into()),
    };
    if args.public_key {
        return print::write_stdout(&keypair.public_key);
    }
    print::one(&args.output, keypair_fields(&keypair, true))
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

/// osc's fields of a keypair: openstacksdk's attributes, sorted, the public key hidden;
/// `show` lists `private_key` too (always none: Nova never keeps it), `create` does not.
fn keypair_fields(k: &Keypair, with_private_key: bool) -> Vec<(&'static str, Cell)> {
    let deleted = k.extra.get("deleted").and_then(serde_json::Value::as_bool);
    let mut fields = vec![
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
        (
            "is_deleted",
            deleted.map_or(Cell::opt(None::<String>), Cell::json),
        ),
        ("name", Cell::str(k.name.to_string())),
        ("type", Cell::opt(k.kind.as_ref().map(|t| t.to_string()))),
        ("user_id", Cell::opt(k.user_id.clone())),
    ];
    if with_private_key {
        fields.insert(5, ("private_key", Cell::opt(None::<String>)));
    }
    fields
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
