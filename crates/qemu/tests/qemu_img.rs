//! qemu-img for real, in a private folder per test.

use ferrostack_qemu::img::MeasureSource;
use ferrostack_qemu::{CheckOutcome, ConvertSpec, CreateSpec, Error, QemuImg};

fn qemu_img() -> QemuImg {
    QemuImg::locate().unwrap_or_else(|err| panic!("these tests need qemu-img: {err}"))
}

#[tokio::test]
async fn create_info_resize_check_convert_measure() {
    let img = qemu_img();
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.qcow2");
    img.create(
        &CreateSpec::new(&base, "qcow2")
            .size(64 << 20)
            .option("compat", "1.1"),
    )
    .await
    .unwrap();
    let info = img.info(&base, Some("qcow2")).await.unwrap();
    assert_eq!(
        (info.format.as_str(), info.virtual_size),
        ("qcow2", 64 << 20)
    );
    assert_eq!(info.format_specific.unwrap().data["compat"], "1.1");

    let top = dir.path().join("top.qcow2");
    img.create(&CreateSpec::new(&top, "qcow2").backing(&base, "qcow2"))
        .await
        .unwrap();
    let chain = img.info_chain(&top, Some("qcow2")).await.unwrap();
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[0].backing_filename_format.as_deref(), Some("qcow2"));
    assert_eq!(
        chain[0].virtual_size,
        64 << 20,
        "an overlay inherits the backing size"
    );

    img.resize(&base, Some("qcow2"), 128 << 20, false)
        .await
        .unwrap();
    assert_eq!(img.info(&base, None).await.unwrap().virtual_size, 128 << 20);

    let report = img.check(&base, Some("qcow2")).await.unwrap();
    assert_eq!(report.outcome, CheckOutcome::Clean);

    let compressed = dir.path().join("flat.qcow2");
    img.convert(
        &ConvertSpec::new(&top, &compressed, "qcow2")
            .source_format("qcow2")
            .compress(true),
    )
    .await
    .unwrap();
    let flat = img.info(&compressed, Some("qcow2")).await.unwrap();
    assert_eq!(flat.backing_filename, None, "convert flattens the chain");

    let raw = dir.path().join("disk.raw");
    img.create(&CreateSpec::new(&raw, "raw").size(1 << 20))
        .await
        .unwrap();
    let report = img.check(&raw, Some("raw")).await.unwrap();
    assert_eq!(report.outcome, CheckOutcome::NotCheckable);

    let measurement = img
        .measure(&MeasureSource::Size(1 << 30), "qcow2")
        .await
        .unwrap();
    assert!(measurement.fully_allocated > 1 << 30);
}

#[tokio::test]
async fn a_failure_carries_command_status_and_stderr() {
    let img = qemu_img();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.qcow2");
    let err = img.info(&missing, None).await.unwrap_err();
    let Error::CommandFailed {
        command,
        status,
        stderr,
    } = &err
    else {
        panic!("unexpected error {err:?}");
    };
    assert!(
        command.ends_with(&format!("info --output=json {}", missing.display())),
        "{command}"
    );
    assert_eq!(status, "exit status: 1");
    assert!(stderr.contains("Could not open"), "{stderr}");
}

#[tokio::test]
async fn an_overlay_without_backing_format_is_refused_by_qemu_img() {
    let img = qemu_img();
    let dir = tempfile::tempdir().unwrap();
    // A backing file that does not exist: qemu-img reports it, and the error says so.
    let top = dir.path().join("top.qcow2");
    let err = img
        .create(&CreateSpec::new(&top, "qcow2").backing(dir.path().join("nope.qcow2"), "qcow2"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nope.qcow2"), "{err}");
}
