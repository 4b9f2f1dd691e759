//! Uploads a disk image to Glance and prints the image as Glance has it.
//!
//! ```text
//! OS_CLOUD=mycloud cargo run -p ferrostack --example upload_image -- disk.qcow2 my-image [qcow2]
//! ```
//!
//! The cloud comes from `OS_CLOUD` + clouds.yaml or the `OS_*` variables. The format is
//! detected when not given; unsafe or mislabelled images are refused before anything is
//! created, and a failed upload leaves no image behind.

use std::io::Write;

use ferrostack::Cloud;
use ferrostack::image::{DiskFormat, ImageData};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(name)) = (args.next(), args.next()) else {
        eprintln!("usage: upload_image FILE NAME [DISK_FORMAT]");
        std::process::exit(2);
    };
    let images = Cloud::from_env()?.image().images();
    let mut create = images.create(name).data(ImageData::path(&path));
    if let Some(format) = args.next() {
        create = create.disk_format(DiskFormat::from(format.as_str()));
    }
    let image = create
        .progress(|sent, total| {
            // Every 16 MiB and at the end, on stderr, so stdout stays machine-readable.
            if sent % (16 << 20) < (256 << 10) || Some(sent) == total {
                let total = total.map_or("?".to_owned(), |t| t.to_string());
                eprint!("\r{sent} / {total} bytes");
                let _ = std::io::stderr().flush();
            }
        })
        .send()
        .await?;
    eprintln!();
    println!("{}", serde_json::to_string_pretty(&image)?);
    Ok(())
}
