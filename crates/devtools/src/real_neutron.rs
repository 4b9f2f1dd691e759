//! `cargo xtask conformance --with-neutron`: real Neutron 29 (its API only: the WSGI
//! application `neutron.wsgi.api` under gunicorn, the ML2 plugin and the L3 router service,
//! no agents) on a MariaDB of its own, next to the real Keystone + Glance (registered in its
//! catalog as the `network` service), then the network part of the differential check and
//! the SDK suite's network cases against it and the mock cloud.
//!
//! Facts are in shared/REAL-OPENSTACK.md (Neutron). MariaDB comes from Debian's packages
//! (installed when missing) and runs from a folder of this run, as root, on a unix socket
//! only (no TCP port at all): never the machine's own instance. Without agents, RPC goes to
//! oslo.messaging's in-memory `fake` transport and ports stay DOWN, which the API allows.
//! Real Neutron is seeded like the mock: `public` (external, 127.42.0.0/24) and, for the
//! projects admin and demo, `private`, `private-subnet` and `router1` between them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::differential::{self, Backend};
use crate::real_cloud::{ADMIN_PASSWORD, DEMO_PASSWORD, RealCloud, issue_token};
use crate::real_nova::authtoken_section;
use crate::real_nova::keystone::Keystone;
use crate::supervisor::{Supervisor, free_port, http_status, port_of};
use xtask::prerequisites::{self, Venv};
use xtask::step;

/// The Python packages of the network service (PyMySQL: SQLAlchemy's MariaDB driver).
const NEUTRON_PACKAGES: &[&str] = &["neutron==29.0.0", "gunicorn==27.0.1", "PyMySQL==1.2.4"];

/// The password of the `neutron` service account (throwaway, loopback only).
const SERVICE_PASSWORD: &str = "conformance-neutron";

/// Neutron's service plugins and ML2 extension drivers: devstack's usual set beside the
/// router, whose attributes the mock's resources carry (`qos_policy_id`, `segment_id`,
/// `l2_adjacency`, `ip_allocation`, `port_forwardings`, `is_default`,
/// `propagate_uplink_status`).
const SERVICE_PLUGINS: &[&str] = &[
    "router",
    "qos",
    "segments",
    "port_forwarding",
    "auto_allocate",
];
const EXTENSION_DRIVERS: &[&str] = &["port_security", "qos", "uplink_status_propagation"];

/// Debian's MariaDB programs (package mariadb-server).
const MARIADBD: &str = "/usr/sbin/mariadbd";
const MARIADB_INSTALL_DB: &str = "/usr/bin/mariadb-install-db";
const MARIADB: &str = "/usr/bin/mariadb";

/// How long a service may take to come up (a cold MariaDB, Neutron's imports).
const READY_DEADLINE: Duration = Duration::from_secs(180);

/// The mock's seeded ranges (mock-cloud's neutron/topology.rs), given to real Neutron too.
const PUBLIC_CIDR: &str = "127.42.0.0/24";
const PRIVATE_CIDR: &str = "10.0.0.0/22";

/// Brings up Neutron when `--with-neutron` is among `args`, runs the network differential
/// cases, then the SDK suite's network cases (those matching `filter`) against it and a mock
/// cloud; answers how many differential cases differ and the suite's reports (nothing
/// without the flag).
pub fn check_if_asked(
    args: &[String],
    cloud: &RealCloud,
    dir: &Path,
    filter: Option<&str>,
) -> Result<(usize, Vec<ferrostack_conformance::Report>)> {
    if !args.iter().any(|a| a == "--with-neutron") {
        return Ok((0, Vec::new()));
    }
    crate::smoke::ensure_packages("real Neutron's database", &["mariadb-server"])?;
    let venv = prerequisites::ensure_venv("neutron", NEUTRON_PACKAGES, "neutron-db-manage")?;
    let neutron = RealNeutron::start(&venv, cloud, &dir.join("neutron"))?;
    // The differential first: it expects the networks as seeded, and the suite's cases
    // each clean up after themselves.
    let differing = network_differential(&neutron, cloud)?;
    step("the SDK suite's network cases against real Neutron and the mock cloud");
    let runtime = tokio::runtime::Runtime::new()?;
    let reports = crate::conformance::run_suite(
        &runtime,
        &crate::conformance::Suite {
            cloud,
            dir,
            filter,
            cases: &ferrostack_conformance::network_cases(),
            real_network: true,
            scratch: "neutron",
        },
    )?;
    step(format!(
        "Neutron's logs in {}",
        neutron.services.dir.display()
    ));
    drop(neutron);
    Ok((differing, reports))
}

/// A running MariaDB + Neutron API.
pub struct RealNeutron {
    /// Neutron's root, `http://127.0.0.1:PORT` (the catalog URL; clients append `v2.0`).
    pub neutron_url: String,
    /// MariaDB's socket.
    socket: PathBuf,
    services: Supervisor,
}

