//! Inspects image files and prints what they are and Glance's verdict for them.
//!
//! `cargo run -p ferrostack-format-inspector --example inspect -- FILE [DISK_FORMAT]`

use ferrostack_format_inspector::{Verdict, decide, inspect_file};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: inspect FILE [DISK_FORMAT]");
        std::process::exit(2);
    };
    let inspection = match inspect_file(&path) {
        Ok(inspection) => inspection,
        Err(e) => {
            let cause = std::error::Error::source(&e)
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            eprintln!("{e}{cause}");
            std::process::exit(1);
        }
    };
    let declared = args
        .next()
        .unwrap_or_else(|| inspection.format.glance_name().to_string());
    let size = inspection
        .virtual_size
        .map_or("unknown".to_string(), |s| s.to_string());
    println!("{path}: {} (virtual size {size})", inspection.format);
    match decide(&declared, "bare", &inspection) {
        Verdict::Accept { .. } => println!("declared {declared}: accepted"),
        Verdict::Refuse(why) => println!("declared {declared}: refused: {why}"),
    }
}
