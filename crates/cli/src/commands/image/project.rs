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
    let session = cloud.session();
    let by_id = Request::get(ServiceType::Identity, format!("/projects/{name_or_id}"));
    match session.send_json::<One>(by_id).await {
        Ok(one) => return Ok(one.project.id),
        Err(e) if e.status() == Some(403) => return Ok(name_or_id.to_owned()),
        Err(e) if e.is_not_found() => {}
        Err(e) => return Err(e).with_context(|| format!("--project {name_or_id}")),
    }
    let mut by_name = Request::get(ServiceType::Identity, "/projects").query("name", name_or_id);
    if let Some(domain) = domain {
        by_name = by_name.query("domain_id", domain);
    }
    let found = match session.send_json::<Many>(by_name).await {
        Ok(many) => many.projects,
        Err(e) if e.status() == Some(403) => return Ok(name_or_id.to_owned()),
        Err(e) => return Err(e).with_context(|| format!("--project {name_or_id}")),
    };
    match found.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => bail!("--project {name_or_id}: no project has this name or id"),
        many => bail!(
            "--project {name_or_id}: {} projects have this name: add --project-domain",
            many.len()
        ),
    }
}