impl RealNeutron {
    /// A fresh database under `dir`, migrated; the API started, registered and seeded.
    pub fn start(venv: &Venv, cloud: &RealCloud, dir: &Path) -> Result<RealNeutron> {
        for program in [MARIADBD, MARIADB_INSTALL_DB, MARIADB] {
            if !Path::new(program).exists() {
                bail!(
                    "{program} is missing: real Neutron needs MariaDB \
                     (`apt-get install mariadb-server`)"
                );
            }
        }
        let services = Supervisor::fresh(dir, READY_DEADLINE)?;
        let started = Instant::now();
        let mut neutron = RealNeutron {
            neutron_url: format!("http://127.0.0.1:{}", free_port()?),
            socket: services.dir.join("mariadb/mysqld.sock"),
            services,
        };
        neutron.start_mariadb()?;
        let keystone = Keystone::new(cloud)?;
        keystone.service_user("neutron", SERVICE_PASSWORD)?;
        keystone.register_service("network", "neutron", &neutron.neutron_url, true)?;
        neutron.start_neutron(venv, cloud)?;
        neutron.seed(&keystone)?;
        step(format!(
            "real Neutron at {} (ML2, no agents, MariaDB) ready in {:.1} s",
            neutron.neutron_url,
            started.elapsed().as_secs_f64()
        ));
        Ok(neutron)
    }

    /// A MariaDB server of this run: its own data folder, a unix socket and no TCP port,
    /// durability traded for speed (the database lives as long as the run).
    fn start_mariadb(&mut self) -> Result<()> {
        step("starting MariaDB from a folder of this run (unix socket only; Neutron's database)");
        let d = self.services.dir.join("mariadb");
        let data = d.join("data");
        fs::create_dir_all(&data)?;
        let log = d.join("install-db.log");
        let out = fs::File::create(&log)?;
        xtask::run(
            Command::new(MARIADB_INSTALL_DB)
                .arg("--no-defaults")
                .arg("--user=root")
                .arg(format!("--datadir={}", data.display()))
                .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
                .stdin(Stdio::null())
                .stdout(out.try_clone()?)
                .stderr(out),
        )
        .with_context(|| format!("mariadb-install-db (see {})", log.display()))?;
        self.services.spawn(
            "mariadb",
            Command::new(MARIADBD)
                .arg("--no-defaults")
                .arg("--user=root")
                .arg(format!("--datadir={}", data.display()))
                .arg(format!("--socket={}", self.socket.display()))
                .arg(format!("--pid-file={}", d.join("mariadb.pid").display()))
                .args([
                    "--skip-networking",
                    "--skip-log-bin",
                    "--innodb-flush-log-at-trx-commit=0",
                    "--innodb-doublewrite=0",
                    "--innodb-buffer-pool-size=128M",
                    "--character-set-server=utf8mb4",
                ]),
        )?;
        let socket = self.socket.clone();
        self.services.wait_for("mariadb", || {
            sql(&socket, "SELECT 1").map_err(|e| e.to_string())
        })?;
        sql(
            &self.socket,
            "CREATE DATABASE neutron CHARACTER SET utf8mb4",
        )
    }

    fn start_neutron(&mut self, venv: &Venv, cloud: &RealCloud) -> Result<()> {
        step("starting real Neutron (neutron 29: the API under gunicorn, ML2 + router, no agents)");
        let d = self.services.dir.clone();
        let etc = d.join("neutron-etc");
        for sub in ["neutron-etc", "state", "lock"] {
            fs::create_dir_all(d.join(sub))?;
        }
        let paste = venv.root().join("etc/neutron/api-paste.ini");
        fs::copy(&paste, etc.join("api-paste.ini"))
            .with_context(|| format!("copying {}", paste.display()))?;
        let conf = format!(
            "[DEFAULT]\nlog_file = {log}\nstate_path = {state}\nhost = ferrostack-network\n\
             core_plugin = ml2\nservice_plugins = {plugins}\nauth_strategy = keystone\n\
             api_paste_config = {etc}/api-paste.ini\n\
             transport_url = fake:/\n\
             notify_nova_on_port_status_changes = false\n\
             notify_nova_on_port_data_changes = false\n\
             dhcp_agent_notification = false\n\
             [database]\nconnection = mysql+pymysql://root@localhost/neutron?unix_socket={socket}&charset=utf8mb4\n\
             [oslo_concurrency]\nlock_path = {d}/lock\n\
             [oslo_messaging_notifications]\ndriver = noop\n\
             [ml2]\ntype_drivers = flat,vxlan\ntenant_network_types = vxlan\n\
             mechanism_drivers = openvswitch\nextension_drivers = {drivers}\n\
             [ml2_type_vxlan]\nvni_ranges = 1:1000\n\
             [ml2_type_flat]\nflat_networks = *\n\
             {authtoken}",
            log = d.join("neutron.log").display(),
            state = d.join("state").display(),
            etc = etc.display(),
            socket = self.socket.display(),
            d = d.display(),
            authtoken = authtoken_section(cloud, "neutron", SERVICE_PASSWORD),
            plugins = SERVICE_PLUGINS.join(","),
            drivers = EXTENSION_DRIVERS.join(","),
        );
        let conf_file = etc.join("neutron.conf");
        fs::write(&conf_file, conf)?;
        self.services
            .manage(venv, "neutron-db-manage", &conf_file, &["upgrade", "heads"])?;
        // Pitfall 2: oslo.config must not see gunicorn's flags.
        fs::write(
            d.join("neutron_wsgi.py"),
            "import sys\nsys.argv = sys.argv[:1]\n\
             from neutron.wsgi.api import application\n",
        )?;
        let port = port_of(&self.neutron_url)?;
        self.services.spawn_gunicorn(
            venv,
            "neutron-api",
            port,
            "neutron_wsgi:application",
            &[
                ("OS_NEUTRON_CONFIG_DIR", &etc),
                ("OS_NEUTRON_CONFIG_FILES", Path::new("neutron.conf")),
            ],
        )?;
        let root = self.neutron_url.clone();
        self.services.wait_for("neutron-api", || {
            http_status(&root).and_then(|s| match s {
                200 => Ok(()),
                other => Err(format!("HTTP {other}")),
            })
        })
    }

