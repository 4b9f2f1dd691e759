//! `fstack image ...`: Glance images with python-openstackclient 10's command names, flags,
//! columns, value renderings and exit codes. Creating, staging and importing data lives in
//! `image/data.rs`, downloading in `image/save.rs`, the printed shapes in `image/fields.rs`.

pub(crate) mod args;
mod data;
mod fields;
pub(crate) mod project;
mod save;

use anyhow::{Result, bail};
use ferrostack::image::{
    ContainerFormat, DiskFormat, Image, ImageStatus, Member, MemberStatus, Visibility,
};
use futures::{StreamExt, TryStreamExt};

use self::args::{
    ImageAddCommand, ImageCommand, ImageDelete, ImageList, ImageMemberCommand, ImageMemberList,
    ImageProject, ImageRemoveCommand, ImageSet, ImageShow, ImageUnset,
};
use crate::context::Context;
use crate::output::Cell;
use crate::print;

/// openstackclient's default `--sort`.
const DEFAULT_SORT: &str = "name:asc";

/// Runs one `image` command.
pub async fn run(ctx: &Context, command: ImageCommand) -> Result<()> {
    match command {
        // Local work, not Glance: its own module.
        ImageCommand::Build(args) => super::build::run(ctx, args).await,
        ImageCommand::List(args) => list(ctx, args).await,
        ImageCommand::Show(args) => show(ctx, args).await,
        ImageCommand::Create(args) => data::create(ctx, *args).await,
        ImageCommand::Set(args) => set(ctx, *args).await,
        ImageCommand::Unset(args) => unset(ctx, args).await,
        ImageCommand::Delete(args) => delete(ctx, args).await,
        ImageCommand::Save(args) => save::save(ctx, args).await,
        ImageCommand::Add {
            command: ImageAddCommand::Project(args),
        } => add_project(ctx, args).await,
        ImageCommand::Remove {
            command: ImageRemoveCommand::Project(args),
        } => remove_project(ctx, args).await,
        ImageCommand::Member {
            command: ImageMemberCommand::List(args),
        } => member_list(ctx, args).await,
        ImageCommand::Stage(args) => data::stage(ctx, args).await,
        ImageCommand::Import(args) if args.image == "info" => import_info(ctx, args).await,
        ImageCommand::Import(args) => data::import(ctx, args).await,
        ImageCommand::Stores {
            command: args::ImageStoresCommand::List(args),
        } => stores_list(ctx, args).await,
    }
}

/// `image import info`: the methods this cloud's import offers.
async fn import_info(ctx: &Context, args: args::ImageImport) -> Result<()> {
    let info = ctx.cloud().await?.image().import_info().await?;
    let methods = info
        .import_methods
        .value
        .iter()
        .map(|m| m.as_str().to_owned())
        .collect();
    print::one(&args.output, vec![("import-methods", Cell::List(methods))])
}

/// `image stores list`: a Glance with one store answers 404, in osc's words.
async fn stores_list(ctx: &Context, args: args::ImageStoresList) -> Result<()> {
    let stores = match ctx.cloud().await?.image().stores().await {
        Ok(stores) => stores,
        Err(e) if e.is_not_found() => bail!("Multi Backend support not enabled"),
        Err(e) => return Err(e.into()),
    };
    let rows = stores
        .into_iter()
        .map(|s| {
            vec![
                Cell::str(s.id),
                Cell::opt(s.description),
                Cell::json(s.default),
            ]
        })
        .collect();
    print::list(&args.output, &["ID", "Description", "Default"], rows)
}

