//! Arbitrary bodies (and list queries) to every JSON handler of the mock cloud, with a valid
//! token: no input may panic a handler or make it answer 5xx. The first byte picks the
//! route, the second the compute microversion (see `mock_cloud::fuzzing`).

#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use mock_cloud::fuzzing::Harness;

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    static HARNESS: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

fuzz_target!(|input: &[u8]| {
    RUNTIME.with(|runtime| {
        HARNESS.with(|cell| {
            let mut harness = cell.borrow_mut();
            if harness.is_none() {
                *harness = Some(runtime.block_on(Harness::new()));
            }
            if let Some(harness) = harness.as_mut() {
                runtime.block_on(harness.call(input));
            }
        });
    });
});