    /// The mock's seeded networks, made in real Neutron as admin: `public` and its subnet,
    /// and for the projects admin and demo `private`, `private-subnet` and `router1` with
    /// its gateway on `public` and an interface on `private-subnet`.
    fn seed(&self, keystone: &Keystone) -> Result<()> {
        let v2 = format!("{}/v2.0", self.neutron_url);
        let post = |path: &str, body: Value, key: &str| -> Result<String> {
            let made = keystone.post_json(&format!("{v2}/{path}"), &body)?;
            made[key]["id"]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("no {key}.id in {made}"))
        };
        let public = post(
            "networks",
            json!({"network": {"name": "public", "router:external": true}}),
            "network",
        )?;
        post(
            "subnets",
            json!({"subnet": {"name": "public-subnet", "network_id": public, "ip_version": 4,
                "cidr": PUBLIC_CIDR, "enable_dhcp": false}}),
            "subnet",
        )?;
        for project in ["admin", "demo"] {
            let project = keystone.id_by_name(&format!("/projects?name={project}"), "projects")?;
            let private = post(
                "networks",
                json!({"network": {"name": "private", "project_id": project}}),
                "network",
            )?;
            let subnet = post(
                "subnets",
                json!({"subnet": {"name": "private-subnet", "network_id": private,
                    "ip_version": 4, "cidr": PRIVATE_CIDR, "project_id": project}}),
                "subnet",
            )?;
            let router = post(
                "routers",
                json!({"router": {"name": "router1", "project_id": project,
                    "external_gateway_info": {"network_id": public}}}),
                "router",
            )?;
            keystone.send_json(
                reqwest::Method::PUT,
                &format!("{v2}/routers/{router}/add_router_interface"),
                Some(&json!({"subnet_id": subnet})),
            )?;
        }
        Ok(())
    }
}

/// Runs one SQL statement as MariaDB's root over `socket`.
fn sql(socket: &Path, statement: &str) -> Result<()> {
    let out = Command::new(MARIADB)
        .arg("--no-defaults")
        .arg(format!("--socket={}", socket.display()))
        .args(["-u", "root", "-e", statement])
        .stdin(Stdio::null())
        .output()
        .context("running mariadb")?;
    if !out.status.success() {
        bail!(
            "mariadb -e {statement:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The network cases against real Neutron (with the real Keystone) and a fresh mock cloud;
/// prints the table and every difference; returns how many differ.
fn network_differential(neutron: &RealNeutron, cloud: &RealCloud) -> Result<usize> {
    step("differential check, network: the same raw requests to real Neutron and to the mock");
    let runtime = tokio::runtime::Runtime::new()?;
    let mock = runtime.block_on(mock_cloud::MockCloud::start())?;
    let http = reqwest::blocking::Client::new();
    let backend = |name, identity: String, network: String| -> Result<Backend> {
        let v3 = format!("{identity}/v3");
        let admin = issue_token(&http, &v3, "admin", ADMIN_PASSWORD, "admin")
            .with_context(|| format!("admin token from {name}"))?;
        let demo = issue_token(&http, &v3, "demo", DEMO_PASSWORD, "demo")
            .with_context(|| format!("demo token from {name}"))?;
        Ok(Backend::new(name, identity, String::new(), admin, demo).with_network(network))
    };
    let mut real = backend(
        "real",
        cloud.keystone_url.clone(),
        neutron.neutron_url.clone(),
    )?;
    let mut fake = backend(
        "mock",
        format!("{}/identity", mock.base_url()),
        format!("{}/networking", mock.base_url()),
    )?;
    let cases = differential::network_cases();
    let started = Instant::now();
    let rows = differential::run(&cases, &mut real, &mut fake)?;
    let differing = differential::print_rows("network", &rows);
    step(format!(
        "differential check, network: {} cases, {differing} differ ({:.1} s); Neutron's logs in {}",
        rows.len(),
        started.elapsed().as_secs_f64(),
        neutron.services.dir.display()
    ));
    Ok(differing)
}
