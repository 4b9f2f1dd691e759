//! How Glance's creates and lists hold up as the store fills (a debug-build figure for
//! developers; the release figures are `cargo xtask bench growth`). Ignored by default:
//! `cargo test -p mock-cloud --test glance_growth -- --ignored --nocapture`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mock_cloud::MockCloud;
use serde_json::json;

const CLIENTS: usize = 16;
const LEVELS: &[usize] = &[0, 1_000, 10_000];
/// Creates timed at each level.
const WINDOW: usize = 300;
const LIST_SECONDS: f64 = 2.0;

struct Target {
    http: reqwest::Client,
    url: String,
    token: String,
}

/// `count` creates spread over the clients; returns how long they took.
async fn create(target: &Arc<Target>, count: usize) -> Duration {
    let left = Arc::new(AtomicUsize::new(count));
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (target, left) = (target.clone(), left.clone());
            tokio::spawn(async move {
                while left
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
                {
                    let answer = target
                        .http
                        .post(&target.url)
                        .header("x-auth-token", &target.token)
                        .json(&json!({"name": "growth", "disk_format": "raw", "container_format": "bare"}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(answer.status(), 201);
                    answer.bytes().await.unwrap();
                }
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    started.elapsed()
}

/// First-page lists for `LIST_SECONDS`; returns requests per second.
async fn list(target: &Arc<Target>) -> f64 {
    let deadline = Instant::now() + Duration::from_secs_f64(LIST_SECONDS);
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (target, done) = (target.clone(), done.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let answer = target
                        .http
                        .get(&target.url)
                        .header("x-auth-token", &target.token)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(answer.status(), 200);
                    answer.bytes().await.unwrap();
                    done.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    done.load(Ordering::SeqCst) as f64 / started.elapsed().as_secs_f64()
}

async fn run(label: &str, cloud: MockCloud) {
    let target = Arc::new(Target {
        http: reqwest::Client::new(),
        url: format!("{}/image/v2/images", cloud.base_url()),
        token: cloud.token("admin", "admin").unwrap(),
    });
    let mut made = 0;
    for &level in LEVELS {
        create(&target, level.saturating_sub(made)).await;
        made = made.max(level);
        let took = create(&target, WINDOW).await;
        made += WINDOW;
        let lists = list(&target).await;
        println!(
            "{label}: at {level} images: {:.0} creates/s, {lists:.0} list req/s",
            WINDOW as f64 / took.as_secs_f64()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check: run with --ignored --nocapture"]
async fn creates_and_lists_as_the_store_fills() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    run("in memory", MockCloud::start().await.unwrap()).await;
    let dir = tempfile::tempdir().unwrap();
    let cloud = MockCloud::builder()
        .state_dir(dir.path())
        .start()
        .await
        .unwrap();
    run("--state-dir", cloud).await;
}
