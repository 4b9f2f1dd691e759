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

#[tokio::test(flavor = "multi_thread")]
async fn a_good_upload_whose_check_fails_keeps_the_image_and_says_so() {
    let t = TestCloud::start().await;
    std::fs::write(t.path().join("disk.raw"), raw()).unwrap();
    // Every attempt of the GET that follows the upload gets a 503.
    t.cloud
        .add_fault(
            FaultRule::new(Fault::status(503))
                .method("GET")
                .path("/image/v2/images/*")
                .times(4),
        )
        .expect("fault rule");
    let out = run(t.fstack("mock-admin").args([
        "image",
        "create",
        "kept",
        "--disk-format",
        "raw",
        "--file",
        "disk.raw",
    ]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
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
    let t = TestCloud::start().await;
    std::fs::write(t.path().join("disk.raw"), raw()).unwrap();
    t.cloud
        .add_fault(
            FaultRule::new(Fault::status(503))
                .method("PUT")
                .path("/image/v2/images/*/file")
                .times(1),
        )
        .expect("fault rule");
    let out = run(t.fstack("mock-admin").args([
        "image",
        "create",
        "gone",
        "--disk-format",
        "raw",
        "--file",
        "disk.raw",
    ]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("failed, the image was deleted"), "{stderr}");
    assert_eq!(images(&t).trim(), "");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_whose_answer_is_lost_looks_before_it_deletes() {
    let t = TestCloud::start().await;
    std::fs::write(t.path().join("disk.raw"), raw()).unwrap();
    // The connection closes without an answer and the upload is not run: the image is
    // still queued, so its data did not arrive, and it goes.
    t.cloud
        .add_fault(
            FaultRule::new(Fault::Drop)
                .method("PUT")
                .path("/image/v2/images/*/file")
                .times(1),
        )
        .expect("fault rule");
    let out = run(t.fstack("mock-admin").args([
        "image",
        "create",
        "lost",
        "--disk-format",
        "raw",
        "--file",
        "disk.raw",
    ]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("failed, the image was deleted"), "{stderr}");
    assert_eq!(images(&t).trim(), "");
}
