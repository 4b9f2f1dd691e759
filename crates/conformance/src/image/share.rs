//! Members: the owner shares an image with a project, which sees it once it accepts, and
//! loses it when the owner takes it back.

use anyhow::{Context, Result, ensure};
use ferrostack::ErrorKind;
use ferrostack::image::{ListImages, MemberStatus, Visibility};

use super::{bytes, download_equals, ids};
use crate::{Case, Fixture, case, disks, expect};

pub(crate) fn cases() -> Vec<Case> {
    vec![case!("image.members", members)]
}

async fn members(f: &Fixture) -> Result<()> {
    let owner = f.admin.image().images();
    let member = f.demo.image().images();
    let demo_project = f
        .demo
        .identity()
        .tokens()
        .current()
        .await?
        .project_id()
        .context("the member's token has no project")?
        .to_owned();
    let data = disks::random_bytes(16 * 1024);
    let image = f
        .image(&owner, "shared")
        .visibility(Visibility::Shared)
        .data(bytes(&data))
        .send()
        .await?;
    // The image's members, as its owner and as the member project see them.
    let owner_members = f.admin.image().members(&image.id);
    let member_members = f.demo.image().members(&image.id);
    let listed_by_member = |list: ListImages| async move {
        let images = list.collect_all().await?;
        anyhow::Ok(ids(&images))
    };
    let mine = || member.list().tag(f.tag());
    let just_it = vec![image.id.to_string()];

    let added = owner_members.create(&demo_project).await?;
    expect::equal("new member's status", &added.status, &MemberStatus::Pending)?;
    expect::equal("member id", added.member_id.as_str(), demo_project.as_str())?;
    expect::equal("member's image", &added.image_id, &image.id)?;
    let result = owner_members.create(&demo_project).await;
    expect::error(
        "adding the member twice",
        result,
        ErrorKind::Conflict,
        Some(409),
    )?;
    let all = owner_members.list().collect_all().await?;
    expect::equal("member count", all.len(), 1)?;
    expect::equal(
        "listed member",
        all[0].member_id.as_str(),
        demo_project.as_str(),
    )?;
    let one = owner_members.get(&demo_project).await?;
    expect::equal("shown member's status", &one.status, &MemberStatus::Pending)?;

    // Pending: the member can show it but does not list it by default.
    member
        .get(&image.id)
        .await
        .context("the member shows a pending image")?;
    expect::equal(
        "member's default listing (pending)",
        listed_by_member(mine()).await?,
        vec![],
    )?;
    expect::equal(
        "member's listing of pending images",
        listed_by_member(mine().member_status(MemberStatus::Pending)).await?,
        just_it.clone(),
    )?;
    expect::equal(
        "member's listing of every member status",
        listed_by_member(mine().all_member_statuses()).await?,
        just_it.clone(),
    )?;

    let accepted = member_members
        .update(&demo_project, MemberStatus::Accepted)
        .await?;
    expect::equal(
        "status after accepting",
        &accepted.status,
        &MemberStatus::Accepted,
    )?;
    expect::equal(
        "member's default listing (accepted)",
        listed_by_member(mine()).await?,
        just_it.clone(),
    )?;
    download_equals(&member, &image.id, &data)
        .await
        .context("the member downloads the shared image")?;

    let rejected = member_members
        .update(&demo_project, MemberStatus::Rejected)
        .await?;
    expect::equal(
        "status after rejecting",
        &rejected.status,
        &MemberStatus::Rejected,
    )?;
    expect::equal(
        "member's default listing (rejected)",
        listed_by_member(mine()).await?,
        vec![],
    )?;
    // A member may not add members to someone else's image.
    let result = member_members
        .create("00000000000000000000000000000000")
        .await;
    ensure!(
        result
            .as_ref()
            .is_err_and(|e| matches!(e.kind(), ErrorKind::Forbidden | ErrorKind::NotFound)),
        "a member adding members: expected 403 or 404, got {:?}",
        result.map(|m| m.member_id).map_err(|e| e.to_string())
    );

    owner_members.delete(&demo_project).await?;
    expect::equal(
        "members after removal",
        owner_members.list().collect_all().await?.len(),
        0,
    )?;
    let result = member.get(&image.id).await;
    expect::error(
        "the former member shows the image",
        result,
        ErrorKind::NotFound,
        Some(404),
    )?;
    let result = owner_members.get(&demo_project).await;
    expect::error(
        "showing a removed member",
        result,
        ErrorKind::NotFound,
        Some(404),
    )?;

    // Only shared images have members.
    let private = f
        .image(&owner, "private")
        .visibility(Visibility::Private)
        .send()
        .await?;
    let result = f
        .admin
        .image()
        .members(&private.id)
        .create(&demo_project)
        .await;
    expect::error(
        "a member of a private image",
        result,
        ErrorKind::Forbidden,
        Some(403),
    )?;
    Ok(())
}
