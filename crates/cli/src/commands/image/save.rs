//! `image save`: an image's data to a file or stdout, verified against the hash Glance
//! reports (the SDK checks it; a file is only put in place once it matches).

use anyhow::{Context as _, Result, bail};

use super::args::ImageSave;
use super::data::CountingWriter;
use crate::context::Context;
use crate::progress;

/// `image save IMAGE [--file PATH]`.
pub async fn save(ctx: &Context, args: ImageSave) -> Result<()> {
    let images = ctx.cloud().await?.image().images();
    let image = images.find(&args.image).await?;
    let label = format!(
        "Downloading {}",
        image.name.as_deref().unwrap_or(image.id.as_str())
    );
    match &args.file {
        Some(path) => {
            let folder = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => std::path::Path::new("."),
            };
            if !folder.is_dir() {
                bail!(
                    "--file {}: the folder {} does not exist",
                    path.display(),
                    folder.display()
                );
            }
            // The SDK writes a temporary file and renames it once verified; a spinner says
            // it is working.
            let wait = progress::spinner(ctx, &label);
            let outcome = images.download_to_path(&image.id, path).await;
            wait.finish();
            outcome?;
        }
        None => {
            let bar = progress::bytes(ctx, image.size, &label);
            let mut stdout = CountingWriter::new(tokio::io::stdout(), bar.clone());
            let outcome = images.download_to_writer(&image.id, &mut stdout).await;
            bar.finish();
            outcome?;
            tokio::io::AsyncWriteExt::flush(&mut stdout)
                .await
                .context("cannot write to stdout")?;
        }
    }
    Ok(())
}
