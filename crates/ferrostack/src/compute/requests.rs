//! Every Nova operation as a plain [`Request`], shaped by the microversion in force, before
//! anything is sent.

use serde_json::{Value, json};

use super::create::ServerSpec;
use super::ids::{FlavorId, KeypairName, ServerId};
use super::keypair::KeypairType;
use super::microversion::Microversion;
use super::server::ServerStatus;
use crate::error::{Error, Result};
use crate::image::ImageId;
use crate::request::{Request, ServiceType, segment};

mod flavor;
mod network;
pub(crate) mod operator;
pub(crate) use flavor::{
    FlavorSpec, create_flavor, delete_extra_spec, delete_flavor, flavor_access_action,
    list_extra_specs, list_flavor_access, set_extra_specs, show_extra_spec,
    update_flavor_description,
};
pub(crate) use network::{
    add_security_group, attach_interface, detach_interface, list_interfaces, remove_security_group,
    show_interface,
};

fn compute(method: http::Method, path: String, version: Microversion) -> Request {
    Request::new(ServiceType::Compute, method, path).microversion(version.to_string())
}

fn server_path(id: &ServerId) -> String {
    format!("/servers/{}", segment(id.as_str()))
}

// ---------------------------------------------------------------------------------------------
// Servers

/// Filters of `GET /servers/detail`. Unset filters are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ServerQuery {
    /// `name`: a regular expression Nova matches against names (`^web-1$` for exactly).
    pub(crate) name: Option<String>,
    /// `status`.
    pub(crate) status: Option<ServerStatus>,
    /// `image`: servers booted from this image.
    pub(crate) image: Option<ImageId>,
    /// `flavor`: servers of this flavor id.
    pub(crate) flavor: Option<FlavorId>,
    /// `changes-since`: servers changed (deleted ones included) since then.
    pub(crate) changes_since: Option<jiff::Timestamp>,
    /// `all_tenants`: every project's servers (admin only).
    pub(crate) all_tenants: bool,
    /// `project_id`: one project's servers (admin only, with `all_tenants`).
    pub(crate) project_id: Option<String>,
    /// `ip`: a regular expression over IPv4 addresses.
    pub(crate) ip: Option<String>,
    /// `host` (admin only).
    pub(crate) host: Option<String>,
    /// `limit`: the page size; the stream follows every page regardless.
    pub(crate) limit: Option<u32>,
}

/// `GET /servers/detail` with `query`.
pub(crate) fn list_servers(query: &ServerQuery, version: Microversion) -> Request {
    let ts = |t: &jiff::Timestamp| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    compute(http::Method::GET, "/servers/detail".into(), version)
        .query_opt("name", query.name.clone())
        .query_opt(
            "status",
            query.status.as_ref().map(|s| s.as_str().to_owned()),
        )
        .query_opt("image", query.image.as_ref().map(|i| i.to_string()))
        .query_opt("flavor", query.flavor.as_ref().map(|f| f.to_string()))
        .query_opt("changes-since", query.changes_since.as_ref().map(ts))
        .query_opt("all_tenants", query.all_tenants.then_some("True"))
        .query_opt("project_id", query.project_id.clone())
        .query_opt("ip", query.ip.clone())
        .query_opt("host", query.host.clone())
        .query_opt("limit", query.limit.map(|l| l.to_string()))
}

/// `GET /servers/{id}`.
pub(crate) fn show_server(id: &ServerId, version: Microversion) -> Request {
    compute(http::Method::GET, server_path(id), version)
}

/// `POST /servers`.
pub(crate) fn create_server(spec: &ServerSpec, version: Microversion) -> Result<Request> {
    Ok(compute(http::Method::POST, "/servers".into(), version).json(spec.body(version)?))
}

/// `PUT /servers/{id}` renaming the server.
pub(crate) fn rename_server(id: &ServerId, name: &str, version: Microversion) -> Result<Request> {
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err(Error::invalid_input(format!(
            "server {id}: new name {name:?} must be 1 to 255 characters, not only spaces"
        )));
    }
    Ok(compute(http::Method::PUT, server_path(id), version)
        .json(json!({ "server": { "name": name } })))
}

