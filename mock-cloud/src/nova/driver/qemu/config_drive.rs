//! The config drive, as Nova's libvirt driver makes it (`nova/virt/configdrive.py`,
//! `LibvirtDriver._create_configdrive`): the instance's metadata files
//! ([`Instance::config_drive_files`]) in an ISO9660 image labelled `config-2`, made with
//! `genisoimage` and Nova's very flags, attached read-only as the machine's cdrom (on q35 a
//! SATA cdrom: the guest's `/dev/sr0`, where cloud-init and CirrOS look for it).
//!
//! A server gets one when its create request asked for it, when the driver forces one
//! (`force_config_drive`, for servers not booted before) or when its image says
//! `img_config_drive=mandatory` (Nova's `configdrive.required_by`). As Nova does, the drive is
//! made at the first boot and never overwritten: later boots (and the boots after a restart
//! of the cloud, whose server folders stay) attach the same `disk.config`, with the admin
//! password of the first boot in it; it goes with the server's folder.

use std::path::{Path, PathBuf};

use ferrostack_qemu::{Program, ToolCommand};

use crate::nova::driver::BootSpec;
use crate::nova::instance_metadata::{IMAGE_CONFIG_DRIVE, Instance, random_seed};

/// The program Nova runs (its `mkisofs_cmd`), and the Debian package that ships it.
pub(crate) const GENISOIMAGE: Program = Program::new("genisoimage", "genisoimage");

/// The drive's file in the server's folder (Nova's name for it).
pub(crate) const FILE_NAME: &str = "disk.config";

/// The volume label cloud-init and CirrOS look for.
pub(crate) const LABEL: &str = "config-2";

/// Where the files are written before they go into the image (removed afterwards).
const TREE_DIR: &str = "config-drive.tmp";

/// Where the image is made before it takes its name.
const PARTIAL_FILE: &str = "disk.config.part";

/// What the server's config drive holds, when it gets one: asked for by the request
/// (`config_drive`), `forced` by the driver, or required by the image.
pub(crate) fn contents(spec: &BootSpec, forced: bool) -> Option<Instance> {
    let mandatory = spec
        .image
        .properties
        .get(IMAGE_CONFIG_DRIVE)
        .is_some_and(|policy| policy == "mandatory");
    (spec.config_drive || forced || mandatory).then(|| Instance::from_spec(spec))
}

/// The `-publisher` Nova writes: its product and version.
fn publisher() -> String {
    format!("OpenStack Nova {} (mock-cloud)", env!("CARGO_PKG_VERSION"))
}

/// Nova's genisoimage command line for an image at `output` of the files under `tree`.
pub(crate) fn command(genisoimage: &Path, output: &Path, tree: &Path) -> ToolCommand {
    ToolCommand::new(genisoimage)
        .arg("-o")
        .path_arg(output)
        .arg("-ldots")
        .arg("-allow-lowercase")
        .arg("-allow-multidot")
        .arg("-l")
        .arg("-publisher")
        .arg(publisher())
        .arg("-quiet")
        .arg("-J")
        .arg("-r")
        .arg("-V")
        .arg(LABEL)
        .path_arg(tree)
}

/// The server's config drive in `dir`: the one made at an earlier boot, else a new one of
/// `instance`'s files. On failure nothing of it is left in `dir`, and the message (the
/// server's fault) names the drive.
pub(crate) async fn ensure(
    genisoimage: &Result<PathBuf, String>,
    instance: &Instance,
    dir: &Path,
) -> Result<PathBuf, String> {
    let path = dir.join(FILE_NAME);
    if tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(path);
    }
    let fail = |why: String| {
        format!(
            "qemu driver: cannot make the config drive {} of server {}: {why}",
            path.display(),
            instance.uuid
        )
    };
    let program = genisoimage.as_ref().map_err(|why| fail(why.clone()))?;
    let tree = dir.join(TREE_DIR);
    let partial = dir.join(PARTIAL_FILE);
    let files = instance.config_drive_files(&mut random_seed);
    let made = make(program, files, &tree, &partial).await;
    let _ = tokio::fs::remove_dir_all(&tree).await;
    if let Err(why) = made {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(fail(why));
    }
    tokio::fs::rename(&partial, &path).await.map_err(|err| {
        let _ = std::fs::remove_file(&partial);
        fail(format!("cannot rename {}: {err}", partial.display()))
    })?;
    Ok(path)
}

/// Writes `files` under `tree` and makes the image of them at `output`.
async fn make(
    genisoimage: &Path,
    files: Vec<(String, Vec<u8>)>,
    tree: &Path,
    output: &Path,
) -> Result<(), String> {
    let _ = tokio::fs::remove_dir_all(tree).await;
    let _ = tokio::fs::remove_file(output).await;
    for (relative, bytes) in files {
        let file = tree.join(&relative);
        if let Some(parent) = file.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|err| format!("cannot create {}: {err}", parent.display()))?;
        }
        tokio::fs::write(&file, bytes)
            .await
            .map_err(|err| format!("cannot write {}: {err}", file.display()))?;
    }
    private(tree).await?;
    command(genisoimage, output, tree)
        .run()
        .await
        .map_err(|err| err.to_string())?;
    private(output).await
}

