//! The compute client against Nova on wiremock: microversion negotiation, 409 messages,
//! waiters that fail fast on ERROR, pagination over `servers_links`, and the one-step
//! create-and-wait.

mod session_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ferrostack::ErrorKind;
use ferrostack::compute::{
    ComputeClient, Microversion, RebootKind, ServerId, ServerStatus, VncConsole,
};
use ferrostack::wait::{Backoff, Wait};
use futures::TryStreamExt;
use serde_json::{Value, json};
use session_support::Cloud;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

const ID: &str = "9168b536-cd40-4630-b43f-b259807c6e87";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../testdata/responses/nova/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Nova's 2.47 server sample with another name, status and task.
fn server(name: &str, status: &str, task: Option<&str>) -> Value {
    let mut body = fixture("server-show-2.47.json");
    let s = &mut body["server"];
    s["name"] = name.into();
    s["status"] = status.into();
    s["OS-EXT-STS:task_state"] = task.map_or(Value::Null, Value::from);
    body
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-compute-request-id", "req-ok")
        .set_body_json(body)
}

/// Answers each GET with the next body in turn, the last one repeating.
struct Sequence {
    answers: Vec<ResponseTemplate>,
    calls: Arc<AtomicUsize>,
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        self.answers[n.min(self.answers.len() - 1)].clone()
    }
}

async fn sequence(cloud: &Cloud, at: &str, answers: Vec<ResponseTemplate>) -> Arc<AtomicUsize> {
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(Sequence {
            answers,
            calls: calls.clone(),
        })
        .mount(&cloud.server)
        .await;
    calls
}

/// Nova announcing `min..=max` at its versioned endpoint (over the support's 2.1..=2.96).
async fn announce(cloud: &Cloud, min: &str, max: &str) {
    Mock::given(method("GET"))
        .and(path("/compute/v2.1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "version": {"id": "v2.1", "status": "CURRENT", "version": max, "min_version": min,
                "links": [{"rel": "self", "href": format!("{}/compute/v2.1/", cloud.uri())}]}
        })))
        .with_priority(1)
        .mount(&cloud.server)
        .await;
}

fn client(cloud: &Cloud) -> ComputeClient {
    ComputeClient::new(cloud.session(cloud.config()))
}

