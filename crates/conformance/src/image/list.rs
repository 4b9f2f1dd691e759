//! Listing with every filter, every sort form and pagination over 60 images; show and find.

use std::collections::HashSet;

use anyhow::{Context, Result, ensure};
use ferrostack::ErrorKind;
use ferrostack::image::{
    Comparison, ContainerFormat, CreateImage, DiskFormat, Image, ImageId, ImageStatus, Images,
    ListImages, SortDir, Visibility,
};
use futures::TryStreamExt;

use super::{bytes, ids};
use crate::{Case, Fixture, case, disks, expect};

pub(crate) fn cases() -> Vec<Case> {
    vec![
        case!("image.list.filters_sort_pages", filters_sort_pages),
        case!("image.show_find", show_find),
    ]
}

/// Images listed by default (not hidden); six more are hidden.
const VISIBLE: usize = 60;
const HIDDEN: usize = 6;
const GROUPS: [&str; 3] = ["alpha", "beta", "gamma"];

/// What image `i` of the listing set is made of, so that every filter has a known answer.
struct Planned {
    name: String,
    disk: DiskFormat,
    container: ContainerFormat,
    visibility: Visibility,
    protected: bool,
    hidden: bool,
    group: &'static str,
    even: bool,
    /// Bytes of data uploaded (random, so raw), for a few of them.
    data: Option<usize>,
}

fn plan(f: &Fixture, i: usize) -> Planned {
    const DISKS: [DiskFormat; 4] = [
        DiskFormat::Raw,
        DiskFormat::Qcow2,
        DiskFormat::Vmdk,
        DiskFormat::Iso,
    ];
    Planned {
        name: f.name(&format!("list-{i:02}")),
        disk: DISKS[i % 4].clone(),
        container: if i.is_multiple_of(3) {
            ContainerFormat::Ovf
        } else {
            ContainerFormat::Bare
        },
        visibility: if i.is_multiple_of(5) {
            Visibility::Shared
        } else {
            Visibility::Private
        },
        protected: i == 7 || i == 8,
        hidden: i >= VISIBLE,
        group: GROUPS[i % 3],
        even: i.is_multiple_of(2),
        data: (i.is_multiple_of(4) && i < 24).then_some((i + 1) * 512),
    }
}

