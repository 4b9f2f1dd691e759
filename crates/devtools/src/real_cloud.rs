//! Real Keystone 30 and Glance 33, from PyPI, on free loopback ports with sqlite and a file
//! store: what the conformance suite checks the SDK and the mock cloud against.
//!
//! Facts and pitfalls are in shared/REAL-OPENSTACK.md; the comments here say which one each
//! odd-looking step avoids. Only the processes started here are stopped, on drop too.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::supervisor::{Supervisor, free_port, http_status};
use xtask::prerequisites::{self, Venv};
use xtask::run;
use xtask::step;

/// The Python packages of the real services (and the client, for the side-by-side checks).
const SERVICE_PACKAGES: &[&str] = &[
    "keystone==30.0.0",
    "glance==33.0.0",
    "keystonemiddleware==13.0.1",
    "gunicorn==27.0.1",
    "python-openstackclient==10.5.0",
];

/// Passwords of the accounts made for the run: throwaway services on loopback, seeded like
/// the mock cloud (admin/admin, demo/demo) so one set of cases fits both.
pub const ADMIN_PASSWORD: &str = "admin";
pub const DEMO_PASSWORD: &str = "demo";
const GLANCE_PASSWORD: &str = "conformance-glance";

/// How long a service may take to answer after its start (cold sqlite, Python imports); the
/// gunicorn set-up is the supervisor's (REAL-OPENSTACK.md pitfalls 3, 4: one worker with
/// threads, since the in-memory cache is per process; no control socket, or two clash).
const READY_DEADLINE: Duration = Duration::from_secs(120);

/// The venv with keystone, glance and gunicorn.
pub fn services_venv() -> Result<Venv> {
    prerequisites::ensure_venv("services", SERVICE_PACKAGES, "glance-manage")
}

/// A running Keystone + Glance pair.
pub struct RealCloud {
    /// Keystone's root, `http://127.0.0.1:PORT`.
    pub keystone_url: String,
    /// Glance's root, `http://127.0.0.1:PORT`.
    pub glance_url: String,
    services: Supervisor,
}

impl RealCloud {
    /// Sets up fresh databases under `dir` and starts both services.
    pub fn start(venv: &Venv, dir: &Path) -> Result<RealCloud> {
        let services = Supervisor::fresh(dir, READY_DEADLINE)?;
        let keystone_port = free_port()?;
        let glance_port = free_port()?;
        let mut cloud = RealCloud {
            keystone_url: format!("http://127.0.0.1:{keystone_port}"),
            glance_url: format!("http://127.0.0.1:{glance_port}"),
            services,
        };
        let started = Instant::now();
        cloud.start_keystone(venv, keystone_port)?;
        cloud.register_glance()?;
        cloud.start_glance(venv, glance_port)?;
        step(format!(
            "real Keystone at {} and Glance at {} ready in {:.1} s",
            cloud.keystone_url,
            cloud.glance_url,
            started.elapsed().as_secs_f64()
        ));
        Ok(cloud)
    }

    /// The process ids of the services (gunicorn masters), for a signal handler that must
    /// stop them when the process is interrupted before `Drop` can run.
    pub fn pids(&self) -> Vec<u32> {
        self.services.pids()
    }

    /// A clouds.yaml with `real-admin` (admin on project admin) and `real-demo` (member on
    /// project demo).
    pub fn clouds_yaml(&self) -> String {
        let auth_url = format!("{}/v3", self.keystone_url);
        let cloud = |name: &str, user: &str, password: &str, project: &str| {
            format!(
                "  {name}:\n    auth:\n      auth_url: {auth_url}\n      username: {user}\n      \
                 password: {password}\n      project_name: {project}\n      user_domain_id: default\n      \
                 project_domain_id: default\n    region_name: RegionOne\n    identity_api_version: 3\n"
            )
        };
        format!(
            "clouds:\n{}{}",
            cloud("real-admin", "admin", ADMIN_PASSWORD, "admin"),
            cloud("real-demo", "demo", DEMO_PASSWORD, "demo")
        )
    }

