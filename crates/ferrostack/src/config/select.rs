//! Which cloud to load, and the stack of layers that makes it.

use super::CloudConfig;
use super::ConfigSource;
use super::environment::Environment;
use super::files::{CloudsFile, Files};
use super::finish::finish;
use super::layer::Layer;
use super::origin::{FileKind, Origin};

/// The cloud chosen.
#[derive(Debug, PartialEq, Eq)]
enum Choice<'a> {
    /// A cloud of clouds.yaml.
    File(&'a str),
    /// The cloud the `OS_*` variables make.
    Environment,
}

/// Loads the cloud asked for (see [`super::load`]).
pub(crate) fn load(
    source: &ConfigSource,
    files: &Files,
    env: &Environment<'_>,
    cloud: Option<&str>,
) -> crate::Result<CloudConfig> {
    match choose(files, env, cloud)? {
        Choice::File(name) => {
            let clouds = files
                .clouds
                .as_ref()
                .expect("a chosen file cloud has a file");
            from_file(source, files, clouds, env, name)
        }
        Choice::Environment => {
            let name = env.cloud_name();
            let layer = env.layer(name)?;
            let origin = Origin::Environment {
                cloud: name.to_owned(),
            };
            let region = layer.region_name.clone();
            finish(source, layer, region, Vec::new(), &origin, None)
                .map_err(|e| explain_shadowing(e, files, env, cloud))
        }
    }
}

/// A stray `OS_*` variable (say `OS_IDENTITY_API_VERSION` from an old openrc) makes the
/// variables' cloud win over a clouds.yaml that would have worked: say so in the error.
fn explain_shadowing(
    error: crate::Error,
    files: &Files,
    env: &Environment<'_>,
    cloud: Option<&str>,
) -> crate::Error {
    let asked = cloud.filter(|c| !c.is_empty()).or(env.selected()).is_some();
    match &files.clouds {
        Some(clouds) if !asked && !clouds.clouds.is_empty() => crate::Error::config(format!(
            "{}; OS_CLOUD is not set, so the OS_* variables make a cloud of their own \
             instead of using {}: set OS_CLOUD to use one of its clouds",
            error.message(),
            clouds.file
        )),
        _ => error,
    }
}

/// The names [`load`] accepts: clouds.yaml's, then the variables' cloud.
pub(crate) fn list(files: &Files, env: &Environment<'_>) -> crate::Result<Vec<String>> {
    check_env_name(files, env)?;
    let mut names: Vec<String> = files
        .clouds
        .iter()
        .flat_map(|c| c.names())
        .map(str::to_owned)
        .collect();
    if env.has_config() {
        names.push(env.cloud_name().to_owned());
    }
    Ok(names)
}

/// openstacksdk's choice: the name given, else `OS_CLOUD`, else the variables' own cloud
/// when they describe one, else the only cloud of clouds.yaml.
fn choose<'a>(
    files: &'a Files,
    env: &Environment<'a>,
    cloud: Option<&'a str>,
) -> crate::Result<Choice<'a>> {
    check_env_name(files, env)?;
    let (requested, asked_by) = match cloud.filter(|c| !c.is_empty()) {
        Some(name) => (Some(name), ""),
        None => (env.selected(), " (from OS_CLOUD)"),
    };
    let clouds = files.clouds.as_ref();
    let names = clouds.map(CloudsFile::names).unwrap_or_default();
    match requested {
        Some(name) if env.has_config() && name == env.cloud_name() => Ok(Choice::Environment),
        Some(name) if clouds.is_some_and(|c| c.cloud(name).is_some()) => Ok(Choice::File(name)),
        Some(name) => Err(crate::Error::config(format!(
            "cloud \"{name}\"{asked_by} is not defined{}",
            match clouds {
                Some(c) => format!(" in {}{}", c.file, defines(c)),
                None => format!(": {}", files.not_found(FileKind::Clouds)),
            }
        ))),
        None if env.has_config() => Ok(Choice::Environment),
        None => match (clouds, names.as_slice()) {
            (Some(_), [only]) => Ok(Choice::File(only)),
            (Some(c), []) => Err(crate::Error::config(format!(
                "no cloud is configured: {}{}, and no OS_* variables are set",
                c.file,
                defines(c)
            ))),
            (Some(c), several) => Err(crate::Error::config(format!(
                "{} defines several clouds ({}) and none was chosen: set OS_CLOUD or name one",
                c.file,
                several.join(", ")
            ))),
            (None, _) => Err(crate::Error::config(format!(
                "no cloud is configured: {}, and no OS_* variables are set",
                files.not_found(FileKind::Clouds)
            ))),
        },
    }
}

/// " (it defines: a, b)" and its variants, for "not defined" messages.
fn defines(clouds: &CloudsFile) -> String {
    let names = clouds.names();
    if !clouds.has_clouds_key {
        " (it has no top-level \"clouds\" key)".to_owned()
    } else if names.is_empty() {
        " (it defines no clouds)".to_owned()
    } else {
        format!(" (it defines: {})", names.join(", "))
    }
}

/// A clouds.yaml cloud may not share its name with the variables' cloud: which one a name
/// means would depend on the environment (openstacksdk refuses this too).
fn check_env_name(files: &Files, env: &Environment<'_>) -> crate::Result<()> {
    let name = env.cloud_name();
    match &files.clouds {
        Some(clouds) if env.has_config() && clouds.cloud(name).is_some() => {
            Err(clouds.file.error(format!(
                "cloud \"{name}\": the name is taken by the cloud made of OS_* variables; \
                 rename the cloud, or set OS_CLOUD_NAME to rename the variables' cloud"
            )))
        }
        _ => Ok(()),
    }
}