/// 66 images with known attributes; every filter, sort and page size checked against what
/// the plan says the answer must be.
async fn filters_sort_pages(f: &Fixture) -> Result<()> {
    let images = f.admin.image().images();
    let even_tag = f.name("even");
    let before = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(2);
    let plans: Vec<Planned> = (0..VISIBLE + HIDDEN).map(|i| plan(f, i)).collect();
    // One at a time: concurrent creates make Glance on sqlite fail with 500s ("no such
    // table: images").
    let mut made: Vec<Image> = Vec::with_capacity(plans.len());
    for (i, p) in plans.iter().enumerate() {
        let mut create = f
            .image(&images, &format!("list-{i:02}"))
            .disk_format(p.disk.clone())
            .container_format(p.container.clone())
            .visibility(p.visibility.clone())
            .protected(p.protected)
            .os_hidden(p.hidden)
            .min_disk(i as u64)
            .property("conf_group", p.group);
        if p.even {
            create = create.tag(&even_tag);
        }
        made.push(make(&images, i, create, p.data).await?);
    }

    // The ids the plan says a filter must return, among the visible images.
    let expected = |keep: &dyn Fn(&Planned) -> bool| -> Vec<String> {
        let picked: Vec<Image> = plans
            .iter()
            .zip(&made)
            .filter(|(p, _)| !p.hidden && keep(p))
            .map(|(_, image)| image.clone())
            .collect();
        ids(&picked)
    };
    let mine = || images.list().tag(f.tag());
    let check = |what: &'static str, list: ListImages, want: Vec<String>| async move {
        let got = list
            .collect_all()
            .await
            .with_context(|| format!("listing {what}"))?;
        expect::equal(what, ids(&got), want)
    };

    // Every visible image, over pages of 7 that the SDK follows by the `next` links.
    let paged: Vec<Image> = mine().limit(7).stream().try_collect().await?;
    let distinct: HashSet<&str> = paged.iter().map(|i| i.id.as_str()).collect();
    ensure!(
        distinct.len() == paged.len(),
        "pages of 7 repeated images: {} listed, {} distinct",
        paged.len(),
        distinct.len()
    );
    expect::equal("pages of 7", ids(&paged), expected(&|_| true))?;
    let first = mine().limit(7).first_page().await?;
    expect::equal("first page size", first.images.len(), 7)?;
    ensure!(first.next.is_some(), "a full first page has no next link");
    let last = mine()
        .limit(100)
        .marker(first.images[6].id.clone())
        .first_page()
        .await?;
    expect::equal(
        "images after the first page",
        last.images.len(),
        VISIBLE - 7,
    )?;
    ensure!(
        last.next.is_none(),
        "the last page has a next link: {:?}",
        last.next
    );
    // Hidden images only when asked for.
    check(
        "os_hidden=true",
        mine().os_hidden(true),
        ids(&made[VISIBLE..]),
    )
    .await?;

    let name0 = plans[0].name.clone();
    check("name", mine().name(&name0), expected(&|p| p.name == name0)).await?;
    let names = [&plans[1].name, &plans[2].name, &plans[33].name];
    check(
        "name in:",
        mine().name_in(names),
        expected(&|p| names.contains(&&p.name)),
    )
    .await?;
    let picked: Vec<ImageId> = [4, 9, 41].iter().map(|&i| made[i].id.clone()).collect();
    check("id in:", mine().id_in(picked.clone()), {
        let mut want: Vec<String> = picked.iter().map(ToString::to_string).collect();
        want.sort();
        want
    })
    .await?;
    check(
        "status=active",
        mine().status(ImageStatus::Active),
        expected(&|p| p.data.is_some()),
    )
    .await?;
    check(
        "status in:",
        mine().status_in([ImageStatus::Active, ImageStatus::Queued]),
        expected(&|_| true),
    )
    .await?;
    check(
        "visibility=shared",
        mine().visibility(Visibility::Shared),
        expected(&|p| p.visibility == Visibility::Shared),
    )
    .await?;
    check(
        "visibility=private",
        mine().visibility(Visibility::Private),
        expected(&|p| p.visibility == Visibility::Private),
    )
    .await?;
    check(
        "visibility=all",
        mine().all_visibilities(),
        expected(&|_| true),
    )
    .await?;
    let owner = f
        .admin
        .identity()
        .tokens()
        .current()
        .await?
        .project_id()
        .context("the admin token has no project")?
        .to_owned();
    check("owner", mine().owner(&owner), expected(&|_| true)).await?;
    check(
        "another owner",
        mine().owner("00000000000000000000000000000000"),
        Vec::new(),
    )
    .await?;
    // One page: Glance's next link would keep only the last tag (see the sorting below).
    check(
        "two tags",
        mine().tag(&even_tag).limit(100),
        expected(&|p| p.even),
    )
    .await?;
    check(
        "protected=true",
        mine().protected(true),
        expected(&|p| p.protected),
    )
    .await?;
    check(
        "protected=false",
        mine().protected(false),
        expected(&|p| !p.protected),
    )
    .await?;
    check(
        "size_min",
        mine().size_min(4608),
        expected(&|p| p.data.is_some_and(|n| n >= 4608)),
    )
    .await?;
    check(
        "size_max",
        mine().size_max(4608),
        expected(&|p| p.data.is_some_and(|n| n <= 4608)),
    )
    .await?;
    check(
        "size_min and size_max",
        mine().size_min(4000).size_max(7000),
        expected(&|p| p.data.is_some_and(|n| (4000..=7000).contains(&n))),
    )
    .await?;
    check(
        "disk_format",
        mine().disk_format(DiskFormat::Qcow2),
        expected(&|p| p.disk == DiskFormat::Qcow2),
    )
    .await?;
    check(
        "disk_format in:",
        mine().disk_format_in([DiskFormat::Qcow2, DiskFormat::Vmdk]),
        expected(&|p| matches!(p.disk, DiskFormat::Qcow2 | DiskFormat::Vmdk)),
    )
    .await?;
    check(
        "container_format",
        mine().container_format(ContainerFormat::Ovf),
        expected(&|p| p.container == ContainerFormat::Ovf),
    )
    .await?;
    check(
        "container_format in:",
        mine().container_format_in([ContainerFormat::Ovf, ContainerFormat::Bare]),
        expected(&|_| true),
    )
    .await?;
    check(
        "created_at gte",
        mine().created_at(Comparison::Gte, before),
        expected(&|_| true),
    )
    .await?;
    check(
        "created_at lt",
        mine().created_at(Comparison::Lt, before),
        Vec::new(),
    )
    .await?;
    check(
        "updated_at gt",
        mine().updated_at(Comparison::Gt, before),
        expected(&|_| true),
    )
    .await?;
    check(
        "property",
        mine().property("conf_group", "beta"),
        expected(&|p| p.group == "beta"),
    )
    .await?;
    check(
        "property and disk_format",
        mine()
            .property("conf_group", "alpha")
            .disk_format(DiskFormat::Raw),
        expected(&|p| p.group == "alpha" && p.disk == DiskFormat::Raw),
    )
    .await?;

    // Sorting, with pages small enough that the order has to survive the markers.
    let names_of = |images: &[Image]| -> Vec<String> {
        images
            .iter()
            .map(|i| i.name.clone().unwrap_or_default())
            .collect()
    };
    let mut ascending: Vec<String> = plans
        .iter()
        .filter(|p| !p.hidden)
        .map(|p| p.name.clone())
        .collect();
    ascending.sort();
    let got = mine()
        .sort_by("name", SortDir::Asc)
        .limit(9)
        .collect_all()
        .await?;
    expect::equal(
        "sort_key=name sort_dir=asc",
        names_of(&got),
        ascending.clone(),
    )?;
    let got = mine().sort("name:desc").limit(9).collect_all().await?;
    let descending: Vec<String> = ascending.iter().rev().cloned().collect();
    expect::equal("sort=name:desc", names_of(&got), descending)?;
    // Two keys, both syntaxes: disk format ascending, then name descending. On one page:
    // Glance 33 builds its `next` link from `dict(request.params)`, which keeps only the
    // last of repeated parameters, so page two of `sort_key=a&sort_key=b` is sorted by `b`
    // alone (the mock keeps both). `sort=a:asc,b:desc` is one parameter and pages fine.
    let mut two_keys: Vec<(String, String)> = plans
        .iter()
        .filter(|p| !p.hidden)
        .map(|p| (p.disk.to_string(), p.name.clone()))
        .collect();
    two_keys.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let want: Vec<String> = two_keys.into_iter().map(|(_, name)| name).collect();
    let got = mine()
        .sort_by("disk_format", SortDir::Asc)
        .sort_by("name", SortDir::Desc)
        .limit(100)
        .collect_all()
        .await?;
    expect::equal("sort_key=disk_format,name", names_of(&got), want.clone())?;
    let got = mine()
        .sort("disk_format:asc,name:desc")
        .limit(11)
        .collect_all()
        .await?;
    expect::equal("sort=disk_format:asc,name:desc", names_of(&got), want)?;
    // Both syntaxes at once is refused before sending.
    let result = mine()
        .sort("name:asc")
        .sort_by("size", SortDir::Asc)
        .first_page()
        .await;
    expect::error(
        "sort and sort_key together",
        result,
        ErrorKind::InvalidInput,
        None,
    )?;
    Ok(())
}