/// `POST /servers/{id}/metadata`: `metadata` merged into the server's (keys it names are
/// replaced, others kept). Nova's limits (keys of 1 to 255 characters, values up to 255).
pub(crate) fn merge_server_metadata(
    id: &ServerId,
    metadata: &std::collections::BTreeMap<String, String>,
    version: Microversion,
) -> Result<Request> {
    for (key, value) in metadata {
        if key.is_empty() || key.chars().count() > 255 || value.chars().count() > 255 {
            return Err(Error::invalid_input(format!(
                "server {id}: metadata {key:?}={value:?}: keys are 1 to 255 characters, \
                 values up to 255"
            )));
        }
    }
    Ok(compute(
        http::Method::POST,
        format!("{}/metadata", server_path(id)),
        version,
    )
    .json(json!({ "metadata": metadata })))
}

/// `DELETE /servers/{id}/metadata/{key}`.
pub(crate) fn delete_server_metadata(id: &ServerId, key: &str, version: Microversion) -> Request {
    compute(
        http::Method::DELETE,
        format!("{}/metadata/{}", server_path(id), segment(key)),
        version,
    )
}

/// `DELETE /servers/{id}`.
pub(crate) fn delete_server(id: &ServerId, version: Microversion) -> Request {
    compute(http::Method::DELETE, server_path(id), version)
}

// ---------------------------------------------------------------------------------------------
// Actions

/// How to reboot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebootKind {
    /// Ask the guest OS to restart.
    Soft,
    /// Power-cycle the VM.
    Hard,
}

impl RebootKind {
    /// `SOFT` or `HARD`.
    pub fn as_str(self) -> &'static str {
        match self {
            RebootKind::Soft => "SOFT",
            RebootKind::Hard => "HARD",
        }
    }
}

/// The kind of VNC console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VncConsole {
    /// noVNC, in a browser.
    NoVnc,
    /// The older XVP VNC proxy.
    XvpVnc,
}

impl VncConsole {
    /// `novnc` or `xvpvnc`.
    pub fn as_str(self) -> &'static str {
        match self {
            VncConsole::NoVnc => "novnc",
            VncConsole::XvpVnc => "xvpvnc",
        }
    }
}

fn action(id: &ServerId, body: Value, version: Microversion) -> Request {
    compute(
        http::Method::POST,
        format!("{}/action", server_path(id)),
        version,
    )
    .json(body)
}

/// `os-start`: boot a SHUTOFF server.
pub(crate) fn start(id: &ServerId, version: Microversion) -> Request {
    action(id, json!({ "os-start": null }), version)
}

/// `os-stop`: shut an ACTIVE server down.
pub(crate) fn stop(id: &ServerId, version: Microversion) -> Request {
    action(id, json!({ "os-stop": null }), version)
}

/// `reboot` with `SOFT` or `HARD`.
pub(crate) fn reboot(id: &ServerId, kind: RebootKind, version: Microversion) -> Request {
    action(id, json!({ "reboot": { "type": kind.as_str() } }), version)
}

/// `os-getConsoleOutput`: the last `lines` lines of the console log, or all of it.
/// It only reads, so it may be retried.
pub(crate) fn console_output(id: &ServerId, lines: Option<u32>, version: Microversion) -> Request {
    let length = lines.map_or(Value::Null, |n| json!(n));
    action(
        id,
        json!({ "os-getConsoleOutput": { "length": length } }),
        version,
    )
    .idempotent(true)
}

/// A VNC console URL: `POST /servers/{id}/remote-consoles` from 2.6, the
/// `os-getVNCConsole` action before. Each call only mints a token, so it may be retried.
pub(crate) fn remote_console(id: &ServerId, kind: VncConsole, version: Microversion) -> Request {
    if version >= Microversion::REMOTE_CONSOLES {
        compute(
            http::Method::POST,
            format!("{}/remote-consoles", server_path(id)),
            version,
        )
        .json(json!({ "remote_console": { "protocol": "vnc", "type": kind.as_str() } }))
        .idempotent(true)
    } else {
        action(
            id,
            json!({ "os-getVNCConsole": { "type": kind.as_str() } }),
            version,
        )
        .idempotent(true)
    }
}