fn fast(timeout: Duration) -> Wait {
    Wait::new(timeout).backoff(Backoff::fixed(Duration::from_millis(1)))
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// Microversions

#[tokio::test]
async fn negotiates_the_highest_common_version_once() {
    let cloud = Cloud::start().await;
    announce(&cloud, "2.1", "2.60").await;
    let servers = format!("/compute/v2.1/servers/{ID}");
    Mock::given(method("GET"))
        .and(path(servers.as_str()))
        .respond_with(ok(server("web-1", "ACTIVE", None)))
        .mount(&cloud.server)
        .await;
    let compute = client(&cloud);
    assert_eq!(compute.microversion().await.unwrap(), Microversion(2, 60));
    compute.servers().get(ID).await.unwrap();
    compute.clone().servers().get(ID).await.unwrap();
    let sent = cloud.received_at("GET", &servers).await;
    assert_eq!(sent.len(), 2);
    for request in &sent {
        assert_eq!(
            header(request, "openstack-api-version").as_deref(),
            Some("compute 2.60")
        );
        assert_eq!(
            header(request, "x-openstack-nova-api-version").as_deref(),
            Some("2.60")
        );
    }
    assert_eq!(cloud.received_at("GET", "/compute/v2.1").await.len(), 1);
}

#[tokio::test]
async fn a_newer_cloud_gets_the_clients_newest_version() {
    let cloud = Cloud::start().await;
    announce(&cloud, "2.1", "2.100").await;
    assert_eq!(
        client(&cloud).microversion().await.unwrap(),
        Microversion::CLIENT_MAX
    );
}

#[tokio::test]
async fn a_pin_the_cloud_lacks_fails_before_any_call() {
    let cloud = Cloud::start().await;
    announce(&cloud, "2.1", "2.60").await;
    let compute = client(&cloud).with_microversion(Microversion(2, 79));
    let err = compute.servers().get(ID).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotAcceptable);
    assert_eq!(
        err.to_string(),
        "compute: compute microversion 2.79 is not supported by this cloud (it accepts 2.1..=2.60)"
    );
    assert!(
        cloud
            .received_at("GET", &format!("/compute/v2.1/servers/{ID}"))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn compute_api_version_in_the_config_pins_and_shapes_requests() {
    let cloud = Cloud::start().await;
    let mut config = cloud.config();
    config.api_versions.insert("compute".into(), "2.36".into());
    let compute = ComputeClient::new(cloud.session(config.clone()));
    Mock::given(method("POST"))
        .and(path("/compute/v2.1/servers"))
        .respond_with(ResponseTemplate::new(202).set_body_json(fixture("server-create-resp.json")))
        .mount(&cloud.server)
        .await;
    compute
        .servers()
        .create("web-1", "img", "1")
        .send()
        .await
        .unwrap();
    config.api_versions.insert("compute".into(), "2.37".into());
    let compute = ComputeClient::new(cloud.session(config.clone()));
    compute
        .servers()
        .create("web-1", "img", "1")
        .send()
        .await
        .unwrap();
    let posts = cloud.received_at("POST", "/compute/v2.1/servers").await;
    let body = |i: usize| serde_json::from_slice::<Value>(&posts[i].body).unwrap();
    assert_eq!(
        header(&posts[0], "openstack-api-version").as_deref(),
        Some("compute 2.36")
    );
    assert_eq!(body(0)["server"].get("networks"), None);
    assert_eq!(
        header(&posts[1], "openstack-api-version").as_deref(),
        Some("compute 2.37")
    );
    assert_eq!(body(1)["server"]["networks"], "auto");

    config.api_versions.insert("compute".into(), "two".into());
    let err = ComputeClient::new(cloud.session(config))
        .microversion()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Config);
    assert!(
        err.message().starts_with("compute_api_version: \"two\""),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Create, wait, and the 409s of actions

#[tokio::test]
async fn create_then_wait_active_reads_as_one_step() {
    let cloud = Cloud::start().await;
    Mock::given(method("POST"))
        .and(path("/compute/v2.1/servers"))
        .respond_with(ResponseTemplate::new(202).set_body_json(fixture("server-create-resp.json")))
        .mount(&cloud.server)
        .await;
    let created = "f5dc173b-6804-445a-a6d8-c705dad5b5eb";
    let polls = sequence(
        &cloud,
        &format!("/compute/v2.1/servers/{created}"),
        vec![
            ok(server("web-1", "BUILD", Some("spawning"))),
            ok(server("web-1", "BUILD", Some("networking"))),
            ok(server("web-1", "ACTIVE", None)),
        ],
    )
    .await;
    let compute = client(&cloud);
    let pending = compute
        .servers()
        .create("web-1", "70a599e0-31e7-49b7-b260-868f441e862b", "1")
        .key_name("mykey")
        .user_data("#!/bin/sh\necho hi\n")
        .metadata("role", "web")
        .send()
        .await
        .unwrap();
    assert_eq!(pending.id().as_str(), created);
    let admin_pass = pending.created().admin_pass.as_ref().unwrap();
    assert_eq!(format!("{admin_pass:?}"), "Secret(<redacted>)");
    let active = pending
        .wait_active(fast(Duration::from_secs(3600)))
        .await
        .unwrap();
    assert_eq!(active.status, ServerStatus::Active);
    assert_eq!(polls.load(Ordering::SeqCst), 3);

    let post = &cloud.received_at("POST", "/compute/v2.1/servers").await[0];
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(
        body,
        json!({"server": {
            "name": "web-1", "imageRef": "70a599e0-31e7-49b7-b260-868f441e862b", "flavorRef": "1",
            "networks": "auto", "key_name": "mykey", "user_data": "IyEvYmluL3NoCmVjaG8gaGkK",
            "metadata": {"role": "web"}
        }})
    );
}

#[tokio::test]
async fn error_fails_the_wait_fast_with_novas_fault() {
    let cloud = Cloud::start().await;
    let polls = sequence(
        &cloud,
        &format!("/compute/v2.1/servers/{ID}"),
        vec![
            ok(server("web-1", "BUILD", Some("scheduling"))),
            ok(fixture("server-show-error.json")),
        ],
    )
    .await;
    let err = client(&cloud)
        .servers()
        .wait_for_status(
            &ServerId::new(ID),
            ServerStatus::Active,
            fast(Duration::from_secs(3600)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::FailureState);
    assert_eq!(
        err.to_string(),
        format!(
            "compute: server new-server-test ({ID}) went to ERROR while waiting for ACTIVE: \
             No valid host was found. There are not enough hosts available. (fault code 500)"
        )
    );
    assert_eq!(polls.load(Ordering::SeqCst), 2, "no poll after ERROR");
}

#[tokio::test]
async fn a_timeout_names_the_last_state_seen() {
    let cloud = Cloud::start().await;
    sequence(
        &cloud,
        &format!("/compute/v2.1/servers/{ID}"),
        vec![ok(server("web-1", "SHUTOFF", Some("powering-on")))],
    )
    .await;
    let err = client(&cloud)
        .servers()
        .wait_for_status(
            &ServerId::new(ID),
            ServerStatus::Active,
            // Looks at once, and then as late as a look can still end by the deadline.
            Wait::new(Duration::from_secs(1)).interval(Duration::from_secs(10)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Timeout);
    let text = err.to_string();
    let expected = format!(
        "compute: gave up waiting for server {ID} to become ACTIVE \
         (last seen: SHUTOFF (task: powering-on, power: Running)) after 1s ("
    );
    assert!(text.starts_with(&expected), "{text}");
}

#[tokio::test]
async fn a_status_with_a_task_still_running_is_not_reached() {
    let cloud = Cloud::start().await;
    let polls = sequence(
        &cloud,
        &format!("/compute/v2.1/servers/{ID}"),
        vec![
            ok(server("web-1", "SHUTOFF", Some("powering-on"))),
            ok(server("web-1", "ACTIVE", Some("powering-off"))),
            ok(server("web-1", "SHUTOFF", None)),
        ],
    )
    .await;
    let s = client(&cloud)
        .servers()
        .wait_for_status(
            &ServerId::new(ID),
            ServerStatus::Shutoff,
            fast(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    assert_eq!(s.status, ServerStatus::Shutoff);
    assert_eq!(polls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn wait_deleted_ends_on_404() {
    let cloud = Cloud::start().await;
    let gone = ResponseTemplate::new(404).set_body_json(json!(
        {"itemNotFound": {"code": 404, "message": "Instance could not be found."}}
    ));
    let polls = sequence(
        &cloud,
        &format!("/compute/v2.1/servers/{ID}"),
        vec![ok(server("web-1", "ACTIVE", Some("deleting"))), gone],
    )
    .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/compute/v2.1/servers/{ID}")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&cloud.server)
        .await;
    let compute = client(&cloud);
    compute.servers().delete(ID).await.unwrap();
    compute
        .servers()
        .wait_for_delete(&ServerId::new(ID), fast(Duration::from_secs(3600)))
        .await
        .unwrap();
    assert_eq!(polls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_409_names_the_server_and_its_state() {
    let cloud = Cloud::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/compute/v2.1/servers/{ID}/action")))
        .and(body_json(json!({"os-stop": null})))
        .respond_with(
            ResponseTemplate::new(409)
                .insert_header("x-compute-request-id", "req-409")
                .set_body_json(fixture("error-409-stop.json")),
        )
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/compute/v2.1/servers/{ID}")))
        .respond_with(ok(server("web-1", "SHUTOFF", None)))
        .mount(&cloud.server)
        .await;
    let err = client(&cloud).servers().stop(ID).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Conflict);
    assert!(err.is_conflict());
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.request_id(), Some("req-409"));
    assert_eq!(
        err.message(),
        format!(
            "server web-1 ({ID}) is SHUTOFF, cannot stop: \
             Cannot 'stop' instance {ID} while it is in vm_state stopped"
        )
    );
}

#[tokio::test]
async fn a_409_on_a_server_that_cannot_be_read_names_the_id() {
    let cloud = Cloud::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/compute/v2.1/servers/{ID}/action")))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!(
            {"conflictingRequest": {"code": 409, "message": "Instance is locked"}}
        )))
        .mount(&cloud.server)
        .await;
    let err = client(&cloud)
        .servers()
        .reboot(ID, RebootKind::Hard)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Conflict);
    assert_eq!(
        err.message(),
        format!(
            "server {ID} is in a state that does not allow it, cannot hard-reboot: Instance is locked"
        )
    );
}

#[tokio::test]
async fn actions_console_and_remote_console_by_version() {
    let cloud = Cloud::start().await;
    let action = format!("/compute/v2.1/servers/{ID}/action");
    for (body, answer) in [
        (json!({"os-start": null}), ResponseTemplate::new(202)),
        (
            json!({"reboot": {"type": "SOFT"}}),
            ResponseTemplate::new(202),
        ),
        (
            json!({"os-getConsoleOutput": {"length": 2}}),
            ok(fixture("console-output.json")),
        ),
        (
            json!({"os-getVNCConsole": {"type": "novnc"}}),
            ok(fixture("vnc-console-legacy.json")),
        ),
    ] {
        Mock::given(method("POST"))
            .and(path(action.as_str()))
            .and(body_json(body))
            .respond_with(answer)
            .expect(1)
            .mount(&cloud.server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path(format!("/compute/v2.1/servers/{ID}/remote-consoles")))
        .and(body_json(
            json!({"remote_console": {"protocol": "vnc", "type": "novnc"}}),
        ))
        .respond_with(ok(fixture("remote-console-2.6.json")))
        .expect(1)
        .mount(&cloud.server)
        .await;
    let compute = client(&cloud);
    let id = ServerId::new(ID);
    compute.servers().start(ID).await.unwrap();
    compute
        .servers()
        .reboot(ID, RebootKind::Soft)
        .await
        .unwrap();
    let output = compute
        .servers()
        .console_output(&id, Some(2))
        .await
        .unwrap();
    assert_eq!(output, "FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE");
    let url = compute
        .servers()
        .remote_console(&id, VncConsole::NoVnc)
        .await
        .unwrap();
    assert!(
        url.starts_with("http://example.com:6080/vnc_auto.html"),
        "{url}"
    );
    let legacy = compute.with_microversion(Microversion(2, 5));
    let url = legacy
        .servers()
        .remote_console(&id, VncConsole::NoVnc)
        .await
        .unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:6080/vnc_auto.html"),
        "{url}"
    );
}

// ---------------------------------------------------------------------------------------------
// Lists and lookups

fn page(ids: &[&str], next: Option<&str>) -> ResponseTemplate {
    let servers: Vec<Value> = ids
        .iter()
        .map(|id| {
            let mut s = server(&format!("vm-{id}"), "ACTIVE", None)["server"].clone();
            s["id"] = (*id).into();
            s
        })
        .collect();
    let mut body = json!({ "servers": servers });
    if let Some(next) = next {
        body["servers_links"] = json!([{"rel": "next", "href": next}]);
    }
    ok(body)
}

#[tokio::test]
async fn lists_follow_next_links_and_stop_on_a_repeat() {
    let cloud = Cloud::start().await;
    // Nova's links name its own public host and a project in the path: only the query counts.
    let link = |marker: &str| {
        format!(
            "http://nova.example:8774/v2.1/6f70656e/servers/detail?limit=2&status=ACTIVE&marker={marker}"
        )
    };
    let detail = "/compute/v2.1/servers/detail";
    Mock::given(method("GET"))
        .and(path(detail))
        .and(query_param("marker", "b"))
        .respond_with(page(&["c", "d"], Some(&link("d"))))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path(detail))
        .and(query_param("marker", "d"))
        // A broken cloud that links to the same page again.
        .respond_with(page(&["e"], Some(&link("d"))))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path(detail))
        .respond_with(page(&["a", "b"], Some(&link("b"))))
        .with_priority(10)
        .mount(&cloud.server)
        .await;
    let ids: Vec<String> = client(&cloud)
        .servers()
        .list()
        .status(ServerStatus::Active)
        .limit(2)
        .stream()
        .map_ok(|s| s.id.to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    let sent = cloud.received_at("GET", detail).await;
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].url.query(), Some("status=ACTIVE&limit=2"));
    assert_eq!(sent[1].url.query(), Some("limit=2&status=ACTIVE&marker=b"));
    for request in &sent {
        assert!(header(request, "openstack-api-version").is_some());
    }
}

#[tokio::test]
async fn find_server_by_id_then_by_exact_name() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/servers/web.1"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!(
            {"itemNotFound": {"code": 404, "message": "Instance web.1 could not be found."}}
        )))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/servers/detail"))
        .and(query_param("name", r"^web\.1$"))
        .respond_with(page(&["a"], None))
        .mount(&cloud.server)
        .await;
    let compute = client(&cloud);
    // The page's server is called vm-a: Nova's regex matched, the exact check did not.
    let err = compute.servers().find("web.1").await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Lookup);
    assert_eq!(err.message(), "no server with id or name \"web.1\"");
}

