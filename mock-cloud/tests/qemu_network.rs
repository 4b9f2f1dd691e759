//! A booted server reached through its floating IP, as an operator reaches one: the real
//! python-openstackclient 10.5 against the mock with the qemu driver boots the tiny image on
//! `private`, the guest takes its port's fixed IP by DHCP and serves its server id over HTTP,
//! and `FIP:80` on this machine answers exactly while a security group rule lets port 80 in
//! and the floating IP is on the server. An interface attached to the running server is
//! plugged into its qemu, reached through a floating IP of its own, and unplugged again.
//!
//! FAILS (never skips) when qemu, the tiny image's build tools or the client venv are missing
//! (`FERROSTACK_CLIENT_VENV`, or `target/venv/clients`).

mod osc_support;
mod qemu_support;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrostack_testbed::tiny;
use mock_cloud::{MockCloud, QemuDriver};
use osc_support::Osc;
use qemu_support::tiny;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A boot gets this long (QEMU.md: about 4 s alone under TCG, double with the other core busy).
const BOOT_DEADLINE: Duration = Duration::from_secs(180);

/// A forward appears or goes within this long of the API call that changed it.
const FORWARD_DEADLINE: Duration = Duration::from_secs(60);

/// How often a waiter asks again.
const POLL: Duration = Duration::from_millis(100);

/// A cloud whose servers boot under qemu, and a clouds.yaml with its `mock-demo` entry.
struct Harness {
    cloud: MockCloud,
    token: String,
    osc: Osc,
    _work: tempfile::TempDir,
}

impl Harness {
    async fn start() -> Harness {
        tiny().await;
        let work = tempfile::tempdir().unwrap();
        let driver = QemuDriver::new(work.path())
            .unwrap_or_else(|err| panic!("the qemu driver cannot start: {err}"));
        let cloud = MockCloud::builder()
            .compute_driver(Arc::new(driver))
            .start()
            .await
            .unwrap();
        let token = cloud.token("demo", "demo").unwrap();
        let osc = Osc::demo(&cloud);
        Harness {
            cloud,
            token,
            osc,
            _work: work,
        }
    }

    async fn run(&self, args: &[&str]) -> String {
        self.osc.run(args).await
    }

    async fn json(&self, args: &[&str]) -> Value {
        self.osc.json(args).await
    }

    /// `security group rule create --protocol tcp --dst-port PORT default`: the rule's id.
    async fn open_port(&self, port: u16) -> String {
        let port = port.to_string();
        let rule = self
            .json(&[
                "security",
                "group",
                "rule",
                "create",
                "--protocol",
                "tcp",
                "--dst-port",
                &port,
                "default",
            ])
            .await;
        rule["id"].as_str().unwrap().to_owned()
    }

    /// The server's console, over the API (a python start per poll would be slow).
    async fn console(&self, id: &str) -> String {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let response = reqwest::Client::new()
            .post(format!(
                "{}/compute/v2.1/servers/{id}/action",
                self.cloud.base_url()
            ))
            .header("x-auth-token", &self.token)
            .json(&json!({"os-getConsoleOutput": {}}))
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        body["output"].as_str().unwrap_or_default().to_owned()
    }