// ---------------------------------------------------------------------------------------------
// Flavors

/// Filters of `GET /flavors/detail`. Unset filters are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FlavorQuery {
    /// `is_public`: `Some(true)` public only, `Some(false)` private only (admins and the
    /// projects they were given to); `None` Nova's default (public, plus an admin's own).
    pub(crate) is_public: Option<bool>,
    /// `is_public=None`: public and private flavors alike (wins over `is_public`).
    pub(crate) all: bool,
    /// `minDisk`, GiB.
    pub(crate) min_disk: Option<u64>,
    /// `minRam`, MiB.
    pub(crate) min_ram: Option<u64>,
    /// `sort_key` and `sort_dir`.
    pub(crate) sort: Option<(String, String)>,
    /// `limit`: the page size; the stream follows every page regardless.
    pub(crate) limit: Option<u32>,
}

/// `GET /flavors/detail` with `query`.
pub(crate) fn list_flavors(query: &FlavorQuery, version: Microversion) -> Request {
    compute(http::Method::GET, "/flavors/detail".into(), version)
        .query_opt(
            "is_public",
            if query.all {
                Some("None".to_owned())
            } else {
                query.is_public.map(|p| p.to_string())
            },
        )
        .query_opt("minDisk", query.min_disk.map(|d| d.to_string()))
        .query_opt("minRam", query.min_ram.map(|r| r.to_string()))
        .query_opt("sort_key", query.sort.as_ref().map(|(k, _)| k.clone()))
        .query_opt("sort_dir", query.sort.as_ref().map(|(_, d)| d.clone()))
        .query_opt("limit", query.limit.map(|l| l.to_string()))
}

/// `GET /flavors/{id}`.
pub(crate) fn show_flavor(id: &FlavorId, version: Microversion) -> Request {
    compute(
        http::Method::GET,
        format!("/flavors/{}", segment(id.as_str())),
        version,
    )
}

// ---------------------------------------------------------------------------------------------
// Keypairs

/// A keypair to create: import a public key, or have Nova generate the pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeypairSpec {
    /// The name.
    pub(crate) name: KeypairName,
    /// The public key to import; `None` asks Nova to generate a pair (before 2.92 only).
    pub(crate) public_key: Option<String>,
    /// `ssh` or `x509` (sent from 2.2).
    pub(crate) kind: Option<KeypairType>,
}

/// Filters of `GET /os-keypairs`. Unset filters are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeypairQuery {
    /// `user_id`: another user's keypairs (admin, from 2.10).
    pub(crate) user_id: Option<String>,
    /// `limit`: the page size (from 2.35); the stream follows every page regardless.
    pub(crate) limit: Option<u32>,
}

/// `GET /os-keypairs` with `query`; a filter the microversion in force does not know is an
/// error naming it, not a filter Nova would silently ignore.
pub(crate) fn list_keypairs(query: &KeypairQuery, version: Microversion) -> Result<Request> {
    let needs = |filter: &str, since: Microversion| {
        if version < since {
            Err(Error::invalid_input(format!(
                "keypair list: {filter} needs compute microversion {since} or later (in force: {version})"
            )))
        } else {
            Ok(())
        }
    };
    if query.user_id.is_some() {
        needs("user_id", Microversion(2, 10))?;
    }
    if query.limit.is_some() {
        needs("limit", Microversion(2, 35))?;
    }
    Ok(compute(http::Method::GET, "/os-keypairs".into(), version)
        .query_opt("user_id", query.user_id.clone())
        .query_opt("limit", query.limit.map(|l| l.to_string())))
}

/// `GET /os-keypairs/{name}`.
pub(crate) fn show_keypair(name: &KeypairName, version: Microversion) -> Request {
    compute(
        http::Method::GET,
        format!("/os-keypairs/{}", segment(name.as_str())),
        version,
    )
}