/// `image list`: Glance filters on the server; `--property` and `--sort` on the client, as
/// openstackclient does them.
async fn list(ctx: &Context, args: ImageList) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let glance = cloud.image();
    let images = glance.images();
    let mut options = images.list();
    if args.all {
        options = options.all_visibilities();
    } else if let Some(visibility) = args.visibility.chosen() {
        options = options.visibility(Visibility::from(visibility));
    }
    if let Some(name) = &args.name {
        options = options.name(name);
    }
    if let Some(status) = &args.status {
        options = options.status(ImageStatus::from(status.as_str()));
    }
    match args
        .member_status
        .as_deref()
        .map(str::to_lowercase)
        .as_deref()
    {
        Some("all") => options = options.all_member_statuses(),
        Some(status) => options = options.member_status(MemberStatus::from(status)),
        None => {}
    }
    for tag in &args.tag {
        options = options.tag(tag);
    }
    if let Some(project) = &args.project {
        let owner = project::id(cloud, project, args.project_domain.as_deref()).await?;
        options = options.owner(owner);
    }
    if args.hidden {
        options = options.os_hidden(true);
    }
    if let Some(marker) = &args.marker {
        // The lookup's error names the image already.
        let marker = images.find(marker).await?;
        options = options.marker(marker.id);
    }
    // `--limit` is a page size, and like openstackclient it asks for that one page only.
    let mut found: Vec<Image> = match args.limit.filter(|&l| l > 0) {
        Some(limit) => options.limit(limit).first_page().await?.images,
        None => {
            let stream = options.stream();
            match args.max_items {
                Some(max) => stream.take(max).try_collect().await?,
                None => stream.try_collect().await?,
            }
        }
    };
    if let (Some(max), Some(_)) = (args.max_items, args.limit) {
        found.truncate(max);
    }
    found.retain(|image| {
        args.property
            .iter()
            .all(|p| fields::matches_property(image, &p.key, &p.value))
    });
    fields::sort(&mut found, args.sort.as_deref().unwrap_or(DEFAULT_SORT))?;
    let columns: &[&str] = if args.long {
        &fields::LONG_COLUMNS
    } else {
        &fields::LIST_COLUMNS
    };
    let rows = found
        .iter()
        .map(|image| fields::row(image, args.long))
        .collect();
    print::list(&args.output, columns, rows)
}

/// `image show`.
async fn show(ctx: &Context, args: ImageShow) -> Result<()> {
    let image = ctx
        .cloud()
        .await?
        .image()
        .images()
        .find(&args.image)
        .await?;
    print::one(
        &args.output,
        fields::show(&image, args.human_readable, args.layout),
    )
}

/// `image set`: (de)activation first, then the membership answer, then one JSON-patch with
/// everything else, in openstackclient's order. Prints nothing.
async fn set(ctx: &Context, args: ImageSet) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let glance = cloud.image();
    let images = glance.images();
    let image = images.find(&args.image).await?;
    let project = match &args.project {
        Some(p) => Some(project::id(cloud, p, args.project_domain.as_deref()).await?),
        None => None,
    };
    if args.deactivate {
        images.deactivate(&image.id).await?;
    }
    if args.activate {
        images.reactivate(&image.id).await?;
    }
    let membership = [
        (args.accept, MemberStatus::Accepted),
        (args.reject, MemberStatus::Rejected),
        (args.pending, MemberStatus::Pending),
    ]
    .into_iter()
    .find_map(|(chosen, status)| chosen.then_some(status));
    if let Some(status) = &membership {
        // Without --project, the answer is our own project's.
        let member = match &project {
            Some(p) => p.clone(),
            None => cloud.identity().projects().current().await?.id,
        };
        glance
            .members(&image.id)
            .update(&member, status.clone())
            .await?;
    }

    let mut update = images.update(image.id.clone());
    if let Some(name) = &args.name {
        update = update.name(name);
    }
    if let Some(gib) = args.min_disk {
        update = update.min_disk(gib);
    }
    if let Some(mib) = args.min_ram {
        update = update.min_ram(mib);
    }
    if let Some(format) = &args.container_format {
        update = update.container_format(ContainerFormat::from(format.as_str()));
    }
    if let Some(format) = &args.disk_format {
        update = update.disk_format(DiskFormat::from(format.as_str()));
    }
    for (key, value) in [
        ("architecture", &args.architecture),
        ("instance_id", &args.instance_id),
        ("kernel_id", &args.kernel_id),
        ("os_distro", &args.os_distro),
        ("os_version", &args.os_version),
        ("ramdisk_id", &args.ramdisk_id),
    ] {
        if let Some(value) = value {
            update = update.property(key, value);
        }
    }
    for p in &args.property {
        update = update.property(&p.key, &p.value);
    }
    if let Some(protected) = args.protection.chosen() {
        update = update.protected(protected);
    }
    if let Some(visibility) = args.visibility.chosen() {
        update = update.visibility(Visibility::from(visibility));
    }
    // With a membership flag, --project names the member, not a new owner.
    if let (Some(owner), None) = (&project, &membership) {
        update = update.owner(owner);
    }
    for tag in &args.tag {
        update = update.add_tag(tag);
    }
    if args.hidden || args.unhidden {
        update = update.os_hidden(args.hidden);
    }
    if !update.is_empty() {
        let current = if args.deactivate || args.activate {
            images.get(&image.id).await?
        } else {
            image
        };
        update.based_on(current).send().await?;
    }
    Ok(())
}