/// Creates image `i`, with `data` random bytes uploaded when given.
async fn make(
    images: &Images,
    i: usize,
    create: CreateImage,
    data: Option<usize>,
) -> Result<Image> {
    let mut image = create
        .send()
        .await
        .with_context(|| format!("creating image {i}"))?;
    if let Some(len) = data {
        image = images
            .upload(&image.id, bytes(&disks::random_bytes(len)))
            .send()
            .await
            .with_context(|| format!("uploading image {i}"))?;
    }
    Ok(image)
}

/// Show by id; find by id, by name, a hidden one by name; an ambiguous name, a missing
/// one, and an empty one refused.
async fn show_find(f: &Fixture) -> Result<()> {
    let images = f.admin.image().images();
    let plain = f
        .image(&images, "plain")
        .disk_format(DiskFormat::Raw)
        .container_format(ContainerFormat::Bare)
        .min_disk(3)
        .min_ram(256)
        .property("os_distro", "debian")
        .send()
        .await?;
    let hidden = f.image(&images, "hidden").os_hidden(true).send().await?;
    let twin_a = f.image(&images, "twin").send().await?;
    let twin_b = f.image(&images, "twin").send().await?;

    let shown = images.get(&plain.id).await?;
    expect::equal("name", shown.name.clone(), Some(f.name("plain")))?;
    expect::equal("status", &shown.status, &ImageStatus::Queued)?;
    expect::equal("min_disk", shown.min_disk, 3)?;
    expect::equal("min_ram", shown.min_ram, 256)?;
    expect::equal("os_distro", shown.os_distro(), Some("debian"))?;
    expect::equal("tags", shown.tags.clone(), vec![f.tag().to_owned()])?;
    expect::equal(
        "visibility (Glance's default)",
        &shown.visibility,
        &Visibility::Shared,
    )?;
    ensure!(!shown.protected && !shown.os_hidden);
    let owner = f.admin.identity().tokens().current().await?;
    expect::equal("owner", shown.owner.as_deref(), owner.project_id())?;
    let id = plain.id.as_str();
    expect::equal(
        "self",
        shown.self_link.clone(),
        Some(format!("/v2/images/{id}")),
    )?;
    expect::equal(
        "file",
        shown.file.clone(),
        Some(format!("/v2/images/{id}/file")),
    )?;
    expect::equal("schema", shown.schema.as_deref(), Some("/v2/schemas/image"))?;
    ensure!(
        shown.created_at.is_some() && shown.created_at <= shown.updated_at,
        "created_at {:?} is not before updated_at {:?}",
        shown.created_at,
        shown.updated_at
    );
    expect::equal("size of a queued image", shown.size, None)?;
    expect::equal(
        "checksum of a queued image",
        shown.checksum.as_deref(),
        None,
    )?;

    expect::equal("find by id", images.find(id).await?.id, plain.id.clone())?;
    expect::equal(
        "find by name",
        images.find(&f.name("plain")).await?.id,
        plain.id.clone(),
    )?;
    expect::equal(
        "find a hidden image by name",
        images.find(&f.name("hidden")).await?.id,
        hidden.id.clone(),
    )?;
    let err = expect::error(
        "find an ambiguous name",
        images.find(&f.name("twin")).await,
        ErrorKind::Lookup,
        None,
    )?;
    for twin in [&twin_a, &twin_b] {
        ensure!(
            err.message().contains(twin.id.as_str()),
            "the ambiguity error does not name {}: {err}",
            twin.id
        );
    }
    expect::error(
        "find a missing name",
        images.find(&f.name("missing")).await,
        ErrorKind::Lookup,
        None,
    )?;
    expect::error(
        "find an empty name",
        images.find("").await,
        ErrorKind::InvalidInput,
        None,
    )?;
    expect::error(
        "show a missing id",
        images.get("6f0f1a52-8d8e-4e4c-9d0e-000000000000").await,
        ErrorKind::NotFound,
        Some(404),
    )?;
    expect::error(
        "show a name as an id",
        images.get(f.name("plain").as_str()).await,
        ErrorKind::NotFound,
        Some(404),
    )?;
    Ok(())
}