/// `POST /os-keypairs`. Nova stopped generating keys at 2.92, so a generated pair is asked
/// for at 2.91 at the newest: the one shape that still works on every cloud that has it.
pub(crate) fn create_keypair(spec: &KeypairSpec, version: Microversion) -> Result<Request> {
    let name = spec.name.as_str();
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err(Error::invalid_input(format!(
            "keypair name {name:?}: must be 1 to 255 characters"
        )));
    }
    let version = match &spec.public_key {
        None if version >= Microversion::NO_KEYPAIR_GENERATION => Microversion(2, 91),
        _ => version,
    };
    let mut keypair = serde_json::Map::new();
    keypair.insert("name".into(), json!(name));
    if let Some(key) = &spec.public_key {
        if key.trim().is_empty() {
            return Err(Error::invalid_input(format!(
                "keypair {name}: the public key is empty"
            )));
        }
        keypair.insert("public_key".into(), json!(key));
    }
    match &spec.kind {
        Some(kind) if version >= Microversion::KEYPAIR_TYPE => {
            keypair.insert("type".into(), json!(kind.as_str()));
        }
        // Before 2.2 every keypair is an SSH key: only another type is worth refusing.
        Some(kind) if *kind != KeypairType::Ssh => {
            return Err(Error::invalid_input(format!(
                "keypair {name}: type {kind} needs compute microversion {} or later (in force: {version})",
                Microversion::KEYPAIR_TYPE
            )));
        }
        _ => {}
    }
    Ok(compute(http::Method::POST, "/os-keypairs".into(), version)
        .json(json!({ "keypair": keypair })))
}