    /// Polls the console until `count` lines pass `matches`; returns the last.
    async fn wait_console(
        &self,
        id: &str,
        what: &str,
        count: usize,
        matches: impl Fn(&str) -> bool,
    ) -> String {
        let started = Instant::now();
        loop {
            let console = self.console(id).await;
            let lines: Vec<&str> = console
                .lines()
                .map(str::trim)
                .filter(|line| matches(line))
                .collect();
            if lines.len() >= count {
                return lines[count - 1].to_owned();
            }
            assert!(
                started.elapsed() < BOOT_DEADLINE,
                "server {id} did not show {what} within {BOOT_DEADLINE:?}; console:\n{console}"
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Harness {
    /// Polls the server until its status is `want`.
    async fn wait_status(&self, id: &str, want: &str) {
        let started = Instant::now();
        loop {
            let server = self.json(&["server", "show", id]).await;
            if server["status"] == want {
                return;
            }
            assert!(
                started.elapsed() < BOOT_DEADLINE && server["status"] != "ERROR",
                "server {id} is not {want}: {server}"
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

/// What a GET of `http://addr/` gets: the body, or the connect error's kind.
async fn get(addr: SocketAddr) -> Result<String, std::io::ErrorKind> {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|err| err.kind())?;
    let request = format!("GET / HTTP/1.0\r\nHost: {}\r\n\r\n", addr.ip());
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|err| err.kind())?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .map_err(|err| err.kind())?;
    let response = String::from_utf8_lossy(&response).into_owned();
    // slirp accepts on the host before the guest answers; a guest with nothing on the port
    // shows as an empty answer.
    match response.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.") && head.contains(" 200 ") => {
            Ok(body.trim().to_owned())
        }
        _ => Err(std::io::ErrorKind::InvalidData),
    }
}

/// Polls `http://addr/` until `want(answer)`; returns the answer.
async fn wait_get(
    addr: SocketAddr,
    what: &str,
    want: impl Fn(&Result<String, std::io::ErrorKind>) -> bool,
) -> Result<String, std::io::ErrorKind> {
    let started = Instant::now();
    loop {
        let answer = get(addr).await;
        if want(&answer) {
            return answer;
        }
        assert!(
            started.elapsed() < FORWARD_DEADLINE,
            "http://{addr}/ is not {what} within {FORWARD_DEADLINE:?}: {answer:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

fn refused(answer: &Result<String, std::io::ErrorKind>) -> bool {
    *answer == Err(std::io::ErrorKind::ConnectionRefused)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_floating_ip_reaches_the_guest_exactly_while_a_rule_lets_port_80_in() {
    let h = Harness::start().await;
    let tiny = tiny().await;
    let started = Instant::now();
    let token = tiny::random_token();
    let file = |path: &Path| path.to_str().unwrap().to_owned();
    let upload = |name: &'static str, format: &'static str, path: String, extra: Vec<String>| {
        let h = &h;
        async move {
            let mut args = vec![
                "image".to_owned(),
                "create".to_owned(),
                "--disk-format".to_owned(),
                format.to_owned(),
                "--container-format".to_owned(),
                format.to_owned(),
                "--file".to_owned(),
                path,
            ];
            args.extend(extra);
            args.push(name.to_owned());
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            h.json(&args).await["id"].as_str().unwrap().to_owned()
        }
    };
    let aki = upload("tiny-kernel", "aki", file(&tiny.image.kernel), vec![]).await;
    let ari = upload("tiny-initrd", "ari", file(&tiny.image.initrd), vec![]).await;
    let command_line = format!(
        "os_command_line={} smoke_stay=1",
        tiny::kernel_append(&token, Some("/dev/vda"))
    );
    let properties = ["kernel_id", "ramdisk_id"]
        .iter()
        .zip([&aki, &ari])
        .flat_map(|(key, id)| ["--property".to_owned(), format!("{key}={id}")])
        .chain(["--property".to_owned(), command_line])
        .collect();
    upload("tiny-root", "ami", file(&tiny.root_raw), properties).await;

    let server = h
        .json(&[
            "server",
            "create",
            "--image",
            "tiny-root",
            "--flavor",
            "m1.tiny",
            "--network",
            "private",
            "--security-group",
            "default",
            "--wait",
            "vm1",
        ])
        .await;
    assert_eq!(server["status"], "ACTIVE", "{server}");
    let id = server["id"].as_str().unwrap().to_owned();
    let ports = h.json(&["port", "list", "--server", &id]).await;
    let fixed_ip = ports[0]["Fixed IP Addresses"][0]["ip_address"]
        .as_str()
        .unwrap_or_else(|| panic!("no fixed IP: {ports}"))
        .to_owned();

    // The guest's DHCP lease is the port's fixed IP.
    let net_up = h
        .wait_console(&id, "its DHCP address", 1, |line| {
            line.starts_with(tiny::NET_UP_PREFIX)
        })
        .await;
    assert_eq!(net_up, tiny::net_up_marker(&fixed_ip));
    let marker = tiny::boot_marker(&token);
    h.wait_console(&id, "the boot marker", 1, |line| line == marker)
        .await;
    eprintln!("guest up on {fixed_ip} after {:.1?}", started.elapsed());

    let fip = h.json(&["floating", "ip", "create", "public"]).await;
    let address = fip["floating_ip_address"].as_str().unwrap().to_owned();
    h.run(&["server", "add", "floating", "ip", "vm1", &address])
        .await;
    let web: SocketAddr = format!("{address}:80").parse().unwrap();
    // The default group lets in only its own members: port 80 is closed.
    assert!(refused(&get(web).await), "{:?}", get(web).await);

    let rule_id = h.open_port(80).await;
    let answer = wait_get(web, "the guest's answer", Result::is_ok).await;
    assert_eq!(answer, Ok(id.clone()));

    // An address already taken on the host cannot be forwarded: the cloud says so in its log
    // and goes on; the taker keeps it.
    let taken = tokio::net::TcpListener::bind((web.ip(), 8080))
        .await
        .unwrap();
    h.open_port(8080).await;
    let ours = tokio::net::TcpStream::connect((web.ip(), 8080));
    let (accepted, connected) = tokio::join!(taken.accept(), ours);
    accepted.unwrap();
    connected.unwrap();
    assert_eq!(get(web).await, Ok(id.clone()));

    // A new qemu gets the forwards again.
    h.run(&["server", "stop", "vm1"]).await;
    h.wait_status(&id, "SHUTOFF").await;
    assert!(refused(&get(web).await), "{:?}", get(web).await);
    h.run(&["server", "start", "vm1"]).await;
    h.wait_console(&id, "the boot marker again", 2, |line| line == marker)
        .await;
    let answer = wait_get(web, "the guest's answer after a restart", Result::is_ok).await;
    assert_eq!(answer, Ok(id.clone()));

    h.run(&["security", "group", "rule", "delete", &rule_id])
        .await;
    let _ = wait_get(web, "closed after the rule went", refused).await;

    // Open again, then the floating IP leaves the server: closed.
    h.open_port(80).await;
    let _ = wait_get(web, "the guest's answer", Result::is_ok).await;
    h.run(&["server", "remove", "floating", "ip", "vm1", &address])
        .await;
    let _ = wait_get(web, "closed after the floating IP left", refused).await;

    hot_plug(&h, &id, &marker).await;

    h.run(&["server", "delete", "--wait", "vm1"]).await;
    eprintln!("the whole flow took {:.1?}", started.elapsed());
}

/// An interface attached to the running server is plugged into its qemu (no new boot): the
/// guest takes the new port's fixed IP by DHCP, and a floating IP on that port reaches it
/// through the new NIC. The next boot has the NIC too; detached, it leaves the guest, and
/// its forward goes with it.
async fn hot_plug(h: &Harness, id: &str, marker: &str) {
    let started = Instant::now();
    h.run(&["network", "create", "second"]).await;
    h.run(&[
        "subnet",
        "create",
        "--network",
        "second",
        "--subnet-range",
        "10.20.0.0/24",
        "second-subnet",
    ])
    .await;
    h.run(&["router", "add", "subnet", "router1", "second-subnet"])
        .await;
    h.run(&["server", "add", "network", "vm1", "second"]).await;
    let ports = h
        .json(&["port", "list", "--server", id, "--network", "second"])
        .await;
    let port = ports[0]["ID"].as_str().unwrap().to_owned();
    let new_ip = ports[0]["Fixed IP Addresses"][0]["ip_address"]
        .as_str()
        .unwrap_or_else(|| panic!("no fixed IP: {ports}"))
        .to_owned();
    assert!(new_ip.starts_with("10.20.0."), "{ports}");
    let up = tiny::net_up_marker(&new_ip);
    h.wait_console(id, "the hot-plugged NIC's address", 1, |line| line == up)
        .await;
    eprintln!("hot-plugged NIC up after {:.1?}", started.elapsed());
    // Plugged into the running qemu: still the second boot.
    let boots = |console: &str| console.lines().filter(|l| l.trim() == marker).count();
    assert_eq!(boots(&h.console(id).await), 2);

    let fip = h
        .json(&["floating", "ip", "create", "public", "--port", &port])
        .await;
    let address = fip["floating_ip_address"].as_str().unwrap().to_owned();
    let web: SocketAddr = format!("{address}:80").parse().unwrap();
    let answer = wait_get(web, "the guest's answer on the new NIC", Result::is_ok).await;
    assert_eq!(answer.as_deref(), Ok(id));

    // Every later boot has the NIC.
    h.run(&["server", "reboot", "--hard", "vm1"]).await;
    h.wait_console(id, "the hot-plugged NIC at the next boot", 2, |line| {
        line == up
    })
    .await;
    assert_eq!(boots(&h.console(id).await), 3);
    let answer = wait_get(web, "the guest's answer after a reboot", Result::is_ok).await;
    assert_eq!(answer.as_deref(), Ok(id));

    // Detached: the guest lets the card go, and nothing answers on its floating IP.
    h.run(&["server", "remove", "network", "vm1", "second"])
        .await;
    let gone = tiny::net_gone_marker("eth1");
    h.wait_console(id, "the NIC unplugged", 1, |line| line == gone)
        .await;
    let _ = wait_get(web, "closed after the interface left", refused).await;
    assert_eq!(boots(&h.console(id).await), 3);
    eprintln!("hot-plug steps took {:.1?}", started.elapsed());
}
