//! The fake driver: no machine at all. Each transition finishes after N polls of the server
//! (GETs of it) or N ticks, so tests decide exactly when a server becomes ACTIVE.
//!
//! A boot fails on request: the server metadata key or the image property `mock_fail_boot`
//! (its value, unless `true`, becomes the fault message).

use std::collections::HashMap;
use std::sync::Mutex;

use futures::future::{BoxFuture, FutureExt};

use super::{BootSpec, ComputeDriver, DriverError, RemoteConsole, VmState, tail_lines};

/// The key that makes a boot fail.
pub(crate) const FAIL_BOOT_KEY: &str = "mock_fail_boot";

struct FakeVm {
    state: VmState,
    /// The state a transition under way ends in, and the polls or ticks left.
    pending: Option<(VmState, u32)>,
    console: String,
    name: String,
}

impl FakeVm {
    /// One poll or tick; whether the transition finished.
    fn step(&mut self, steps: u32) -> bool {
        let Some((target, left)) = &mut self.pending else {
            return false;
        };
        *left = left.saturating_sub(steps);
        if *left > 0 {
            return false;
        }
        let target = target.clone();
        self.console.push_str(&match &target {
            VmState::Running => format!("{} login: \n", self.name),
            VmState::Shutdown => "reboot: Power down\n".to_owned(),
            VmState::Failed(message) => format!("Kernel panic - not syncing: {message}\n"),
            _ => String::new(),
        });
        self.state = target;
        self.pending = None;
        true
    }
}

/// The fake driver.
pub(crate) struct FakeDriver {
    polls: u32,
    console_base: String,
    vms: Mutex<HashMap<String, FakeVm>>,
}

impl FakeDriver {
    /// Transitions finish after `polls` polls or ticks (0 = at once). Console URLs point at
    /// `console_base` (the cloud's address).
    pub(crate) fn new(polls: u32, console_base: &str) -> FakeDriver {
        FakeDriver {
            polls,
            console_base: console_base.to_owned(),
            vms: Mutex::new(HashMap::new()),
        }
    }

    fn begin(&self, server_id: &str, target: VmState, line: &str) -> Result<(), DriverError> {
        let mut vms = self.vms.lock().expect("fake driver lock");
        let vm = vms.get_mut(server_id).ok_or_else(|| {
            DriverError(format!("fake driver: no machine for server {server_id}"))
        })?;
        vm.console.push_str(line);
        vm.pending = Some((target, self.polls));
        vm.step(0);
        Ok(())
    }
}

fn boot_log(spec: &BootSpec) -> String {
    format!(
        "[    0.000000] Linux version 6.1.0-mock (mock-cloud fake driver)\n\
         [    0.000000] Command line: console=ttyS0 root=/dev/vda1\n\
         [    0.000000] Memory: {ram}M, {vcpus} CPUs\n\
         [    0.512000] Booting image {image}\n\
         [    1.024000] cloud-init: hostname {name}\n\
         mock-cloud: server {name} ({id}) booted\n",
        ram = spec.ram_mb,
        vcpus = spec.vcpus,
        image = spec.image.name.as_deref().unwrap_or(&spec.image.id),
        name = spec.name,
        id = spec.server_id,
    )
}

fn failure_of(spec: &BootSpec) -> Option<String> {
    let value = spec
        .metadata
        .get(FAIL_BOOT_KEY)
        .or_else(|| spec.image.properties.get(FAIL_BOOT_KEY))?;
    Some(if value.is_empty() || value.eq_ignore_ascii_case("true") {
        "Fake driver: the boot failed on request (mock_fail_boot).".to_owned()
    } else {
        value.clone()
    })
}