/// Only the owner may read it: the drive holds the admin password.
async fn private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { 0o700 } else { 0o600 };
    tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .await
        .map_err(|err| format!("cannot restrict {}: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nova::driver::{BootImage, Secret};

    #[test]
    fn the_command_has_nova_s_flags() {
        let command = command(
            Path::new("/usr/bin/genisoimage"),
            Path::new("/work/s1/disk.config.part"),
            Path::new("/work/s1/config-drive.tmp"),
        );
        insta::assert_snapshot!(command.display());
    }

    #[test]
    fn a_drive_is_made_when_asked_forced_or_mandatory() {
        let spec = |asked: bool, policy: Option<&str>| BootSpec {
            server_id: "s1".into(),
            config_drive: asked,
            image: BootImage {
                properties: policy
                    .map(|p| (IMAGE_CONFIG_DRIVE.to_owned(), p.to_owned()))
                    .into_iter()
                    .collect(),
                ..BootImage::default()
            },
            ..BootSpec::default()
        };
        assert!(contents(&spec(false, None), false).is_none());
        assert!(contents(&spec(false, Some("optional")), false).is_none());
        assert!(contents(&spec(true, None), false).is_some());
        assert!(contents(&spec(false, None), true).is_some());
        let mandatory = contents(&spec(false, Some("mandatory")), false).unwrap();
        assert_eq!(mandatory.uuid, "s1");
    }

    fn instance() -> Instance {
        Instance {
            admin_pass: Some(Secret::new("Adm1n-pass-x")),
            ..Instance::example()
        }
    }

    /// Reads a file of an ISO image with `isoinfo` (genisoimage's package).
    fn isoinfo(args: &[&str]) -> String {
        let output = std::process::Command::new("isoinfo")
            .args(args)
            .output()
            .unwrap_or_else(|err| {
                panic!(
                    "this test reads the drive with `isoinfo`: install the Debian package \
                     genisoimage (apt-get install genisoimage): {err}"
                )
            });
        assert!(output.status.success(), "isoinfo {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    }

    #[tokio::test]
    async fn the_real_iso_is_labelled_config_2_and_holds_the_tree() {
        let genisoimage = GENISOIMAGE.locate(None).map_err(|err| err.to_string());
        if let Err(why) = &genisoimage {
            panic!("this test makes a real config drive: {why}");
        }
        let dir = tempfile::tempdir().unwrap();
        let instance = instance();
        let path = ensure(&genisoimage, &instance, dir.path()).await.unwrap();
        assert_eq!(path, dir.path().join(FILE_NAME));
        let iso = path.to_str().unwrap();
        let info = isoinfo(&["-d", "-i", iso]);
        assert!(info.contains("Volume id: config-2"), "{info}");
        let meta: serde_json::Value = serde_json::from_str(&isoinfo(&[
            "-J",
            "-i",
            iso,
            "-x",
            "/openstack/latest/meta_data.json",
        ]))
        .unwrap();
        assert_eq!(meta["uuid"], instance.uuid.as_str());
        assert_eq!(meta["admin_pass"], "Adm1n-pass-x");
        assert_eq!(
            meta["public_keys"]["mykey"],
            instance.key.as_ref().unwrap().public_key.as_str()
        );
        assert_eq!(meta["hostname"], "web-1.novalocal");
        let user_data = isoinfo(&["-J", "-i", iso, "-x", "/openstack/latest/user_data"]);
        assert_eq!(user_data.as_bytes(), instance.user_data.as_deref().unwrap());
        let network: serde_json::Value = serde_json::from_str(&isoinfo(&[
            "-J",
            "-i",
            iso,
            "-x",
            "/openstack/2015-10-15/network_data.json",
        ]))
        .unwrap();
        assert_eq!(
            network["links"][1]["ethernet_mac_address"],
            "fa:16:3e:00:00:09"
        );
        let listing = isoinfo(&["-J", "-f", "-i", iso]);
        for file in [
            "/ec2/2009-04-04/meta-data.json",
            "/ec2/latest/user-data",
            "/openstack/2012-08-10/meta_data.json",
            "/openstack/latest/vendor_data2.json",
        ] {
            assert!(
                listing.lines().any(|line| line == file),
                "{file}: {listing}"
            );
        }
        // Only the drive is left, for its owner only; a second boot keeps it as it is.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [FILE_NAME]);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let before = std::fs::read(&path).unwrap();
        let other = Instance {
            name: "renamed".into(),
            ..instance.clone()
        };
        assert_eq!(
            ensure(&genisoimage, &other, dir.path()).await.unwrap(),
            path
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[tokio::test]
    async fn a_failing_genisoimage_names_the_drive_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let failing: Result<PathBuf, String> = Ok(PathBuf::from("/bin/false"));
        let err = ensure(&failing, &instance(), dir.path()).await.unwrap_err();
        let drive = dir.path().join(FILE_NAME);
        assert!(
            err.starts_with(&format!(
                "qemu driver: cannot make the config drive {} of server {}: `/bin/false -o ",
                drive.display(),
                instance().uuid
            )) && err.contains("failed with exit status: 1"),
            "{err}"
        );
        assert!(!err.contains("Adm1n-pass-x"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let missing: Result<PathBuf, String> = Err(GENISOIMAGE
            .locate(Some(Path::new("/nonexistent/genisoimage")))
            .unwrap_err()
            .to_string());
        let err = ensure(&missing, &instance(), dir.path()).await.unwrap_err();
        assert!(
            err.ends_with("install the Debian package `genisoimage` (apt-get install genisoimage)"),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