/// `DELETE /os-keypairs/{name}`.
pub(crate) fn delete_keypair(name: &KeypairName, version: Microversion) -> Request {
    compute(
        http::Method::DELETE,
        format!("/os-keypairs/{}", segment(name.as_str())),
        version,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::create::{NetworkAttachment, Networks};
    use crate::error::ErrorKind;

    /// The versions at which some operation changes shape.
    const VERSIONS: [Microversion; 5] = [
        Microversion(2, 1),
        Microversion(2, 6),
        Microversion(2, 37),
        Microversion(2, 47),
        Microversion::CLIENT_MAX,
    ];

    /// One snapshot per operation: the request at each version in force, oldest first.
    fn by_version(build: impl Fn(Microversion) -> Request) -> Value {
        VERSIONS
            .iter()
            .map(|v| {
                json!({
                    "in_force": v.to_string(),
                    "request": serde_json::to_value(build(*v).redacted()).unwrap(),
                })
            })
            .collect()
    }

    fn id() -> ServerId {
        ServerId::new("9168b536-cd40-4630-b43f-b259807c6e87")
    }

    #[test]
    fn server_reads_and_writes() {
        let query = ServerQuery {
            name: Some("^web-1$".into()),
            status: Some(ServerStatus::Active),
            image: Some("70a599e0-31e7-49b7-b260-868f441e862b".into()),
            flavor: Some("1".into()),
            changes_since: Some("2026-11-28T12:00:00Z".parse().unwrap()),
            all_tenants: true,
            project_id: Some("6f70656e".into()),
            ip: Some("10\\.0\\.".into()),
            host: Some("compute-1".into()),
            limit: Some(50),
        };
        insta::assert_json_snapshot!("list_servers", by_version(|v| list_servers(&query, v)));
        insta::assert_json_snapshot!(
            "list_servers_unfiltered",
            serde_json::to_value(
                list_servers(&ServerQuery::default(), Microversion::CLIENT_MAX).redacted()
            )
            .unwrap()
        );
        insta::assert_json_snapshot!("show_server", by_version(|v| show_server(&id(), v)));
        insta::assert_json_snapshot!(
            "rename_server",
            by_version(|v| rename_server(&id(), "web-2", v).unwrap())
        );
        insta::assert_json_snapshot!("delete_server", by_version(|v| delete_server(&id(), v)));
        let metadata = [
            ("a".to_owned(), "b".to_owned()),
            ("c d".to_owned(), String::new()),
        ]
        .into_iter()
        .collect();
        insta::assert_json_snapshot!(
            "merge_server_metadata",
            by_version(|v| merge_server_metadata(&id(), &metadata, v).unwrap())
        );
        insta::assert_json_snapshot!(
            "delete_server_metadata",
            by_version(|v| delete_server_metadata(&id(), "c d/e", v))
        );
        let long = [("k".repeat(256), "v".to_owned())].into_iter().collect();
        let err = merge_server_metadata(&id(), &long, Microversion::CLIENT_MAX).unwrap_err();
        assert!(
            err.to_string().contains("keys are 1 to 255 characters"),
            "{err}"
        );
    }

    #[test]
    fn create_server_shapes() {
        let minimal = ServerSpec::new("web-1", "70a599e0-31e7-49b7-b260-868f441e862b", "1");
        insta::assert_json_snapshot!(
            "create_server_minimal",
            by_version(|v| create_server(&minimal, v).unwrap())
        );
        let mut full = minimal.clone();
        full.networks = Networks::List(vec![
            NetworkAttachment::network("3cb9bc59-5699-4588-a4b1-b87f96708bc6"),
            NetworkAttachment::fixed_ip(
                "3cb9bc59-5699-4588-a4b1-b87f96708bc6",
                "10.0.0.7".parse().unwrap(),
            ),
            NetworkAttachment::port("ce531f90-199f-48c0-816c-13e38010b442"),
        ]);
        full.key_name = Some("mykey".into());
        full.user_data = Some(b"#!/bin/sh\necho booted\n".to_vec());
        full.metadata.insert("role".into(), "web".into());
        full.availability_zone = Some("nova".into());
        full.config_drive = Some(true);
        full.security_groups = vec!["default".into(), "web".into()];
        insta::assert_json_snapshot!(
            "create_server_full",
            by_version(|v| create_server(&full, v).unwrap())
        );
        let mut none = minimal.clone();
        none.networks = Networks::None;
        let at = |v| create_server(&none, v);
        insta::assert_json_snapshot!(
            "create_server_no_network",
            serde_json::to_value(at(Microversion(2, 37)).unwrap().redacted()).unwrap()
        );
        let err = at(Microversion(2, 36)).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::InvalidInput);
        assert!(
            err.message().contains("needs compute microversion 2.37")
                && err.message().contains("in force: 2.36"),
            "{err}"
        );
    }

    #[test]
    fn create_server_refuses_bad_input_before_sending() {
        let v = Microversion::CLIENT_MAX;
        let spec = ServerSpec::new("web-1", "img", "1");
        let cases: Vec<(ServerSpec, &str)> = vec![
            (
                ServerSpec {
                    name: "  ".into(),
                    ..spec.clone()
                },
                "server name \"  \"",
            ),
            (
                ServerSpec {
                    name: "x".repeat(256),
                    ..spec.clone()
                },
                "1 to 255 characters",
            ),
            (
                ServerSpec {
                    image: "".into(),
                    ..spec.clone()
                },
                "the image id is empty",
            ),
            (
                ServerSpec {
                    flavor: "".into(),
                    ..spec.clone()
                },
                "the flavor id is empty",
            ),
            (
                ServerSpec {
                    networks: Networks::List(vec![]),
                    ..spec.clone()
                },
                "the network list is empty",
            ),
            (
                ServerSpec {
                    user_data: Some(vec![b'x'; 50_000]),
                    ..spec.clone()
                },
                "user data is 66668 bytes once base64-encoded; Nova accepts at most 65535",
            ),
            (
                ServerSpec {
                    metadata: [(String::new(), "v".to_owned())].into(),
                    ..spec.clone()
                },
                "metadata key \"\"",
            ),
            (
                ServerSpec {
                    security_groups: vec![" ".to_owned()],
                    ..spec.clone()
                },
                "security group \" \" has no name",
            ),
        ];
        for (bad, expected) in cases {
            let err = create_server(&bad, v).unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::InvalidInput);
            assert!(err.message().contains(expected), "{err} / {expected}");
        }
        let err = rename_server(&id(), "", v).unwrap_err();
        assert!(err.message().contains("new name \"\""), "{err}");
    }

    #[test]
    fn actions() {
        insta::assert_json_snapshot!("start", by_version(|v| start(&id(), v)));
        insta::assert_json_snapshot!("stop", by_version(|v| stop(&id(), v)));
        insta::assert_json_snapshot!(
            "reboot_soft",
            by_version(|v| reboot(&id(), RebootKind::Soft, v))
        );
        insta::assert_json_snapshot!(
            "reboot_hard",
            by_version(|v| reboot(&id(), RebootKind::Hard, v))
        );
        insta::assert_json_snapshot!(
            "console_output_last_lines",
            by_version(|v| console_output(&id(), Some(20), v))
        );
        insta::assert_json_snapshot!(
            "console_output_all",
            serde_json::to_value(console_output(&id(), None, Microversion::CLIENT_MAX).redacted())
                .unwrap()
        );
        insta::assert_json_snapshot!(
            "remote_console_novnc",
            by_version(|v| remote_console(&id(), VncConsole::NoVnc, v))
        );
    }

    #[test]
    fn flavors_and_keypairs() {
        insta::assert_json_snapshot!(
            "list_flavors",
            by_version(|v| list_flavors(&FlavorQuery::default(), v))
        );
        insta::assert_json_snapshot!(
            "list_flavors_all",
            serde_json::to_value(
                list_flavors(
                    &FlavorQuery {
                        all: true,
                        is_public: Some(true),
                        ..FlavorQuery::default()
                    },
                    Microversion::CLIENT_MAX
                )
                .redacted()
            )
            .unwrap()
        );
        insta::assert_json_snapshot!(
            "show_flavor",
            by_version(|v| show_flavor(&FlavorId::new("m1 tiny/x"), v))
        );
        insta::assert_json_snapshot!(
            "list_keypairs",
            by_version(|v| list_keypairs(&KeypairQuery::default(), v).unwrap())
        );
        insta::assert_json_snapshot!(
            "show_keypair",
            by_version(|v| show_keypair(&KeypairName::new("my key"), v))
        );
        insta::assert_json_snapshot!(
            "delete_keypair",
            by_version(|v| delete_keypair(&KeypairName::new("my key"), v))
        );
        let import = KeypairSpec {
            name: "mykey".into(),
            public_key: Some("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0 me@host".into()),
            kind: Some(KeypairType::Ssh),
        };
        insta::assert_json_snapshot!(
            "create_keypair_import",
            by_version(|v| create_keypair(&import, v).unwrap())
        );
        let generate = KeypairSpec {
            public_key: None,
            ..import.clone()
        };
        // At 2.92 and later the request goes out at 2.91: see the `microversion` fields.
        insta::assert_json_snapshot!(
            "create_keypair_generate",
            by_version(|v| create_keypair(&generate, v).unwrap())
        );
        let err = create_keypair(
            &KeypairSpec {
                public_key: Some(" ".into()),
                ..import.clone()
            },
            Microversion::CLIENT_MAX,
        )
        .unwrap_err();
        assert!(
            err.message()
                .contains("keypair mykey: the public key is empty"),
            "{err}"
        );
        let err = create_keypair(
            &KeypairSpec {
                name: "".into(),
                ..import
            },
            Microversion::CLIENT_MAX,
        )
        .unwrap_err();
        assert!(err.message().contains("keypair name \"\""), "{err}");
        let x509 = KeypairSpec {
            name: "cert".into(),
            public_key: Some("-----BEGIN CERTIFICATE-----".into()),
            kind: Some(KeypairType::X509),
        };
        let err = create_keypair(&x509, Microversion(2, 1)).unwrap_err();
        assert_eq!(
            err.message(),
            "keypair cert: type x509 needs compute microversion 2.2 or later (in force: 2.1)"
        );
        assert!(create_keypair(&x509, Microversion(2, 2)).is_ok());
    }
}