/// A clouds.yaml cloud: public cloud, clouds.yaml + secure.yaml, region values, variables.
fn from_file(
    source: &ConfigSource,
    files: &Files,
    clouds: &CloudsFile,
    env: &Environment<'_>,
    name: &str,
) -> crate::Result<CloudConfig> {
    let origin = Origin::File {
        file: clouds.file.clone(),
        cloud: name.to_owned(),
    };
    let raw = clouds.cloud(name).expect("the chosen cloud exists");
    let mut cloud = Layer::from_yaml(raw, &origin)?;
    if let Some(secure) = &files.secure
        && let Some(raw) = secure.cloud(name)
    {
        let secure_origin = Origin::File {
            file: secure.file.clone(),
            cloud: name.to_owned(),
        };
        cloud.merge(Layer::from_yaml(raw, &secure_origin)?);
    }

    let mut stack = match &cloud.profile {
        Some(profile) => public_cloud(files, profile, &origin)?,
        None => Layer::default(),
    };
    stack.merge(cloud);

    let env_layer = env.layer(name)?;
    let (region, regions) = choose_region(&mut stack, &env_layer, &origin, name)?;
    stack.merge(env_layer);
    finish(source, stack, region, regions, &origin, Some(name))
}

/// The settings of the public cloud `profile` names, from clouds-public.yaml.
fn public_cloud(files: &Files, profile: &str, origin: &Origin) -> crate::Result<Layer> {
    let Some(public) = &files.public else {
        return Err(origin.invalid(
            "profile",
            format!(
                "no public cloud \"{profile}\": {} (ferrostack has no built-in vendor profiles)",
                files.not_found(FileKind::Public)
            ),
        ));
    };
    let Some(raw) = public.cloud(profile) else {
        let known = public.names();
        return Err(origin.invalid(
            "profile",
            format!(
                "no public cloud \"{profile}\" in {}{}",
                public.file,
                if known.is_empty() {
                    String::new()
                } else {
                    format!(" (it has: {})", known.join(", "))
                }
            ),
        ));
    };
    let public_origin = Origin::File {
        file: public.file.clone(),
        cloud: profile.to_owned(),
    };
    Layer::from_yaml(raw, &public_origin)
}

/// Picks the region (`OS_REGION_NAME`, else `region_name`, else the first of `regions`),
/// checks it is one of `regions` when the cloud lists some, and merges its values into
/// `stack`. Returns the region and the names of all regions.
fn choose_region(
    stack: &mut Layer,
    env_layer: &Layer,
    origin: &Origin,
    cloud: &str,
) -> crate::Result<(Option<String>, Vec<String>)> {
    let (requested, asked_by) = match &env_layer.region_name {
        Some(region) => (
            Some(region.clone()),
            (
                Origin::Environment {
                    cloud: cloud.to_owned(),
                },
                "OS_REGION_NAME",
            ),
        ),
        None => (stack.region_name.clone(), (origin.clone(), "region_name")),
    };
    let regions = stack.regions.take().unwrap_or_default();
    if regions.is_empty() {
        return Ok((requested, Vec::new()));
    }
    let names: Vec<String> = regions.iter().map(|r| r.name.clone()).collect();
    let chosen = match &requested {
        None => &regions[0],
        Some(wanted) => regions.iter().find(|r| &r.name == wanted).ok_or_else(|| {
            let (origin, key) = &asked_by;
            origin.invalid(
                key,
                format!(
                    "\"{wanted}\" is not one of the cloud's regions ({}); region names are case sensitive",
                    names.join(", ")
                ),
            )
        })?,
    };
    let region = chosen.name.clone();
    stack.merge(chosen.values.clone());
    Ok((Some(region), names))
}

#[cfg(test)]
mod tests {
    use super::super::layer::Region;
    use super::*;

    fn origin() -> Origin {
        Origin::Environment { cloud: "c".into() }
    }

    fn regions(names: &[&str]) -> Layer {
        Layer {
            regions: Some(
                names
                    .iter()
                    .map(|n| Region {
                        name: n.to_string(),
                        values: Layer {
                            api_timeout: Some(names.len() as f64),
                            region_name: Some("ignored".into()),
                            ..Default::default()
                        },
                    })
                    .collect(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn first_region_by_default_and_its_values_apply() {
        let mut stack = regions(&["a", "b"]);
        let (region, names) = choose_region(&mut stack, &Layer::default(), &origin(), "c").unwrap();
        assert_eq!(region.as_deref(), Some("a"));
        assert_eq!(names, ["a", "b"]);
        assert_eq!(stack.api_timeout, Some(2.0));
    }

    #[test]
    fn the_environment_picks_over_the_file() {
        let mut stack = regions(&["a", "b"]);
        stack.region_name = Some("a".into());
        let env = Layer {
            region_name: Some("b".into()),
            ..Default::default()
        };
        let (region, _) = choose_region(&mut stack, &env, &origin(), "c").unwrap();
        assert_eq!(region.as_deref(), Some("b"));
        let env = Layer {
            region_name: Some("B".into()),
            ..Default::default()
        };
        let err = choose_region(&mut regions(&["a", "b"]), &env, &origin(), "c").unwrap_err();
        assert!(
            err.to_string().contains(
                "variable OS_REGION_NAME: \"B\" is not one of the cloud's regions (a, b)"
            ),
            "{err}"
        );
    }

    #[test]
    fn without_regions_the_name_is_free() {
        let mut stack = Layer {
            region_name: Some("anything".into()),
            ..Default::default()
        };
        let (region, names) = choose_region(&mut stack, &Layer::default(), &origin(), "c").unwrap();
        assert_eq!(region.as_deref(), Some("anything"));
        assert!(names.is_empty());
    }
}
