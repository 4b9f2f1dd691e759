//! `cargo xtask conformance --with-nova`: real Nova 34 + Placement 16 with the fake virt
//! driver, next to the real Keystone + Glance, and the compute part of the differential
//! check against them and the mock cloud. Run by hand, not in CI (about 1.5 GB of memory).
//!
//! Facts and pitfalls are in shared/REAL-OPENSTACK.md: a venv of its own, RabbitMQ (Debian's
//! rabbitmq-server, started here on loopback ports of its own, its epmd too), sqlite for every
//! database and always fresh ones (a restarted nova-compute with the fake driver refuses to
//! start), and a tiny Neutron stand-in, since showing, stopping and deleting a server still
//! ask Neutron for ports and security groups. Only the processes started here are stopped,
//! on drop too.

use std::fs;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::json;

pub(crate) mod keystone;

use crate::differential::{self, Backend};
use crate::real_cloud::{ADMIN_PASSWORD, DEMO_PASSWORD, RealCloud, issue_token};
use crate::supervisor::{Supervisor, free_port, http_status, port_of};
use xtask::prerequisites::{self, Venv};
use xtask::step;

use self::keystone::Keystone;

/// The Python packages of the compute services.
const NOVA_PACKAGES: &[&str] = &[
    "nova==34.0.0",
    "openstack-placement==16.0.0",
    "gunicorn==27.0.1",
];

/// The password of the `nova` and `placement` service accounts (throwaway, loopback only).
const SERVICE_PASSWORD: &str = "conformance-nova";

/// RabbitMQ's start script (Debian's rabbitmq-server package), run directly: the wrapper in
/// /usr/sbin would switch to the rabbitmq user, who cannot write our folders.
const RABBITMQ_SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";

/// How long a service may take to come up (nova-compute's first resource report included).
const READY_DEADLINE: Duration = Duration::from_secs(180);

/// The flavors real Nova gets, the same as the mock's defaults (id, name, ram MiB, disk GiB,
/// vcpus), so that flavor listings compare.
const FLAVORS: &[(&str, &str, u64, u64, u64)] = &[
    ("1", "m1.tiny", 512, 1, 1),
    ("2", "m1.small", 2048, 20, 1),
    ("3", "m1.medium", 4096, 40, 2),
    ("4", "m1.large", 8192, 80, 4),
    ("42", "m1.nano", 128, 1, 1),
    ("5", "m1.xlarge", 16384, 160, 8),
];

/// Answers only a few Neutron lists, all empty: what Nova asks for when it shows, stops,
/// starts or deletes a server made with `networks: none`.
const NEUTRON_STUB: &str = r#"import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EMPTY = {"ports": "ports", "security-groups": "security_groups", "networks": "networks",
         "subnets": "subnets", "floatingips": "floatingips", "extensions": "extensions",
         "trunks": "trunks", "qos": "policies"}

