//! `--project NAME_OR_ID [--project-domain D]`: a project's id, found the way
//! openstackclient's `find_project_id_sdk` finds it.

use anyhow::{Context as _, Result, bail};
use ferrostack::Cloud;
use ferrostack::request::{Request, ServiceType};
use serde::Deserialize;

#[derive(Deserialize)]
struct One {
    project: Project,
}

#[derive(Deserialize)]
struct Many {
    projects: Vec<Project>,
}

#[derive(Deserialize)]
struct Project {
    id: String,
}

/// By id first, then by name (in `domain` when given). A user who may not read projects
/// (Keystone says 403) gets the value back as an id, as openstackclient does: Glance
/// takes member and owner ids without asking Keystone either.
pub async fn id(cloud: &Cloud, name_or_id: &str, domain: Option<&str>) -> Result<String> {
    match lookup(cloud, name_or_id, domain).await? {
        Some(id) => Ok(id),
        None => bail!("--project {name_or_id}: no project has this name or id"),
    }
}

/// As [`id`], but `None` when no project has this name or id (openstackclient's
/// `CommandError()` without words, or the value itself when it does not validate).
pub async fn lookup(
    cloud: &Cloud,
    name_or_id: &str,
    domain: Option<&str>,
) -> Result<Option<String>> {
    let session = cloud.session();
    let by_id = Request::get(ServiceType::Identity, format!("/projects/{name_or_id}"));
    match session.send_json::<One>(by_id).await {
        Ok(one) => return Ok(Some(one.project.id)),
        Err(e) if e.status() == Some(403) => return Ok(Some(name_or_id.to_owned())),
        Err(e) if e.is_not_found() => {}
        Err(e) => return Err(e).with_context(|| format!("--project {name_or_id}")),
    }
    let mut by_name = Request::get(ServiceType::Identity, "/projects").query("name", name_or_id);
    if let Some(domain) = domain {
        by_name = by_name.query("domain_id", domain);
    }
    let found = match session.send_json::<Many>(by_name).await {
        Ok(many) => many.projects,
        Err(e) if e.status() == Some(403) => return Ok(Some(name_or_id.to_owned())),
        Err(e) => return Err(e).with_context(|| format!("--project {name_or_id}")),
    };
    match found.as_slice() {
        [one] => Ok(Some(one.id.clone())),
        [] => Ok(None),
        many => bail!(
            "--project {name_or_id}: {} projects have this name: add --project-domain",
            many.len()
        ),
    }
}
