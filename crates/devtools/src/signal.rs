//! Signals to the processes a task started, by pid (rustix, no unsafe).

pub use rustix::process::Signal;

/// Sends `signal` to the process `pid`; false when there is no such process (or it is not ours).
pub fn send(pid: u32, signal: Signal) -> bool {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw);
    pid.is_some_and(|pid| rustix::process::kill_process(pid, signal).is_ok())
}