class Handler(BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?")[0].rstrip("/")
        if path in ("", "/"):
            return self.answer(200, {"versions": [{"id": "v2.0", "status": "CURRENT",
                "links": [{"rel": "self", "href": "http://%s/v2.0/" % self.headers["Host"]}]}]})
        kind = path.split("/")[-1].replace(".json", "")
        if path.startswith("/v2.0/") and kind in EMPTY:
            return self.answer(200, {EMPTY[kind]: []})
        self.answer(404, {"NeutronError": {"type": "NotFound", "message": path, "detail": ""}})

    def do_DELETE(self):
        self.answer(204, {})

    def log_message(self, *args):
        sys.stderr.write("neutron-stub: " + (args[0] % args[1:]) + "\n")

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"#;

/// Brings up Nova and runs the compute differential cases when `--with-nova` is among
/// `args`; returns how many cases differ (0 without the flag).
pub fn check_if_asked(args: &[String], cloud: &RealCloud, dir: &Path) -> Result<usize> {
    if !args.iter().any(|a| a == "--with-nova") {
        return Ok(0);
    }
    crate::smoke::ensure_packages("real Nova's message queue", &["rabbitmq-server"])?;
    let venv = prerequisites::ensure_venv("nova", NOVA_PACKAGES, "nova-compute")?;
    let nova = RealNova::start(&venv, cloud, &dir.join("nova"))?;
    let differing = compute_differential(&nova, cloud);
    drop(nova);
    differing
}

/// A running RabbitMQ + Placement + Nova (api, conductor, scheduler, compute) + Neutron stub.
pub struct RealNova {
    /// Nova's unversioned root, `http://127.0.0.1:PORT`.
    pub nova_url: String,
    placement_url: String,
    neutron_url: String,
    rabbit_port: u16,
    epmd_port: u16,
    services: Supervisor,
}

impl RealNova {
    /// Fresh databases under `dir`, every service started, the compute host discovered.
    pub fn start(venv: &Venv, cloud: &RealCloud, dir: &Path) -> Result<RealNova> {
        if !Path::new(RABBITMQ_SERVER).exists() {
            bail!(
                "{RABBITMQ_SERVER} is missing: real Nova needs RabbitMQ \
                 (`apt-get install rabbitmq-server`)"
            );
        }
        let services = Supervisor::fresh(dir, READY_DEADLINE)?;
        let started = Instant::now();
        let mut nova = RealNova {
            nova_url: format!("http://127.0.0.1:{}", free_port()?),
            placement_url: format!("http://127.0.0.1:{}", free_port()?),
            neutron_url: format!("http://127.0.0.1:{}", free_port()?),
            rabbit_port: free_port()?,
            epmd_port: free_port()?,
            services,
        };
        nova.start_rabbitmq()?;
        nova.start_neutron_stub(venv)?;
        nova.register(cloud)?;
        nova.start_placement(venv, cloud)?;
        nova.start_nova(venv, cloud)?;
        nova.make_flavors(cloud)?;
        step(format!(
            "real Nova at {} (fake driver) ready in {:.1} s",
            nova.nova_url,
            started.elapsed().as_secs_f64()
        ));
        Ok(nova)
    }

    fn start_rabbitmq(&mut self) -> Result<()> {
        step("starting RabbitMQ on loopback (Nova's message bus)");
        let d = self.services.dir.join("rabbitmq");
        fs::create_dir_all(&d)?;
        fs::write(d.join("enabled_plugins"), "[].\n")?;
        let dist_port = free_port()?;
        // Ports of its own (epmd's too), so that it meets no other RabbitMQ on the machine;
        // HOME holds its Erlang cookie.
        self.services.spawn(
            "rabbitmq",
            Command::new(RABBITMQ_SERVER)
                .env("HOME", &d)
                .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
                .env("RABBITMQ_NODE_PORT", self.rabbit_port.to_string())
                .env("RABBITMQ_DIST_PORT", dist_port.to_string())
                .env("ERL_EPMD_PORT", self.epmd_port.to_string())
                .env(
                    "RABBITMQ_NODENAME",
                    format!("ferrostack-{}@localhost", std::process::id()),
                )
                .env("RABBITMQ_MNESIA_BASE", d.join("mnesia"))
                .env("RABBITMQ_LOG_BASE", d.join("log"))
                .env("RABBITMQ_ENABLED_PLUGINS_FILE", d.join("enabled_plugins"))
                .env("RABBITMQ_CONFIG_FILE", d.join("rabbitmq")),
        )?;
        let port = self.rabbit_port;
        self.services.wait_for("rabbitmq", || {
            TcpStream::connect(("127.0.0.1", port))
                .map(drop)
                .map_err(|e| e.to_string())
        })
    }

    fn start_neutron_stub(&mut self, venv: &Venv) -> Result<()> {
        let script = self.services.dir.join("neutron_stub.py");
        fs::write(&script, NEUTRON_STUB)?;
        let port = port_of(&self.neutron_url)?;
        self.services.spawn(
            "neutron-stub",
            Command::new(venv.bin().join("python"))
                .arg(&script)
                .arg(port.to_string()),
        )?;
        let url = format!("{}/v2.0/ports", self.neutron_url);
        self.services
            .wait_for("neutron-stub", || http_status(&url).map(drop))
    }

    /// The service accounts, the compute, placement and network services and their endpoints.
    fn register(&self, cloud: &RealCloud) -> Result<()> {
        let keystone = Keystone::new(cloud)?;
        for user in ["nova", "placement"] {
            keystone.service_user(user, SERVICE_PASSWORD)?;
        }
        for (kind, name, url) in [
            ("compute", "nova", format!("{}/v2.1", self.nova_url)),
            ("placement", "placement", self.placement_url.clone()),
            ("network", "neutron", self.neutron_url.clone()),
        ] {
            keystone.register_service(kind, name, &url, false)?;
        }
        Ok(())
    }

    fn start_placement(&mut self, venv: &Venv, cloud: &RealCloud) -> Result<()> {
        step("starting real Placement (openstack-placement 16, sqlite)");
        let etc = self.services.dir.join("placement-etc");
        fs::create_dir_all(&etc)?;
        let conf = format!(
            "[DEFAULT]\nlog_file = {log}\n\
             [api]\nauth_strategy = keystone\n\
             [placement_database]\nconnection = sqlite:///{db}\n\
             {auth}",
            log = self.services.dir.join("placement.log").display(),
            db = self.services.dir.join("placement.sqlite").display(),
            auth = authtoken_section(cloud, "placement", SERVICE_PASSWORD),
        );
        let conf_file = etc.join("placement.conf");
        fs::write(&conf_file, conf)?;
        self.services
            .manage(venv, "placement-manage", &conf_file, &["db", "sync"])?;
        // Pitfall 2: oslo.config must not see gunicorn's flags.
        fs::write(
            self.services.dir.join("placement_wsgi.py"),
            "import sys\nsys.argv = sys.argv[:1]\n\
             from placement.wsgi.api import application\n",
        )?;
        let port = port_of(&self.placement_url)?;
        self.services.spawn_gunicorn(
            venv,
            "placement",
            port,
            "placement_wsgi:application",
            &[("OS_PLACEMENT_CONFIG_DIR", &etc)],
        )?;
        let url = self.placement_url.clone();
        self.services.wait_for("placement", || {
            http_status(&url).and_then(|s| match s {
                200 => Ok(()),
                other => Err(format!("HTTP {other}")),
            })
        })
    }

    fn start_nova(&mut self, venv: &Venv, cloud: &RealCloud) -> Result<()> {
        step(
            "starting real Nova (nova 34: api, conductor, scheduler, compute with the fake driver)",
        );
        let d = self.services.dir.clone();
        let etc = d.join("nova-etc");
        for sub in ["nova-etc", "state", "instances", "lock"] {
            fs::create_dir_all(d.join(sub))?;
        }
        let paste = venv.root().join("etc/nova/api-paste.ini");
        fs::copy(&paste, etc.join("api-paste.ini"))
            .with_context(|| format!("copying {}", paste.display()))?;
        let k = &cloud.keystone_url;
        let service_auth = |section: &str| {
            format!(
                "[{section}]\nauth_type = password\nauth_url = {k}/v3\nusername = nova\n\
                 password = {SERVICE_PASSWORD}\nproject_name = service\nuser_domain_id = default\n\
                 project_domain_id = default\nregion_name = RegionOne\n"
            )
        };
        let conf = format!(
            "[DEFAULT]\nstate_path = {state}\ninstances_path = {instances}\n\
             transport_url = rabbit://guest:guest@127.0.0.1:{rabbit}/\n\
             compute_driver = fake.SmallFakeDriver\nhost = ferrostack-compute\nmy_ip = 127.0.0.1\n\
             [api]\nauth_strategy = keystone\n\
             [wsgi]\napi_paste_config = {etc}/api-paste.ini\n\
             [api_database]\nconnection = sqlite:///{d}/nova_api.sqlite\n\
             [database]\nconnection = sqlite:///{d}/nova.sqlite\n\
             [oslo_concurrency]\nlock_path = {d}/lock\n\
             [oslo_messaging_notifications]\ndriver = noop\n\
             [scheduler]\ndiscover_hosts_in_cells_interval = -1\n\
             [conductor]\nworkers = 1\n\
             [vnc]\nenabled = true\nserver_listen = 127.0.0.1\n\
             server_proxyclient_address = 127.0.0.1\n\
             novncproxy_base_url = http://127.0.0.1:6080/vnc_auto.html\n\
             [glance]\nregion_name = RegionOne\n\
             {authtoken}{placement}{neutron}",
            state = d.join("state").display(),
            instances = d.join("instances").display(),
            rabbit = self.rabbit_port,
            etc = etc.display(),
            d = d.display(),
            authtoken = authtoken_section(cloud, "nova", SERVICE_PASSWORD),
            placement = service_auth("placement"),
            neutron = service_auth("neutron"),
        );
        let conf_file = etc.join("nova.conf");
        fs::write(&conf_file, conf)?;
        let cell0 = format!("sqlite:///{}/nova_cell0.sqlite", d.display());
        self.services
            .manage(venv, "nova-manage", &conf_file, &["api_db", "sync"])?;
        self.services.manage(
            venv,
            "nova-manage",
            &conf_file,
            &["cell_v2", "map_cell0", "--database_connection", &cell0],
        )?;
        self.services.manage(
            venv,
            "nova-manage",
            &conf_file,
            &["cell_v2", "create_cell", "--name", "cell1"],
        )?;
        self.services
            .manage(venv, "nova-manage", &conf_file, &["db", "sync"])?;
        for (name, program) in [
            ("nova-conductor", "nova-conductor"),
            ("nova-scheduler", "nova-scheduler"),
            ("nova-compute", "nova-compute"),
        ] {
            self.services.spawn(
                name,
                Command::new(venv.bin().join(program))
                    .arg("--config-file")
                    .arg(&conf_file)
                    .arg("--log-file")
                    .arg(d.join(format!("{name}.log"))),
            )?;
        }
        fs::write(
            d.join("nova_api_wsgi.py"),
            "import sys\nsys.argv = sys.argv[:1]\n\
             from nova.wsgi.osapi_compute import application\n",
        )?;
        let port = port_of(&self.nova_url)?;
        self.services.spawn_gunicorn(
            venv,
            "nova-api",
            port,
            "nova_api_wsgi:application",
            &[("OS_NOVA_CONFIG_DIR", &etc)],
        )?;
        let root = self.nova_url.clone();
        self.services.wait_for("nova-api", || {
            http_status(&root).and_then(|s| match s {
                200 | 300 => Ok(()),
                other => Err(format!("HTTP {other}")),
            })
        })?;
        // The scheduler only places servers on (and the API only lists) hosts mapped to a
        // cell: map nova-compute's host as soon as it has reported.
        let keystone = Keystone::new(cloud)?;
        let hypervisors = format!("{}/v2.1/os-hypervisors", self.nova_url);
        let nova_manage = venv.bin().join("nova-manage");
        self.services.wait_for("nova-compute", || {
            let mapped = Command::new(&nova_manage)
                .arg("--config-file")
                .arg(&conf_file)
                .args(["cell_v2", "discover_hosts"])
                .stdin(Stdio::null())
                .output()
                .map_err(|e| e.to_string())?;
            if !mapped.status.success() {
                return Err(format!(
                    "nova-manage cell_v2 discover_hosts: {}",
                    String::from_utf8_lossy(&mapped.stderr)
                ));
            }
            let listed = keystone
                .get_json(&hypervisors)
                .map_err(|e| format!("{e:#}"))?;
            match listed["hypervisors"].as_array().map(Vec::len) {
                Some(n) if n > 0 => Ok(()),
                _ => Err(format!("no hypervisor mapped yet: {listed}")),
            }
        })
    }

    /// The mock's default flavors, made in real Nova.
    fn make_flavors(&self, cloud: &RealCloud) -> Result<()> {
        let keystone = Keystone::new(cloud)?;
        for (id, name, ram, disk, vcpus) in FLAVORS {
            keystone.post_json(
                &format!("{}/v2.1/flavors", self.nova_url),
                &json!({"flavor": {"id": id, "name": name, "ram": ram, "disk": disk,
                    "vcpus": vcpus}}),
            )?;
        }
        Ok(())
    }
}

impl Drop for RealNova {
    /// Stops the services in reverse order of their start, then RabbitMQ's own epmd.
    fn drop(&mut self) {
        self.services.stop_all();
        // RabbitMQ started an epmd daemon on our port: ask exactly that one to stop.
        let _ = Command::new("epmd")
            .args(["-port", &self.epmd_port.to_string(), "-kill"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The `[keystone_authtoken]` section for a service account.
pub(crate) fn authtoken_section(cloud: &RealCloud, user: &str, password: &str) -> String {
    let k = &cloud.keystone_url;
    format!(
        "[keystone_authtoken]\nwww_authenticate_uri = {k}/v3\nauth_url = {k}/v3\n\
         auth_type = password\nusername = {user}\npassword = {password}\n\
         project_name = service\nuser_domain_id = default\nproject_domain_id = default\n"
    )
}

/// The compute cases against real Nova (with the real Keystone + Glance) and a fresh mock
/// cloud; prints the table and every difference; returns how many differ.
fn compute_differential(nova: &RealNova, cloud: &RealCloud) -> Result<usize> {
    step("differential check, compute: the same raw requests to real Nova and to the mock");
    let runtime = tokio::runtime::Runtime::new()?;
    let mock = runtime.block_on(mock_cloud::MockCloud::start())?;
    let http = reqwest::blocking::Client::new();
    let backend = |name, identity: String, image: String, compute: String| -> Result<Backend> {
        let v3 = format!("{identity}/v3");
        let admin = issue_token(&http, &v3, "admin", ADMIN_PASSWORD, "admin")
            .with_context(|| format!("admin token from {name}"))?;
        let demo = issue_token(&http, &v3, "demo", DEMO_PASSWORD, "demo")
            .with_context(|| format!("demo token from {name}"))?;
        Ok(Backend::new(name, identity, image, admin, demo).with_compute(compute))
    };
    let mut real = backend(
        "real",
        cloud.keystone_url.clone(),
        cloud.glance_url.clone(),
        nova.nova_url.clone(),
    )?;
    let mut fake = backend(
        "mock",
        format!("{}/identity", mock.base_url()),
        format!("{}/image", mock.base_url()),
        format!("{}/compute", mock.base_url()),
    )?;
    let cases = differential::compute_cases()?;
    let started = Instant::now();
    let rows = differential::run(&cases, &mut real, &mut fake)?;
    let differing = differential::print_rows("compute", &rows);
    step(format!(
        "differential check, compute: {} cases, {differing} differ ({:.1} s); Nova's logs in {}",
        rows.len(),
        started.elapsed().as_secs_f64(),
        nova.services.dir.display()
    ));
    Ok(differing)
}