    fn start_keystone(&mut self, venv: &Venv, port: u16) -> Result<()> {
        step("starting real Keystone (keystone 30, sqlite, fernet tokens)");
        let d = &self.services.dir.clone();
        let conf_dir = d.join("keystone");
        for sub in ["keystone", "fernet-keys", "credential-keys"] {
            fs::create_dir_all(d.join(sub))?;
        }
        // Pitfall 3: without the in-memory cache every token check costs ~450 queries.
        let conf = format!(
            "[DEFAULT]\nlog_file = {log}\n\
             [database]\nconnection = sqlite:///{db}\n\
             [token]\nprovider = fernet\nexpiration = 3600\n\
             [fernet_tokens]\nkey_repository = {fernet}\n\
             [credential]\nkey_repository = {cred}\n\
             [cache]\nenabled = true\nbackend = dogpile.cache.memory\n\
             [identity]\npassword_hash_rounds = 4\n",
            log = d.join("keystone.log").display(),
            db = d.join("keystone.db").display(),
            fernet = d.join("fernet-keys").display(),
            cred = d.join("credential-keys").display(),
        );
        let conf_file = conf_dir.join("keystone.conf");
        fs::write(&conf_file, conf)?;
        let manage = |args: &[&str]| -> Result<()> {
            let log = fs::File::create(d.join("keystone-manage.log"))?;
            run(Command::new(venv.bin().join("keystone-manage"))
                .arg("--config-file")
                .arg(&conf_file)
                .args(args)
                .stdout(log.try_clone()?)
                .stderr(log))
            .with_context(|| {
                format!(
                    "keystone-manage {} (see {})",
                    args.join(" "),
                    d.join("keystone-manage.log").display()
                )
            })
        };
        manage(&["db_sync"])?;
        manage(&[
            "fernet_setup",
            "--keystone-user",
            "root",
            "--keystone-group",
            "root",
        ])?;
        manage(&[
            "credential_setup",
            "--keystone-user",
            "root",
            "--keystone-group",
            "root",
        ])?;
        let url = format!("{}/v3/", self.keystone_url);
        manage(&[
            "bootstrap",
            "--bootstrap-password",
            ADMIN_PASSWORD,
            "--bootstrap-admin-url",
            &url,
            "--bootstrap-internal-url",
            &url,
            "--bootstrap-public-url",
            &url,
            "--bootstrap-region-id",
            "RegionOne",
        ])?;
        // Pitfall 2: Keystone parses sys.argv with oslo.config and would see gunicorn's flags.
        fs::write(
            d.join("keystone_wsgi.py"),
            "import sys\nsys.argv = sys.argv[:1]\n\
             from keystone.server.wsgi import initialize_public_application\n\
             application = initialize_public_application()\n",
        )?;
        self.services.spawn_gunicorn(
            venv,
            "keystone",
            port,
            "keystone_wsgi:application",
            &[("OS_KEYSTONE_CONFIG_DIR", &conf_dir)],
        )?;
        let url = format!("{}/v3", self.keystone_url);
        self.services
            .wait_for("keystone", || expect_status(&url, 200))
    }

