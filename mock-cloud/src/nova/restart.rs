//! Servers after the cloud restarts on its state directory. Their machines did not survive
//! (a qemu dies with the cloud), so they come back as Nova brings instances back after a host
//! reboot with `resume_guests_state_on_host_boot` off (its `_init_instance`): a running or
//! stopping server is SHUTOFF with no task and no fault, a server still building is ERROR, a
//! server in ERROR stays so. The driver takes each machine back powered off, so that `os-start`
//! boots it again.

use jiff::Timestamp;

use super::driver::{ComputeDriver, VmState};
use super::records::BootSpecRecord;
use super::servers::Server;

/// What `server` becomes; whether it changed.
pub(crate) fn after_restart(server: &mut Server) -> bool {
    let (vm_state, power_state) = match server.vm_state {
        "error" => return false,
        // Nova: "compute stopped before instance was fully spawned so set to ERROR state".
        "building" => ("error", 0),
        _ => ("stopped", 4),
    };
    if server.vm_state == vm_state
        && server.task_state.is_none()
        && server.power_state == power_state
    {
        return false;
    }
    server.vm_state = vm_state;
    server.task_state = None;
    server.power_state = power_state;
    server.updated = Timestamp::now();
    true
}

/// Brings `servers` back after a restart and hands each machine to `driver` with its boot
/// spec; a server the driver cannot take back goes to ERROR with the driver's reason. Returns
/// the servers that changed (to be saved).
pub(crate) fn take_back(
    driver: &dyn ComputeDriver,
    servers: &mut [Server],
    specs: Vec<BootSpecRecord>,
) -> Vec<Server> {
    let mut changed = Vec::new();
    for server in servers.iter_mut() {
        let mut dirty = after_restart(server);
        let spec = specs.iter().find(|spec| spec.server_id() == server.id);
        let taken = match spec {
            Some(spec) => {
                let fault = server.fault.as_ref().map(|(message, _)| message.clone());
                let fault = fault.or_else(|| {
                    (server.vm_state == "error")
                        .then(|| "The server was still building when the cloud stopped.".into())
                });
                let mut spec = spec.clone();
                // A server shown with a drive has one on every boot (Nova attaches it by
                // `instance.config_drive`; `force_config_drive` itself is only for new ones).
                if server.config_drive == "True" {
                    spec.keep_config_drive();
                }
                driver.restore(spec.into_spec(), fault)
            }
            None => Err(super::driver::DriverError(
                "the cloud kept no boot details for this server".to_owned(),
            )),
        };
        if let Err(e) = taken {
            tracing::warn!(server = %server.id, error = %e, "server not taken back after the restart");
            dirty |= server.reconcile(VmState::Failed(format!(
                "The server's machine could not be taken back after the cloud restarted: {e}"
            )));
        }
        if dirty {
            changed.push(server.clone());
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use futures::future::BoxFuture;

    use super::*;
    use crate::nova::driver::{BootSpec, DriverError, RemoteConsole};
    use crate::nova::flavors;

    fn server(vm_state: &'static str, task_state: Option<&'static str>) -> Server {
        let now = Timestamp::UNIX_EPOCH;
        Server {
            id: "s".into(),
            name: "vm".into(),
            description: None,
            project_id: "p".into(),
            user_id: "u".into(),
            image_id: "i".into(),
            flavor: flavors::defaults().remove(0),
            key_name: None,
            metadata: Default::default(),
            vm_state,
            task_state,
            power_state: 1,
            seq: 1,
            reservation_id: String::new(),
            launch_index: 0,
            created: now,
            updated: now,
            launched_at: None,
            fault: None,
            addresses: serde_json::json!({}),
            security_groups: Vec::new(),
            user_data: None,
            kernel_id: String::new(),
            ramdisk_id: String::new(),
            config_drive: String::new(),
            config_drive_at_spawn: false,
            key_data: None,
            key_type: None,
            password: None,
            handing_over: false,
        }
    }

    #[test]
    fn running_and_stopping_servers_come_back_shutoff_and_building_ones_in_error() {
        for (vm_state, task, status) in [
            ("active", None, "SHUTOFF"),
            ("active", Some("powering-off"), "SHUTOFF"),
            ("active", Some("rebooting"), "SHUTOFF"),
            ("stopped", Some("powering-on"), "SHUTOFF"),
            ("building", Some("spawning"), "ERROR"),
        ] {
            let mut s = server(vm_state, task);
            assert!(after_restart(&mut s), "{vm_state} {task:?}");
            assert_eq!(s.status(), status, "{vm_state} {task:?}");
            assert!(s.task_state.is_none() && s.fault.is_none());
        }
        let mut failed = server("error", None);
        failed.fault = Some(("disk on fire".into(), Timestamp::UNIX_EPOCH));
        assert!(!after_restart(&mut failed));
        assert_eq!(failed.status(), "ERROR");
    }

    /// A driver that only takes servers back, keeping the specs it is given.
    #[derive(Default)]
    struct TakesBack(std::sync::Mutex<Vec<BootSpec>>);

    impl ComputeDriver for TakesBack {
        fn name(&self) -> &'static str {
            "takes-back"
        }
        fn create(&self, _: BootSpec) -> BoxFuture<'_, Result<(), DriverError>> {
            Box::pin(async { Ok(()) })
        }
        fn start<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
            Box::pin(async { Ok(()) })
        }
        fn stop<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
            Box::pin(async { Ok(()) })
        }
        fn reboot<'a>(&'a self, _: &'a str, _: bool) -> BoxFuture<'a, Result<(), DriverError>> {
            Box::pin(async { Ok(()) })
        }
        fn delete<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
            Box::pin(async { Ok(()) })
        }
        fn observe(&self, _: &str, _: bool) -> VmState {
            VmState::Shutdown
        }
        fn tick(&self, _: u32) -> usize {
            0
        }
        fn console_output<'a>(
            &'a self,
            _: &'a str,
            _: Option<usize>,
        ) -> BoxFuture<'a, Result<String, DriverError>> {
            Box::pin(async { Ok(String::new()) })
        }
        fn vnc_console<'a>(
            &'a self,
            _: &'a str,
        ) -> BoxFuture<'a, Result<RemoteConsole, DriverError>> {
            Box::pin(async { Err(DriverError("none".into())) })
        }
        fn reset(&self) {}
        fn restore(&self, spec: BootSpec, _: Option<String>) -> Result<(), DriverError> {
            self.0.lock().unwrap().push(spec);
            Ok(())
        }
    }

    #[test]
    fn a_server_shown_with_a_config_drive_keeps_it_after_a_restart() {
        let record = |id: &str| {
            let spec = BootSpec {
                server_id: id.into(),
                ..Default::default()
            };
            BootSpecRecord::from(&spec)
        };
        let mut with_drive = server("active", None);
        with_drive.config_drive = "True".into();
        let mut without = server("active", None);
        without.id = "t".into();
        let driver = TakesBack::default();
        let mut servers = vec![with_drive, without];
        take_back(&driver, &mut servers, vec![record("s"), record("t")]);
        let specs = driver.0.lock().unwrap();
        let drives: Vec<(&str, bool)> = specs
            .iter()
            .map(|s| (s.server_id.as_str(), s.config_drive))
            .collect();
        assert_eq!(drives, [("s", true), ("t", false)]);
    }
}