/// `image unset`: each tag and property that is not there is reported, and the command
/// fails with openstackclient's count once it has removed what it could.
async fn unset(ctx: &Context, args: ImageUnset) -> Result<()> {
    let glance = ctx.cloud().await?.image();
    let images = glance.images();
    let image = images.find(&args.image).await?;
    let mut failed_tags = 0;
    for tag in &args.tag {
        if image.tags.contains(tag) {
            images.remove_tag(&image.id, tag).await?;
        } else {
            eprintln!("tag unset failed, '{tag}' is a nonexistent tag");
            failed_tags += 1;
        }
    }
    let mut failed_properties = 0;
    let mut update = images.update(image.id.clone());
    for key in &args.property {
        if image.properties.contains_key(key) {
            update = update.remove_property(key);
        } else {
            eprintln!("property unset failed, '{key}' is a nonexistent property");
            failed_properties += 1;
        }
    }
    if !update.is_empty() {
        update.based_on(image.clone()).send().await?;
    }
    let (tags, properties) = (args.tag.len(), args.property.len());
    match (failed_tags, failed_properties) {
        (0, 0) => Ok(()),
        (t, 0) => bail!("Failed to unset {t} of {tags} tags."),
        (0, p) => bail!("Failed to unset {p} of {properties} properties."),
        (t, p) => bail!(
            "Failed to unset {t} of {tags} tags, failed to unset {p} of {properties} properties."
        ),
    }
}

/// `image delete`: every image is tried; each failure gets its line, and the command fails
/// with "Failed to delete N of M images." as openstackclient's does.
async fn delete(ctx: &Context, args: ImageDelete) -> Result<()> {
    let glance = ctx.cloud().await?.image();
    let images = glance.images();
    let mut failed = 0;
    for name in &args.images {
        let outcome = async {
            let image = images.find(name).await?;
            images.delete(&image.id).await
        }
        .await;
        if let Err(e) = outcome {
            eprintln!("Failed to delete image with name or ID '{name}': {e}");
            failed += 1;
        }
    }
    if failed > 0 {
        bail!("Failed to delete {failed} of {} images.", args.images.len());
    }
    Ok(())
}

/// `image add project`: shares the image and shows the new membership.
async fn add_project(ctx: &Context, args: ImageProject) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let member = project::id(cloud, &args.project, args.project_domain.as_deref()).await?;
    let glance = cloud.image();
    let images = glance.images();
    let image = images.find(&args.image).await?;
    let membership = glance.members(&image.id).create(&member).await?;
    print::one(&args.output, member_fields(&membership))
}

/// `image remove project`.
async fn remove_project(ctx: &Context, args: ImageProject) -> Result<()> {
    let cloud = ctx.cloud().await?;
    let member = project::id(cloud, &args.project, args.project_domain.as_deref()).await?;
    let glance = cloud.image();
    let images = glance.images();
    let image = images.find(&args.image).await?;
    glance.members(&image.id).delete(&member).await?;
    Ok(())
}

/// `image member list`.
async fn member_list(ctx: &Context, args: ImageMemberList) -> Result<()> {
    let glance = ctx.cloud().await?.image();
    let images = glance.images();
    let image = images.find(&args.image).await?;
    let rows = glance
        .members(&image.id)
        .list()
        .collect_all()
        .await?
        .into_iter()
        .map(|m| {
            vec![
                Cell::str(m.image_id.as_str()),
                Cell::str(m.member_id),
                Cell::str(m.status.as_str()),
            ]
        })
        .collect();
    print::list(&args.output, &["Image ID", "Member ID", "Status"], rows)
}

/// A membership as openstackclient shows it (its fields by name, unset ones left out).
fn member_fields(m: &Member) -> Vec<(&'static str, Cell)> {
    let mut fields = Vec::new();
    if let Some(t) = m.created_at {
        fields.push(("created_at", Cell::str(t.to_string())));
    }
    fields.push(("image_id", Cell::str(m.image_id.as_str())));
    fields.push(("member_id", Cell::str(m.member_id.clone())));
    if let Some(schema) = &m.schema {
        fields.push(("schema", Cell::str(schema.clone())));
    }
    fields.push(("status", Cell::str(m.status.as_str())));
    if let Some(t) = m.updated_at {
        fields.push(("updated_at", Cell::str(t.to_string())));
    }
    fields
}