#[tokio::test]
async fn flavors_by_name_and_generated_keypairs() {
    let cloud = Cloud::start().await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/flavors/m1.small"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!(
            {"itemNotFound": {"code": 404, "message": "Flavor m1.small could not be found."}}
        )))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/flavors/detail"))
        .respond_with(ok(fixture("flavors-detail-2.75.json")))
        .mount(&cloud.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/compute/v2.1/os-keypairs"))
        .respond_with(ok(fixture("keypair-generate-2.2.json")))
        .mount(&cloud.server)
        .await;
    let compute = client(&cloud);
    let small = compute.flavors().find("m1.small").await.unwrap();
    assert_eq!((small.id.as_str(), small.ram), ("2", 2048));
    let err = compute.flavors().find("m9.huge").await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Lookup);

    let pair = compute.keypairs().create("mykey").send().await.unwrap();
    assert!(pair.private_key.unwrap().expose().contains("PRIVATE KEY"));
    let post = &cloud.received_at("POST", "/compute/v2.1/os-keypairs").await[0];
    // Nova stopped generating keys at 2.92: the request goes out at 2.91.
    assert_eq!(
        header(post, "openstack-api-version").as_deref(),
        Some("compute 2.91")
    );
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(body, json!({"keypair": {"name": "mykey", "type": "ssh"}}));
}

#[tokio::test]
async fn a_409_on_delete_names_the_task_in_progress() {
    let cloud = Cloud::start().await;
    Mock::given(method("DELETE"))
        .and(path(format!("/compute/v2.1/servers/{ID}")))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!(
            {"conflictingRequest": {"code": 409, "message": format!(
                "Cannot 'delete' instance {ID} while it is in task_state rebuilding")}}
        )))
        .mount(&cloud.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/compute/v2.1/servers/{ID}")))
        .respond_with(ok(server("web-1", "REBUILD", Some("rebuilding"))))
        .mount(&cloud.server)
        .await;
    let err = client(&cloud).servers().delete(ID).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Conflict);
    assert_eq!(
        err.message(),
        format!(
            "server web-1 ({ID}) is REBUILD (task: rebuilding), cannot delete: \
             Cannot 'delete' instance {ID} while it is in task_state rebuilding"
        )
    );
}
