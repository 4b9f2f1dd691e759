//! kill -9: the real `mock-cloud` binary is killed (SIGKILL) while uploads, creates and
//! deletes are in flight, and again just after a batch of them was acknowledged, then
//! restarted on the same state directory. Every acknowledged change is there, every deleted
//! image is gone, and the bytes of every active image match its hashes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use md5::Md5;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The binary, serving on a free port from `dir`.
struct Cloud {
    child: Child,
    url: String,
}

async fn serve(dir: &Path) -> Cloud {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-cloud"))
        .args(["serve", "--listen", "127.0.0.1:0", "--state-dir"])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .await
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("mock-cloud listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    Cloud { child, url }
}

impl Cloud {
    /// SIGKILL, to the process we started, by its pid.
    async fn kill9(mut self) {
        let pid = self.child.id().expect("still running");
        let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::KILL).unwrap();
        let status = self.child.wait().await.unwrap();
        assert!(!status.success(), "killed: {status:?}");
    }

    async fn token(&self) -> String {
        let response = http()
            .post(format!("{}/identity/v3/auth/tokens", self.url))
            .json(&json!({"auth": {
                "identity": {"methods": ["password"], "password": {"user": {
                    "name": "demo", "domain": {"id": "default"}, "password": "demo"}}},
                "scope": {"project": {"name": "demo", "domain": {"id": "default"}}}}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.headers()["x-subject-token"]
            .to_str()
            .unwrap()
            .to_owned()
    }
}

/// What the cloud acknowledged.
#[derive(Clone, Default)]
struct Acknowledged {
    /// Images created (queued), by id.
    created: BTreeSet<String>,
    /// Images whose upload was acknowledged: size, md5, sha512.
    uploaded: BTreeMap<String, (usize, String, String)>,
    deleted: BTreeSet<String>,
    /// Images whose delete was sent: it may have taken effect unheard.
    deleting: BTreeSet<String>,
    keypairs: BTreeSet<String>,
    servers: BTreeSet<String>,
}

type Shared = Arc<Mutex<Acknowledged>>;

fn bytes_for(worker: usize, step: usize) -> Vec<u8> {
    let size = 20_000 + (worker * 7919 + step * 104_729) % 900_000;
    (0..size)
        .map(|i| (i as u64 * 31 + (worker * 1000 + step) as u64) as u8)
        .collect()
}

/// One request; `None` when the cloud is gone (killed under it).
async fn send(request: reqwest::RequestBuilder) -> Option<(StatusCode, Value)> {
    let response = request.send().await.ok()?;
    let status = response.status();
    let text = response.text().await.ok()?;
    Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// One worker's loop: create, upload, now and then a delete, a keypair, a server. Each
/// acknowledgement is recorded, then announced on `acks`. Ends when the cloud is gone or after
/// `steps` steps.
async fn work(
    url: String,
    token: String,
    worker: usize,
    round: usize,
    steps: usize,
    acked: Shared,
    acks: mpsc::UnboundedSender<()>,
) {
    let client = http();
    let call = |method: reqwest::Method, path: &str| {
        client
            .request(method, format!("{url}{path}"))
            .header("x-auth-token", &token)
            .header("accept", "application/json")
    };
    let mut previous: Option<String> = None;
    for step in 0..steps {
        let name = format!("r{round}-w{worker}-s{step}");
        let Some((status, image)) = send(
            call(reqwest::Method::POST, "/image/v2/images")
                .json(&json!({"name": name, "disk_format": "raw", "container_format": "bare"})),
        )
        .await
        else {
            return;
        };
        assert_eq!(status, StatusCode::CREATED, "{image}");
        let id = image["id"].as_str().unwrap().to_owned();
        acked.lock().unwrap().created.insert(id.clone());
        let _ = acks.send(());

        let bytes = bytes_for(worker, step + round * 100);
        let Some((status, body)) = send(
            call(reqwest::Method::PUT, &format!("/image/v2/images/{id}/file"))
                .header("content-type", "application/octet-stream")
                .body(bytes.clone()),
        )
        .await
        else {
            return;
        };
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        acked.lock().unwrap().uploaded.insert(
            id.clone(),
            (
                bytes.len(),
                hex::encode(Md5::digest(&bytes)),
                hex::encode(Sha512::digest(&bytes)),
            ),
        );
        let _ = acks.send(());

        if step % 3 == 2
            && let Some(old) = previous.take()
        {
            acked.lock().unwrap().deleting.insert(old.clone());
            let Some((status, body)) = send(call(
                reqwest::Method::DELETE,
                &format!("/image/v2/images/{old}"),
            ))
            .await
            else {
                return;
            };
            assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
            acked.lock().unwrap().deleted.insert(old);
            let _ = acks.send(());
        }
        if step % 4 == 1 {
            let Some((status, body)) = send(
                call(reqwest::Method::POST, "/compute/v2.1/os-keypairs")
                    .json(&json!({"keypair": {"name": name}})),
            )
            .await
            else {
                return;
            };
            assert_eq!(status, StatusCode::OK, "{body}");
            acked.lock().unwrap().keypairs.insert(name.clone());
            let _ = acks.send(());
        }
        if step % 4 == 3 {
            let Some((status, body)) = send(
                call(reqwest::Method::POST, "/compute/v2.1/servers")
                    .json(&json!({"server": {"name": name, "imageRef": id, "flavorRef": "1"}})),
            )
            .await
            else {
                return;
            };
            assert_eq!(status, StatusCode::ACCEPTED, "{body}");
            let server = body["server"]["id"].as_str().unwrap().to_owned();
            acked.lock().unwrap().servers.insert(server);
            let _ = acks.send(());
        }
        previous = Some(id);
    }
}

/// Runs `workers` workers until `acks` acknowledgements have come in, then kills the cloud
/// with requests still in flight.
async fn kill_during(cloud: Cloud, round: usize, acked: &Shared, acks: usize) {
    let token = cloud.token().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            tokio::spawn(work(
                cloud.url.clone(),
                token.clone(),
                worker,
                round,
                usize::MAX,
                acked.clone(),
                tx.clone(),
            ))
        })
        .collect();
    drop(tx);
    for _ in 0..acks {
        rx.recv().await.expect("the workers stopped early");
    }
    cloud.kill9().await;
    for worker in workers {
        worker.await.unwrap();
    }
}

/// Runs a batch to its end, every request answered, and kills the cloud right after.
async fn kill_just_after(cloud: Cloud, round: usize, acked: &Shared) {
    let token = cloud.token().await;
    let (tx, _rx) = mpsc::unbounded_channel();
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            tokio::spawn(work(
                cloud.url.clone(),
                token.clone(),
                worker,
                round,
                5,
                acked.clone(),
                tx.clone(),
            ))
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    cloud.kill9().await;
}

/// Every acknowledged change is in the restarted cloud, and every image's bytes are intact.
async fn check(cloud: &Cloud, acked: &Shared) {
    let token = cloud.token().await;
    let client = http();
    let get = |path: String| {
        client
            .get(format!("{}{path}", cloud.url))
            .header("x-auth-token", &token)
            .header("accept", "application/json")
    };
    let acked = acked.lock().unwrap().clone();
    let listed = send(get("/image/v2/images?limit=1000".into()))
        .await
        .unwrap()
        .1;
    let images: BTreeMap<String, Value> = listed["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| (image["id"].as_str().unwrap().to_owned(), image.clone()))
        .collect();
    for id in &acked.created {
        if acked.deleted.contains(id) {
            assert!(!images.contains_key(id), "deleted image {id} is back");
            let (status, _) = send(get(format!("/image/v2/images/{id}"))).await.unwrap();
            assert_eq!(status, StatusCode::NOT_FOUND, "deleted image {id}");
            continue;
        }
        let Some(image) = images.get(id) else {
            assert!(
                acked.deleting.contains(id),
                "acknowledged image {id} is gone"
            );
            continue;
        };
        let status = image["status"].as_str().unwrap();
        match acked.uploaded.get(id) {
            Some((size, md5, sha512)) => {
                assert_eq!(status, "active", "{image}");
                assert_eq!(image["size"], *size, "{id}");
                assert_eq!(image["checksum"], *md5, "{id}");
                assert_eq!(image["os_hash_value"], *sha512, "{id}");
            }
            // An upload cut by the kill, or answered too late to be heard.
            None => assert!(matches!(status, "queued" | "active"), "{image}"),
        }
    }
    // The bytes of every active image, acknowledged or not, are what its hashes say.
    for (id, image) in &images {
        if image["status"] != "active" {
            assert_eq!(image["status"], "queued", "{image}");
            continue;
        }
        let response = get(format!("/image/v2/images/{id}/file"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{id}");
        let bytes = response.bytes().await.unwrap();
        assert_eq!(image["size"], bytes.len(), "{id}");
        assert_eq!(image["checksum"], hex::encode(Md5::digest(&bytes)), "{id}");
        assert_eq!(
            image["os_hash_value"],
            hex::encode(Sha512::digest(&bytes)),
            "{id}"
        );
    }
    for name in &acked.keypairs {
        let (status, _) = send(get(format!("/compute/v2.1/os-keypairs/{name}")))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK, "keypair {name}");
    }
    for id in &acked.servers {
        let (status, body) = send(get(format!("/compute/v2.1/servers/{id}")))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK, "server {id}");
        assert!(
            matches!(body["server"]["status"].as_str(), Some("SHUTOFF" | "ERROR")),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let acked = Shared::default();
    let before = serve(dir.path()).await;
    let old_token = before.token().await;
    kill_during(before, 0, &acked, 30).await;
    let cloud = serve(dir.path()).await;
    check(&cloud, &acked).await;
    let (status, _) = send(
        http()
            .get(format!("{}/compute/v2.1/flavors", cloud.url))
            .header("x-auth-token", &old_token),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK, "a token survives the kill");

    kill_just_after(cloud, 1, &acked).await;
    let cloud = serve(dir.path()).await;
    check(&cloud, &acked).await;

    kill_during(cloud, 2, &acked, 45).await;
    let cloud = serve(dir.path()).await;
    check(&cloud, &acked).await;
    assert!(acked.lock().unwrap().uploaded.len() >= 20);
    assert!(
        dir.path()
            .join("glance/tmp")
            .read_dir()
            .unwrap()
            .next()
            .is_none(),
        "no temporary file survives a restart"
    );
}

#[tokio::test]
async fn a_second_process_on_the_directory_is_refused_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let first = serve(dir.path()).await;
    let second = Command::new(env!("CARGO_BIN_EXE_mock-cloud"))
        .args(["serve", "--listen", "127.0.0.1:0", "--state-dir"])
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // A deadline, not a wait: a second cloud that starts would serve until killed.
    let output = tokio::time::timeout(Duration::from_secs(60), second.wait_with_output())
        .await
        .expect("the second cloud kept running on a directory in use")
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "it never listened");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&dir.path().display().to_string()),
        "{stderr}"
    );
    let pid = first.child.id().unwrap();
    assert!(stderr.contains(&format!("pid {pid}")), "{stderr}");
    // The first one still serves.
    first.token().await;
    first.kill9().await;
    // Its lock died with it.
    let again = serve(dir.path()).await;
    again.token().await;
}
