//! JSON-patch updates: properties added, replaced and removed; kernel_id/ramdisk_id; tags;
//! visibility (and the 403 when a member makes an image public); protected and hidden.

use anyhow::{Result, ensure};
use ferrostack::ErrorKind;
use ferrostack::image::{ContainerFormat, DiskFormat, Visibility};

use crate::{Case, Fixture, case, expect};

pub(crate) fn cases() -> Vec<Case> {
    vec![
        case!("image.patch.properties", properties),
        case!("image.patch.kernel_ramdisk", kernel_ramdisk),
        case!("image.patch.tags", tags),
        case!("image.patch.visibility_protected_hidden", visibility),
        case!(
            "image.patch.member_cannot_publicize",
            member_cannot_publicize
        ),
    ]
}

/// Add, replace and remove of extra properties and base fields, in one patch and alone.
async fn properties(f: &Fixture) -> Result<()> {
    let images = f.admin.image().images();
    let image = f
        .image(&images, "props")
        .property("conf_a", "1")
        .property("conf_b", "2")
        .send()
        .await?;
    let image = images
        .update(&image.id)
        .property("conf_c", "3")
        .property("conf_a", "10")
        .remove_property("conf_b")
        .name(f.name("props-renamed"))
        .min_disk(2)
        .min_ram(128)
        .disk_format(DiskFormat::Qcow2)
        .container_format(ContainerFormat::Bare)
        .send()
        .await?;
    expect::equal("conf_a (replaced)", image.property("conf_a"), Some("10"))?;
    expect::equal("conf_b (removed)", image.property("conf_b"), None)?;
    expect::equal("conf_c (added)", image.property("conf_c"), Some("3"))?;
    expect::equal("name", image.name.clone(), Some(f.name("props-renamed")))?;
    expect::equal("min_disk", image.min_disk, 2)?;
    expect::equal("min_ram", image.min_ram, 128)?;
    expect::equal(
        "disk_format",
        image.disk_format.clone(),
        Some(DiskFormat::Qcow2),
    )?;
    // What Glance answered is what it keeps.
    let again = images.get(&image.id).await?;
    expect::equal(
        "properties after a fresh GET",
        &again.properties,
        &image.properties,
    )?;

    // Nothing to change sends nothing, and answers the image as it is.
    let same = images
        .update(&image.id)
        .property("conf_a", "10")
        .send()
        .await?;
    expect::equal(
        "updated_at after an empty update",
        same.updated_at,
        again.updated_at,
    )?;
    // Removing what is not there: ignored, or refused before sending when strict.
    images
        .update(&image.id)
        .remove_property("conf_zzz")
        .send()
        .await?;
    let result = images
        .update(&image.id)
        .remove_property("conf_zzz")
        .strict(true)
        .send()
        .await;
    expect::error(
        "strict removal of a missing property",
        result,
        ErrorKind::InvalidInput,
        None,
    )?;
    Ok(())
}

/// kernel_id and ramdisk_id set on a machine image, changed, and removed. (Whether Glance
/// checks that they look like UUIDs depends on the deployment's schema-image.json: not
/// tested.)
async fn kernel_ramdisk(f: &Fixture) -> Result<()> {
    let images = f.admin.image().images();
    let part = |what: &str, disk: DiskFormat, container: ContainerFormat| {
        f.image(&images, what)
            .disk_format(disk)
            .container_format(container)
            .send()
    };
    let kernel = part("kernel", DiskFormat::Aki, ContainerFormat::Aki).await?;
    let kernel2 = part("kernel2", DiskFormat::Aki, ContainerFormat::Aki).await?;
    let ramdisk = part("ramdisk", DiskFormat::Ari, ContainerFormat::Ari).await?;
    let machine = part("machine", DiskFormat::Ami, ContainerFormat::Ami).await?;
    let linked = images
        .update(&machine.id)
        .kernel_id(&kernel.id)
        .ramdisk_id(&ramdisk.id)
        .send()
        .await?;
    expect::equal("kernel_id", linked.kernel_id(), Some(kernel.id.clone()))?;
    expect::equal("ramdisk_id", linked.ramdisk_id(), Some(ramdisk.id.clone()))?;
    let relinked = images
        .update(&machine.id)
        .kernel_id(&kernel2.id)
        .send()
        .await?;
    expect::equal(
        "kernel_id replaced",
        relinked.kernel_id(),
        Some(kernel2.id.clone()),
    )?;
    let unlinked = images
        .update(&machine.id)
        .remove_property("kernel_id")
        .remove_property("ramdisk_id")
        .send()
        .await?;
    ensure!(
        unlinked.kernel_id().is_none() && unlinked.ramdisk_id().is_none(),
        "kernel_id {:?} and ramdisk_id {:?} survived their removal",
        unlinked.kernel_id(),
        unlinked.ramdisk_id()
    );
    Ok(())
}