    /// Users, projects, the glance service account and the image endpoints, over HTTP
    /// (pitfall 6: the CLI costs 2 s a call).
    fn register_glance(&self) -> Result<()> {
        let k = format!("{}/v3", self.keystone_url);
        let http = reqwest::blocking::Client::new();
        let token = issue_token(&http, &k, "admin", ADMIN_PASSWORD, "admin")?;
        let call = |method: reqwest::Method, path: &str, body: Option<Value>| -> Result<Value> {
            let mut req = http
                .request(method.clone(), format!("{k}{path}"))
                .header("X-Auth-Token", &token);
            if let Some(body) = body {
                req = req.json(&body);
            }
            let resp = req.send().with_context(|| format!("{method} {path}"))?;
            let status = resp.status();
            let text = resp.text()?;
            if !status.is_success() {
                bail!("keystone {method} {path}: {status}: {text}");
            }
            Ok(if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text)?
            })
        };
        let id_of = |v: &Value, kind: &str| -> Result<String> {
            v[kind]["id"]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("no {kind}.id in {v}"))
        };
        let roles = call(reqwest::Method::GET, "/roles", None)?;
        let role = |name: &str| -> Result<String> {
            roles["roles"]
                .as_array()
                .and_then(|rs| rs.iter().find(|r| r["name"] == name))
                .and_then(|r| r["id"].as_str())
                .map(str::to_owned)
                .with_context(|| format!("keystone has no role {name}"))
        };
        let project = |name: &str| -> Result<String> {
            id_of(
                &call(
                    reqwest::Method::POST,
                    "/projects",
                    Some(json!({"project": {"name": name, "domain_id": "default"}})),
                )?,
                "project",
            )
        };
        let user = |name: &str, password: &str| -> Result<String> {
            id_of(
                &call(
                    reqwest::Method::POST,
                    "/users",
                    Some(
                        json!({"user": {"name": name, "password": password, "domain_id": "default"}}),
                    ),
                )?,
                "user",
            )
        };
        let grant = |project: &str, user: &str, role_id: &str| -> Result<()> {
            call(
                reqwest::Method::PUT,
                &format!("/projects/{project}/users/{user}/roles/{role_id}"),
                None,
            )
            .map(drop)
        };
        let service_project = project("service")?;
        let glance = user("glance", GLANCE_PASSWORD)?;
        grant(&service_project, &glance, &role("admin")?)?;
        grant(&service_project, &glance, &role("service")?)?;
        let demo_project = project("demo")?;
        let demo = user("demo", DEMO_PASSWORD)?;
        grant(&demo_project, &demo, &role("member")?)?;
        let service = id_of(
            &call(
                reqwest::Method::POST,
                "/services",
                Some(json!({"service": {"type": "image", "name": "glance"}})),
            )?,
            "service",
        )?;
        for interface in ["public", "internal", "admin"] {
            call(
                reqwest::Method::POST,
                "/endpoints",
                Some(
                    json!({"endpoint": {"service_id": service, "interface": interface,
                    "region_id": "RegionOne", "url": self.glance_url}}),
                ),
            )?;
        }
        Ok(())
    }

    fn start_glance(&mut self, venv: &Venv, port: u16) -> Result<()> {
        step("starting real Glance (glance 33, sqlite, file store)");
        let d = &self.services.dir.clone();
        let etc = d.join("glance-etc");
        fs::create_dir_all(&etc)?;
        for sub in ["images", "staging", "tasks"] {
            fs::create_dir_all(d.join("glance-data").join(sub))?;
        }
        let paste = venv.root().join("etc/glance/glance-api-paste.ini");
        fs::copy(&paste, etc.join("glance-api-paste.ini"))
            .with_context(|| format!("copying {}", paste.display()))?;
        let data = d.join("glance-data");
        // Pitfall 6: the reserved staging and tasks stores need folders of their own.
        let conf = format!(
            "[DEFAULT]\nlog_file = {log}\nenabled_backends = fs:file\n\
             worker_self_reference_url = {url}\n\
             [database]\nconnection = sqlite:///{db}\n\
             [glance_store]\ndefault_backend = fs\n\
             [fs]\nfilesystem_store_datadir = {images}\n\
             [os_glance_staging_store]\nfilesystem_store_datadir = {staging}\n\
             [os_glance_tasks_store]\nfilesystem_store_datadir = {tasks}\n\
             [paste_deploy]\nflavor = keystone\nconfig_file = {paste}\n\
             [keystone_authtoken]\nwww_authenticate_uri = {k}/v3\nauth_url = {k}/v3\n\
             auth_type = password\nusername = glance\npassword = {pw}\nproject_name = service\n\
             user_domain_id = default\nproject_domain_id = default\n",
            log = d.join("glance.log").display(),
            url = self.glance_url,
            db = d.join("glance.db").display(),
            images = data.join("images").display(),
            staging = data.join("staging").display(),
            tasks = data.join("tasks").display(),
            paste = etc.join("glance-api-paste.ini").display(),
            k = self.keystone_url,
            pw = GLANCE_PASSWORD,
        );
        let conf_file = etc.join("glance-api.conf");
        fs::write(&conf_file, conf)?;
        let log = fs::File::create(d.join("glance-manage.log"))?;
        run(Command::new(venv.bin().join("glance-manage"))
            .arg("--config-file")
            .arg(&conf_file)
            .arg("db_sync")
            .stdout(log.try_clone()?)
            .stderr(log))
        .with_context(|| {
            format!(
                "glance-manage db_sync (see {})",
                d.join("glance-manage.log").display()
            )
        })?;
        fs::write(
            d.join("glance_wsgi.py"),
            "import sys\nsys.argv = sys.argv[:1]\n\
             from glance.common.wsgi_app import init_app\n\
             application = init_app()\n",
        )?;
        self.services.spawn_gunicorn(
            venv,
            "glance",
            port,
            "glance_wsgi:application",
            &[("OS_GLANCE_CONFIG_DIR", &etc)],
        )?;
        let url = self.glance_url.clone();
        self.services
            .wait_for("glance", || expect_status(&url, 300))
    }
}

/// Whether a GET of `url` without a token answers `expected`.
fn expect_status(url: &str, expected: u16) -> std::result::Result<(), String> {
    match http_status(url)? {
        status if status == expected => Ok(()),
        other => Err(format!("HTTP {other}")),
    }
}

/// A project-scoped token (the value of `X-Subject-Token`).
pub fn issue_token(
    http: &reqwest::blocking::Client,
    keystone_v3: &str,
    user: &str,
    password: &str,
    project: &str,
) -> Result<String> {
    let body = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}});
    let resp = http
        .post(format!("{keystone_v3}/auth/tokens"))
        .json(&body)
        .send()
        .context("POST /v3/auth/tokens")?;
    let status = resp.status();
    if !status.is_success() {
        bail!(
            "token for {user} on project {project}: HTTP {status}: {}",
            resp.text().unwrap_or_default()
        );
    }
    resp.headers()
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .context("keystone sent no X-Subject-Token")
}
