//! The `mock-cloud serve` binary: prints its URL, writes a clouds.yaml, serves, stops cleanly
//! on SIGTERM, and refuses bad input with a message naming it.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn mock_cloud() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mock-cloud"));
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Reads the first two stdout lines: the URL and the control token.
async fn url_and_token_of(child: &mut Child) -> (String, String) {
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    let mut second = String::new();
    reader.read_line(&mut second).await.unwrap();
    let token = second
        .trim()
        .strip_prefix("mock-cloud control token: ")
        .unwrap_or_else(|| panic!("unexpected second line: {second:?}"))
        .to_owned();
    let url = line
        .trim()
        .strip_prefix("mock-cloud listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url}"
    );
    (url, token)
}

/// Sends SIGTERM to the child we started, by its pid.
async fn terminate(child: &Child) {
    let pid = child.id().expect("still running").to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn serves_on_a_free_port_writes_clouds_yaml_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.yaml");
    std::fs::write(
        &seed,
        "users: [{name: ci, password: ci-pw, roles: [{role: member, project: demo}]}]\n",
    )
    .unwrap();
    let clouds = dir.path().join("clouds.yaml");
    let mut child = mock_cloud()
        .args(["serve", "--listen", "127.0.0.1:0", "--token-ttl", "600"])
        .arg("--seed")
        .arg(&seed)
        .arg("--clouds-yaml")
        .arg(&clouds)
        .spawn()
        .unwrap();
    let (url, token) = url_and_token_of(&mut child).await;

    // The control token, also beside the clouds.yaml, for its owner's eyes only.
    let token_file = dir.path().join("mock-cloud.token");
    assert_eq!(std::fs::read_to_string(&token_file).unwrap(), token);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let control = |bearer: Option<&str>| {
        let mut request = http().get(format!("{url}/_mock/journal"));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        request.send()
    };
    assert_eq!(control(None).await.unwrap().status(), 401);
    assert_eq!(control(Some(&token)).await.unwrap().status(), 200);

    let yaml = std::fs::read_to_string(&clouds).unwrap();
    assert!(
        yaml.contains("mock-admin:") && yaml.contains("mock-demo:"),
        "{yaml}"
    );
    assert!(
        yaml.contains(&format!("auth_url: {url}/identity/v3")),
        "{yaml}"
    );

    let response = http()
        .post(format!("{url}/identity/v3/auth/tokens"))
        .json(&serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "ci", "domain": {"id": "default"}, "password": "ci-pw"}}},
            "scope": {"project": {"name": "demo", "domain": {"id": "default"}}}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.unwrap();
    let ttl = body["token"]["expires_at"].as_str().unwrap().to_owned();
    assert!(ttl.ends_with('Z'));

    terminate(&child).await;
    let status = child.wait().await.unwrap();
    assert!(status.success(), "{status:?}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert!(stderr.contains("stopping"), "{stderr}");
    assert!(!stderr.contains("ci-pw"), "no secrets on stderr: {stderr}");
}

#[tokio::test]
async fn a_bad_seed_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("broken.yaml");
    std::fs::write(&seed, "userz: []\n").unwrap();
    let output = mock_cloud()
        .args(["serve", "--listen", "127.0.0.1:0", "--seed"])
        .arg(&seed)
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("broken.yaml") && stderr.contains("userz"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[tokio::test]
async fn bad_flags_are_refused() {
    let output = mock_cloud()
        .args(["serve", "--listen", "not-an-address"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--listen"));
    let output = mock_cloud()
        .args(["serve", "--listen", "127.0.0.1:0", "--port", "1"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success(), "--listen and --port conflict");
}

#[tokio::test]
async fn listening_beyond_loopback_must_be_asked_for() {
    let output = mock_cloud()
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("0.0.0.0:0") && stderr.contains("--allow-remote"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());

    let mut child = mock_cloud()
        .args(["serve", "--listen", "0.0.0.0:0", "--allow-remote"])
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).await.unwrap();
    assert!(
        line.starts_with("mock-cloud listening on http://0.0.0.0:"),
        "{line}"
    );
    terminate(&child).await;
    assert!(child.wait().await.unwrap().success());
}