impl ComputeDriver for FakeDriver {
    fn name(&self) -> &'static str {
        "fake"
    }

    fn create(&self, spec: BootSpec) -> BoxFuture<'_, Result<(), DriverError>> {
        let target = failure_of(&spec).map_or(VmState::Running, VmState::Failed);
        let mut vm = FakeVm {
            state: VmState::Transitioning,
            pending: Some((target, self.polls)),
            console: boot_log(&spec),
            name: spec.name.clone(),
        };
        vm.step(0);
        self.vms
            .lock()
            .expect("fake driver lock")
            .insert(spec.server_id, vm);
        async { Ok(()) }.boxed()
    }

    fn start<'a>(&'a self, server_id: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
        let result = self.begin(server_id, VmState::Running, "mock-cloud: powering on\n");
        async move { result }.boxed()
    }

    fn stop<'a>(&'a self, server_id: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
        let result = self.begin(server_id, VmState::Shutdown, "mock-cloud: powering off\n");
        async move { result }.boxed()
    }

    fn reboot<'a>(
        &'a self,
        server_id: &'a str,
        hard: bool,
    ) -> BoxFuture<'a, Result<(), DriverError>> {
        let line = if hard {
            "mock-cloud: hard reset\n"
        } else {
            "reboot: Restarting system\n"
        };
        let result = self.begin(server_id, VmState::Running, line);
        async move { result }.boxed()
    }

    fn delete<'a>(&'a self, server_id: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
        self.vms.lock().expect("fake driver lock").remove(server_id);
        async { Ok(()) }.boxed()
    }

    fn observe(&self, server_id: &str, poll: bool) -> VmState {
        let mut vms = self.vms.lock().expect("fake driver lock");
        let Some(vm) = vms.get_mut(server_id) else {
            return VmState::Unknown;
        };
        if poll {
            vm.step(1);
        }
        if vm.pending.is_some() {
            VmState::Transitioning
        } else {
            vm.state.clone()
        }
    }

    fn tick(&self, steps: u32) -> usize {
        let mut vms = self.vms.lock().expect("fake driver lock");
        vms.values_mut()
            .map(|vm| vm.step(steps))
            .filter(|done| *done)
            .count()
    }

    fn console_output<'a>(
        &'a self,
        server_id: &'a str,
        length: Option<usize>,
    ) -> BoxFuture<'a, Result<String, DriverError>> {
        let vms = self.vms.lock().expect("fake driver lock");
        let result = vms
            .get(server_id)
            .map(|vm| tail_lines(&vm.console, length))
            .ok_or_else(|| DriverError(format!("fake driver: no machine for server {server_id}")));
        async move { result }.boxed()
    }

    fn vnc_console<'a>(
        &'a self,
        server_id: &'a str,
    ) -> BoxFuture<'a, Result<RemoteConsole, DriverError>> {
        // The shape of a noVNC proxy URL; nothing listens there for the fake driver.
        let token = uuid::Uuid::new_v4();
        let url = format!(
            "{}/compute/vnc_auto.html?path=%3Ftoken%3D{token}&server={server_id}",
            self.console_base
        );
        async move { Ok(RemoteConsole { url }) }.boxed()
    }

    fn reset(&self) {
        self.vms.lock().expect("fake driver lock").clear();
    }

    fn restore(&self, spec: BootSpec, fault: Option<String>) -> Result<(), DriverError> {
        let vm = FakeVm {
            state: fault.map_or(VmState::Shutdown, VmState::Failed),
            pending: None,
            console: "mock-cloud: the cloud restarted; the machine is off\n".to_owned(),
            name: spec.name,
        };
        self.vms
            .lock()
            .expect("fake driver lock")
            .insert(spec.server_id, vm);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nova::driver::BootImage;

    fn spec(metadata: &[(&str, &str)]) -> BootSpec {
        BootSpec {
            server_id: "s1".into(),
            name: "vm".into(),
            vcpus: 1,
            ram_mb: 512,
            disk_gb: 1,
            image: BootImage {
                id: "i1".into(),
                name: Some("cirros".into()),
                disk_format: Some("qcow2".into()),
                container_format: Some("bare".into()),
                size: Some(1),
                data_path: None,
                properties: Default::default(),
            },
            kernel: None,
            ramdisk: None,
            metadata: metadata
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            user_data: None,
            public_key: None,
            hostname: "vm".into(),
            nics: Vec::new(),
            ..BootSpec::default()
        }
    }

    #[tokio::test]
    async fn boots_after_n_polls_and_stops_on_ticks() {
        let driver = FakeDriver::new(2, "http://x");
        driver.create(spec(&[])).await.unwrap();
        assert_eq!(driver.observe("s1", true), VmState::Transitioning);
        assert_eq!(driver.observe("s1", false), VmState::Transitioning);
        assert_eq!(driver.observe("s1", true), VmState::Running);
        driver.stop("s1").await.unwrap();
        assert_eq!(driver.tick(1), 0);
        assert_eq!(driver.tick(1), 1);
        assert_eq!(driver.observe("s1", false), VmState::Shutdown);
        let log = driver.console_output("s1", None).await.unwrap();
        assert!(
            log.contains("booted") && log.ends_with("reboot: Power down\n"),
            "{log}"
        );
    }

    #[tokio::test]
    async fn zero_polls_is_immediate_and_failures_carry_their_message() {
        let driver = FakeDriver::new(0, "http://x");
        driver
            .create(spec(&[("mock_fail_boot", "disk on fire")]))
            .await
            .unwrap();
        assert_eq!(
            driver.observe("s1", false),
            VmState::Failed("disk on fire".into())
        );
        assert_eq!(driver.observe("nope", true), VmState::Unknown);
    }
}
