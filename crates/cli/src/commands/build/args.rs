//! The flags of `fstack image build` (ours).

use std::path::PathBuf;

use clap::Args;

use crate::args::ShowOutput;

/// `image build` (ours): the tiny test image, or with `--distro` a real distribution.
#[derive(Debug, Args)]
pub struct ImageBuild {
    /// Build this distribution instead of the tiny test image: `debian-12` (also
    /// `debian-11`, `debian-13`); a cloud image with cloud-init and SSH.
    #[arg(long, value_name = "DISTRO")]
    pub distro: Option<String>,
    /// Folder to write the image files into (made when missing; default: `tiny-image`, or
    /// the distribution's name with --distro).
    #[arg(long, visible_alias = "output-dir", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// The disk's size with --distro: a number of GiB, or a number with `M` or `G`
    /// (default 2G).
    #[arg(long, value_name = "SIZE", requires = "distro", value_parser = parse_size_mib)]
    pub size: Option<u64>,
    /// More packages to install with --distro (comma-separated, repeatable).
    #[arg(
        long,
        value_name = "PACKAGES",
        requires = "distro",
        value_delimiter = ','
    )]
    pub packages: Vec<String>,
    /// The Debian mirror with --distro (default: the one this host's apt uses).
    #[arg(long, value_name = "URL", requires = "distro")]
    pub mirror: Option<String>,
    /// The suite with --distro, instead of the release's own (e.g. `bookworm-backports`'s
    /// base `bookworm`, or another Debian-family suite on --mirror).
    #[arg(long, value_name = "SUITE", requires = "distro")]
    pub suite: Option<String>,
    /// The token the tiny image prints as `SMOKE-BOOT-OK <token>` (default: a fresh random
    /// one; not with --distro).
    #[arg(long, value_name = "TOKEN", conflicts_with = "distro")]
    pub token: Option<String>,
    /// Where downloads (apt lists, the kernel package, root tarballs) are kept between builds
    /// (env: FSTACK_CACHE_DIR; default: $XDG_CACHE_HOME/ferrostack or ~/.cache/ferrostack).
    #[arg(long = "cache-dir", value_name = "DIR", env = "FSTACK_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    #[command(flatten)]
    pub output_format: ShowOutput,
}

/// `--size`: `20` (GiB, as Nova's flavors count), `20G`, `2048M`.
fn parse_size_mib(text: &str) -> Result<u64, String> {
    let (number, unit) = match text.strip_suffix(['G', 'g']) {
        Some(number) => (number, 1024),
        None => match text.strip_suffix(['M', 'm']) {
            Some(number) => (number, 1),
            None => (text, 1024),
        },
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|mib| *mib > 0)
        .ok_or_else(|| format!("{text:?} is not a size: use GiB (`4`), or `4G` or `4096M`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size_mib("2"), Ok(2048));
        assert_eq!(parse_size_mib("3G"), Ok(3072));
        assert_eq!(parse_size_mib("1536M"), Ok(1536));
        for bad in ["", "0", "x", "2T", "-1G", "99999999999999999999"] {
            assert!(parse_size_mib(bad).is_err(), "{bad}");
        }
    }
}
