//! The check after an upload: when the upload went through but reading the image back
//! fails, fstack says so and keeps the image, whose data did arrive; when Glance refuses the
//! data, the half-made image goes.

mod common;

use common::{TestCloud, run, stdout};
use mock_cloud::{Fault, FaultRule};

/// 64 KiB of data no inspector recognises: a raw disk.
fn raw() -> Vec<u8> {
    (0..65_536u32).map(|i| (i * 7 % 251) as u8).collect()
}

fn images(t: &TestCloud) -> String {
    stdout(
        t.fstack("mock-admin")
            .args(["image", "list", "-f", "value", "-c", "Name", "-c", "Status"]),
    )
}

/// A cloud with the fault `rule` set, and the failed `image create NAME --file disk.raw`
/// run against it (exit code 1 checked): the cloud, and the command's stderr.
async fn failed_create(name: &str, rule: FaultRule) -> (TestCloud, String) {
    let t = TestCloud::start().await;
    std::fs::write(t.path().join("disk.raw"), raw()).unwrap();
    t.cloud.add_fault(rule).expect("fault rule");
    let out = run(t.fstack("mock-admin").args([
        "image",
        "create",
        name,
        "--disk-format",
        "raw",
        "--file",
        "disk.raw",
    ]));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    (t, stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_good_upload_whose_check_fails_keeps_the_image_and_says_so() {
    // Every attempt of the GET that follows the upload gets a 503.
    let rule = FaultRule::new(Fault::status(503))
        .method("GET")
        .path("/image/v2/images/*")
        .times(4);
    let (t, stderr) = failed_create("kept", rule).await;
    assert!(
        stderr.contains("the data arrived (65536 bytes, sha512 ")
            && stderr
                .contains("but reading the image back to check it failed, so the image was kept"),
        "{stderr}"
    );
    assert!(!stderr.contains("was deleted"), "{stderr}");
    assert_eq!(images(&t).trim(), "kept active");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_upload_deletes_the_image() {
    let rule = FaultRule::new(Fault::status(503))
        .method("PUT")
        .path("/image/v2/images/*/file")
        .times(1);
    let (t, stderr) = failed_create("gone", rule).await;
    assert!(stderr.contains("failed, the image was deleted"), "{stderr}");
    assert_eq!(images(&t).trim(), "");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_whose_answer_is_lost_looks_before_it_deletes() {
    // The connection closes without an answer and the upload is not run: the image is
    // still queued, so its data did not arrive, and it goes.
    let rule = FaultRule::new(Fault::Drop)
        .method("PUT")
        .path("/image/v2/images/*/file")
        .times(1);
    let (t, stderr) = failed_create("lost", rule).await;
    assert!(stderr.contains("failed, the image was deleted"), "{stderr}");
    assert_eq!(images(&t).trim(), "");
}
