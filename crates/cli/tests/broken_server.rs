//! `fstack` against a broken server: garbage JSON, an HTML error page, an empty answer, a
//! redirect to another scheme or host, a body far larger than any service sends. Each time:
//! one line naming the URL, the status and what was wrong, exit code 1, and no secret on
//! stderr, with or without `--debug`.
//!
//! The server is a raw listener on 127.0.0.1:0 playing Keystone (a token and a catalog) and
//! Glance's discovery, then answering the image list as the case says.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const PASSWORD: &str = "broken-Pa55-word-K2";
const URL_PASSWORD: &str = "url-Pa55-word-J7";
const TOKEN: &str = "gAAAAB-broken-server-token-Z9";

/// How the image list is answered.
#[derive(Clone)]
enum Case {
    /// 200 with these bytes as `application/json`.
    Json(&'static str),
    /// This status with an HTML page.
    Html(u16),
    /// 302 to this URL (`{base}` is the server's own address).
    Redirect(String),
    /// 200 declaring a 200 MiB body, then sending it.
    Huge,
}

/// The server: its base URL, and the requests it saw (request line and headers).
struct Broken {
    base: String,
    seen: Arc<Mutex<Vec<String>>>,
}

fn serve(case: Case) -> Broken {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (b, s) = (base.clone(), seen.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (case, base, seen) = (case.clone(), b.clone(), s.clone());
            std::thread::spawn(move || connection(stream, &case, &base, &seen));
        }
    });
    Broken { base, seen }
}

