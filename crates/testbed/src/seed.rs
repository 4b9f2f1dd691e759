//! A cloud-init NoCloud seed: `user-data` and `meta-data` on a small vfat image labelled
//! `CIDATA`, built with mtools on a plain file (no root, no mounts).

use std::path::{Path, PathBuf};

use ferrostack_qemu::{Error, Result, ToolCommand};

use crate::programs;

/// The seed's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoCloudSeed {
    /// The `meta-data` file (YAML: `instance-id`, `local-hostname`).
    pub meta_data: String,
    /// The `user-data` file (usually starting with `#cloud-config`).
    pub user_data: String,
    /// An optional `network-config` file.
    pub network_config: Option<String>,
}

impl NoCloudSeed {
    /// A seed for `instance_id` named `hostname`, with an empty `#cloud-config`.
    pub fn new(instance_id: &str, hostname: &str) -> Self {
        NoCloudSeed {
            meta_data: format!("instance-id: {instance_id}\nlocal-hostname: {hostname}\n"),
            user_data: "#cloud-config\n".to_owned(),
            network_config: None,
        }
    }

    /// Replaces the user-data.
    pub fn user_data(mut self, user_data: impl Into<String>) -> Self {
        self.user_data = user_data.into();
        self
    }

    /// Adds a network-config.
    pub fn network_config(mut self, network_config: impl Into<String>) -> Self {
        self.network_config = Some(network_config.into());
        self
    }

    /// The mtools commands that make the image at `image` from the files in `staging`.
    pub fn commands(
        image: &Path,
        staging: &[PathBuf],
        mformat: &Path,
        mcopy: &Path,
    ) -> Vec<ToolCommand> {
        // 1440 KiB: plenty for cloud-config, and a geometry mformat knows without flags.
        let format = ToolCommand::new(mformat)
            .arg("-i")
            .path_arg(image)
            .arg("-C")
            .arg("-f")
            .arg("1440")
            .arg("-v")
            .arg("CIDATA")
            .arg("::");
        let mut copy = ToolCommand::new(mcopy).arg("-i").path_arg(image);
        for file in staging {
            copy = copy.path_arg(file);
        }
        vec![format, copy.arg("::")]
    }

    /// Writes the seed image to `image` (replacing it).
    pub async fn write_vfat(&self, image: &Path) -> Result<()> {
        let mformat = programs::MFORMAT.locate(None)?;
        let mcopy = programs::MCOPY.locate(None)?;
        let staging = tempfile::tempdir()
            .map_err(|err| Error::io("cannot create", std::env::temp_dir(), err))?;
        let mut files = Vec::new();
        let named = [
            ("meta-data", Some(&self.meta_data)),
            ("user-data", Some(&self.user_data)),
            ("network-config", self.network_config.as_ref()),
        ];
        for (name, content) in named {
            if let Some(content) = content {
                let path = staging.path().join(name);
                std::fs::write(&path, content)
                    .map_err(|err| Error::io("cannot write", &path, err))?;
                files.push(path);
            }
        }
        if image.exists() {
            std::fs::remove_file(image).map_err(|err| Error::io("cannot replace", image, err))?;
        }
        for command in Self::commands(image, &files, &mformat, &mcopy) {
            command.run().await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtools_argv() {
        let commands = NoCloudSeed::commands(
            Path::new("/run/seed.img"),
            &["/tmp/s/meta-data".into(), "/tmp/s/user-data".into()],
            Path::new("mformat"),
            Path::new("mcopy"),
        );
        let argvs: Vec<_> = commands.into_iter().map(|command| command.args).collect();
        insta::assert_debug_snapshot!(argvs);
    }

    #[test]
    fn meta_data_names_the_instance() {
        let seed =
            NoCloudSeed::new("i-0001", "tiny").user_data("#cloud-config\nruncmd: [poweroff]\n");
        assert_eq!(
            seed.meta_data,
            "instance-id: i-0001\nlocal-hostname: tiny\n"
        );
        assert!(seed.user_data.contains("runcmd"));
    }
}
