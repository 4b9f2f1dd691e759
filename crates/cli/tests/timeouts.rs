//! Nothing hangs, end to end: fstack against a server on 127.0.0.1:0 that accepts
//! connections and never answers. The error names the call, the URL (without its userinfo)
//! and how long it waited; `--timeout` is the whole command's deadline.

use std::process::Command;
use std::time::{Duration, Instant};

/// A listener that accepts every connection and never writes a byte; its address.
fn silent_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for socket in listener.incoming().flatten() {
            held.push(socket);
        }
    });
    address
}

/// `fstack` with nothing of the developer's environment, a private home, and `args`.
fn fstack(home: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fstack"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("OS_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .current_dir(home)
        .args(args);
    cmd
}

/// The password flags for a cloud at `auth_url`.
fn password_flags(auth_url: &str) -> Vec<String> {
    [
        "--os-auth-url",
        auth_url,
        "--os-username",
        "demo",
        "--os-password",
        "pw-s3cr3t",
        "--os-user-domain-id",
        "default",
        "--os-project-name",
        "demo",
        "--os-project-domain-id",
        "default",
    ]
    .map(str::to_owned)
    .to_vec()
}

#[test]
fn timeout_is_the_whole_commands_deadline_and_the_error_names_the_call() {
    let address = silent_server();
    let home = tempfile::tempdir().unwrap();
    let auth_url = format!("http://ada:pw-s3cr3t@{address}/identity/v3");
    let mut args = password_flags(&auth_url);
    args.extend(["--timeout", "1", "token", "issue"].map(str::to_owned));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let started = Instant::now();
    let out = fstack(home.path(), &args).output().unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // Before, --timeout bounded each of four attempts of the GET: over 4 s in all.
    assert!(took < Duration::from_millis(2500), "{took:?}: {stderr}");
    assert!(
        stderr.contains(&format!(
            "GET http://{address}/identity/v3: timed out after 1.0 s (the 1 s time limit ran out)"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cr3t"), "{stderr}");
}

#[test]
fn api_timeout_in_clouds_yaml_bounds_each_read() {
    let address = silent_server();
    let home = tempfile::tempdir().unwrap();
    let clouds = format!(
        "clouds:\n  silent:\n    api_timeout: 0.5\n    auth:\n      auth_url: http://{address}/identity\n      \
         username: demo\n      password: pw-s3cr3t\n      user_domain_id: default\n      \
         project_name: demo\n      project_domain_id: default\n"
    );
    std::fs::write(home.path().join("clouds.yaml"), clouds).unwrap();
    let started = Instant::now();
    let out = fstack(home.path(), &["--os-cloud", "silent", "image", "list"])
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "GET http://{address}/identity: timed out after 0.5 s \
             (nothing received within the 0.5 s read timeout)"
        )),
        "{stderr}"
    );
    // One attempt: a timeout is not retried.
    assert!(took < Duration::from_millis(2000), "{took:?}: {stderr}");
}

#[test]
fn a_timeout_that_is_not_a_positive_number_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let mut args = password_flags("http://127.0.0.1:9/identity/v3");
    args.extend(["--timeout", "0", "token", "issue"].map(str::to_owned));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = fstack(home.path(), &args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--timeout 0: give a number of seconds above 0"),
        "{stderr}"
    );
}