/// Answers the requests of one connection until it closes.
fn connection(stream: TcpStream, case: &Case, base: &str, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut head = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            }
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        seen.lock().unwrap().push(head.clone());
        let target = head.split_whitespace().nth(1).unwrap_or("").to_owned();
        let path = target.split('?').next().unwrap_or("");
        let json = |status: &str, extra: &str, body: &str| {
            format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        let answer = match path {
            "/identity/v3" => json(
                "200 OK",
                "",
                r#"{"version":{"id":"v3.14","status":"stable","links":[]}}"#,
            ),
            "/identity/v3/auth/tokens" => json(
                "201 Created",
                &format!("x-subject-token: {TOKEN}\r\n"),
                &token_body(base),
            ),
            "/image" | "/image/" => json(
                "300 Multiple Choices",
                "",
                &format!(
                    r#"{{"versions":[{{"id":"v2.17","status":"CURRENT","links":[{{"rel":"self","href":"{base}/image/v2/"}}]}}]}}"#
                ),
            ),
            "/image/v2/images" => match case {
                Case::Json(body) => json("200 OK", "", body),
                Case::Html(status) => {
                    let page = format!(
                        "<html>\r\n<head><title>{status} Bad Gateway</title></head>\r\n<body>\r\n<center><h1>{status} Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
                    );
                    format!(
                        "HTTP/1.1 {status} Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n{page}",
                        page.len()
                    )
                }
                Case::Redirect(to) => format!(
                    "HTTP/1.1 302 Found\r\nlocation: {}\r\ncontent-length: 0\r\n\r\n",
                    to.replace("{base}", base)
                ),
                Case::Huge => {
                    let _ = write!(
                        out,
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        200 << 20
                    );
                    let block = vec![b' '; 1 << 20];
                    for _ in 0..200 {
                        if out.write_all(&block).is_err() {
                            return;
                        }
                    }
                    continue;
                }
            },
            _ => json(
                "404 Not Found",
                "",
                r#"{"message":"no such route","code":"404 Not Found","title":"Not Found"}"#,
            ),
        };
        if out.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// A project-scoped token whose catalog names this server's Glance.
fn token_body(base: &str) -> String {
    serde_json::json!({"token": {
        "methods": ["password"],
        "user": {"id": "u1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
        "project": {"id": "p1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
        "roles": [{"id": "r1", "name": "member"}],
        "expires_at": "2099-01-01T00:00:00.000000Z",
        "issued_at": "2026-01-01T00:00:00.000000Z",
        "audit_ids": ["a1"],
        "catalog": [
            {"type": "identity", "name": "keystone", "id": "k", "endpoints": [
                {"id": "k1", "interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": format!("{base}/identity")}]},
            {"type": "image", "name": "glance", "id": "g", "endpoints": [
                {"id": "g1", "interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": format!("{base}/image")}]}
        ]
    }})
    .to_string()
}

/// `fstack [--debug] image list` against `server`, with nothing of the developer's
/// environment, and a password in the auth URL as well as in the auth section.
fn image_list(server: &Broken, dir: &Path, debug: bool) -> Output {
    let auth_url = server
        .base
        .replacen("http://", &format!("http://demo:{URL_PASSWORD}@"), 1);
    let clouds = format!(
        "clouds:\n  broken:\n    auth:\n      auth_url: {auth_url}/identity/v3\n      username: demo\n      \
         password: {PASSWORD}\n      user_domain_name: Default\n      project_name: demo\n      \
         project_domain_name: Default\n    region_name: RegionOne\n"
    );
    std::fs::write(dir.join("clouds.yaml"), clouds).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fstack"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("OS_") || name.starts_with("CLIFF_") || name == "FSTACK_LOG" {
            cmd.env_remove(&*name);
        }
    }
    cmd.env("OS_CLIENT_CONFIG_FILE", dir.join("clouds.yaml"))
        .env("OS_CLOUD", "broken")
        .env("HOME", dir)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .current_dir(dir)
        .args(["--no-cache", "image", "list"]);
    if debug {
        cmd.arg("--debug");
    }
    cmd.output().expect("fstack runs")
}

/// Runs the case with and without `--debug`: exit 1, the error as the one line (the last, with
/// `--debug`), no secret anywhere in the output. Returns the error line.
fn error_line(case: Case) -> (String, Broken) {
    let server = serve(case);
    let dir = tempfile::tempdir().unwrap();
    let mut line = String::new();
    for debug in [false, true] {
        let out = image_list(&server, dir.path(), debug);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        for secret in [PASSWORD, URL_PASSWORD, TOKEN] {
            assert!(
                !stderr.contains(secret),
                "stderr shows {secret:?}:\n{stderr}"
            );
        }
        let last = stderr.lines().last().unwrap_or("").to_owned();
        if debug {
            assert_eq!(last, line, "the same error with --debug");
            assert!(
                stderr.lines().count() > 1,
                "no trace with --debug:\n{stderr}"
            );
        } else {
            assert_eq!(stderr.lines().count(), 1, "one line:\n{stderr}");
            line = last;
        }
    }
    (line.replace(&server.base, "{base}"), server)
}

#[test]
fn garbage_json_names_the_url_the_status_and_the_problem() {
    let (line, _) = error_line(Case::Json(r#"{"images": [{"id": "#));
    assert_eq!(
        line,
        "image: GET {base}/image/v2/images: the answer is not JSON (EOF while parsing a value \
         at line 1 column 19) (HTTP 200)"
    );
}

#[test]
fn an_empty_answer_says_so() {
    let (line, _) = error_line(Case::Json(""));
    assert_eq!(
        line,
        "image: GET {base}/image/v2/images: the answer has no body, where JSON was expected (HTTP 200)"
    );
}

#[test]
fn a_proxys_html_error_page_names_the_url() {
    let (line, _) = error_line(Case::Html(502));
    assert_eq!(
        line,
        "image: GET {base}/image/v2/images: 502 Bad Gateway nginx (HTTP 502)"
    );
}

#[test]
fn a_redirect_to_another_host_or_scheme_is_not_followed() {
    let elsewhere = TcpListener::bind("127.0.0.1:0").unwrap();
    let other = format!("http://{}", elsewhere.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    std::thread::spawn(move || {
        for stream in elsewhere.incoming() {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    let (line, server) = error_line(Case::Redirect(format!("{other}/v2/images")));
    assert_eq!(
        line,
        format!(
            "image: GET {{base}}/image/v2/images: redirected to {other}/v2/images, another \
             scheme, host or port: not followed, so that neither the token nor the request body \
             goes there (HTTP 302)"
        )
    );
    let (line, _) = error_line(Case::Redirect(
        server.base.replace("http://", "https://") + "/image/v2/images",
    ));
    assert!(line.contains("redirected to https://127.0.0.1:"), "{line}");
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "the other host was contacted"
    );
    // The token went only where the catalog said.
    assert!(
        server
            .seen
            .lock()
            .unwrap()
            .iter()
            .all(|h| !h.to_ascii_lowercase().contains("authorization"))
    );
}

#[test]
fn a_body_larger_than_any_page_is_refused() {
    let (line, _) = error_line(Case::Huge);
    assert_eq!(
        line,
        "image: GET {base}/image/v2/images: the answer is larger than 32 MiB, the most read \
         into memory (HTTP 200)"
    );
}