/// Tags through the patch (add, remove, replace all) and through the tag API.
async fn tags(f: &Fixture) -> Result<()> {
    let images = f.admin.image().images();
    let image = f.image(&images, "tags").send().await?;
    let sorted = |mut tags: Vec<String>| {
        tags.sort();
        tags
    };
    let tag = f.tag().to_owned();
    let image = images
        .update(&image.id)
        .add_tag("x")
        .add_tag("y")
        .send()
        .await?;
    expect::equal(
        "tags after adding x and y",
        sorted(image.tags.clone()),
        sorted(vec![tag.clone(), "x".into(), "y".into()]),
    )?;
    let image = images.update(&image.id).remove_tag("x").send().await?;
    expect::equal(
        "tags after removing x",
        sorted(image.tags.clone()),
        sorted(vec![tag.clone(), "y".into()]),
    )?;
    images.add_tag(&image.id, "z").await?;
    images.add_tag(&image.id, "z").await?;
    images.remove_tag(&image.id, "y").await?;
    let image = images.get(&image.id).await?;
    expect::equal(
        "tags after the tag API",
        sorted(image.tags.clone()),
        sorted(vec![tag.clone(), "z".into()]),
    )?;
    let result = images.remove_tag(&image.id, "never-there").await;
    expect::error(
        "removing a missing tag",
        result,
        ErrorKind::NotFound,
        Some(404),
    )?;
    let image = images
        .update(&image.id)
        .tags([tag.clone(), "w".into()])
        .send()
        .await?;
    expect::equal(
        "tags replaced",
        sorted(image.tags.clone()),
        sorted(vec![tag.clone(), "w".into()]),
    )?;
    let listed = images.list().tag(&tag).tag("w").collect_all().await?;
    expect::equal(
        "listed by tag w",
        super::ids(&listed),
        vec![image.id.to_string()],
    )?;
    Ok(())
}

/// Visibility through each value; protected on and off; hidden from the default listing.
async fn visibility(f: &Fixture) -> Result<()> {
    let images = f.admin.image().images();
    let image = f
        .image(&images, "visibility")
        .visibility(Visibility::Private)
        .send()
        .await?;
    for visibility in [
        Visibility::Shared,
        Visibility::Community,
        Visibility::Public,
        Visibility::Private,
    ] {
        let changed = images
            .update(&image.id)
            .visibility(visibility.clone())
            .send()
            .await?;
        expect::equal("visibility", &changed.visibility, &visibility)?;
    }
    let protected = images.update(&image.id).protected(true).send().await?;
    ensure!(protected.protected, "the image is not protected");
    let unprotected = images.update(&image.id).protected(false).send().await?;
    ensure!(!unprotected.protected, "the image is still protected");

    let hidden = images.update(&image.id).os_hidden(true).send().await?;
    ensure!(hidden.os_hidden, "the image is not hidden");
    let listed = images.list().tag(f.tag()).collect_all().await?;
    ensure!(listed.is_empty(), "a hidden image is listed by default");
    let listed = images
        .list()
        .tag(f.tag())
        .os_hidden(true)
        .collect_all()
        .await?;
    expect::equal(
        "hidden listing",
        super::ids(&listed),
        vec![image.id.to_string()],
    )?;
    Ok(())
}

/// A member may not make an image public, neither on create nor by a patch (Glance's
/// `publicize_image` policy: 403); the admin may.
async fn member_cannot_publicize(f: &Fixture) -> Result<()> {
    let images = f.demo.image().images();
    let result = f
        .image(&images, "public-on-create")
        .visibility(Visibility::Public)
        .send()
        .await;
    expect::error(
        "a member creating a public image",
        result,
        ErrorKind::Forbidden,
        Some(403),
    )?;
    let image = f
        .image(&images, "demo")
        .visibility(Visibility::Private)
        .send()
        .await?;
    let result = images
        .update(&image.id)
        .visibility(Visibility::Public)
        .send()
        .await;
    expect::error(
        "a member publicizing its image",
        result,
        ErrorKind::Forbidden,
        Some(403),
    )?;
    let shown = images.get(&image.id).await?;
    expect::equal(
        "visibility after the refusal",
        &shown.visibility,
        &Visibility::Private,
    )?;
    // The member may share it, and the admin may make it public.
    let shared = images
        .update(&image.id)
        .visibility(Visibility::Shared)
        .send()
        .await?;
    expect::equal(
        "visibility shared by the member",
        &shared.visibility,
        &Visibility::Shared,
    )?;
    let public = f
        .admin
        .image()
        .images()
        .update(&image.id)
        .visibility(Visibility::Public)
        .send()
        .await?;
    expect::equal(
        "visibility set by the admin",
        &public.visibility,
        &Visibility::Public,
    )?;
    Ok(())
}
