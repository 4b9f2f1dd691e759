//! Choosing the accelerator: KVM only where it really works.
//!
//! On some hosts `/dev/kvm` exists but is backed by `kvm_pvm` and the CPU shows neither vmx nor
//! svm: qemu then starts with `-accel kvm` and dies minutes later with an emulation failure.
//! So KVM needs all three: a writable `/dev/kvm`, vmx/svm in cpuinfo, and no `kvm_pvm`.

use std::path::Path;

/// The accelerator qemu runs the guest with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accel {
    /// Hardware virtualisation.
    Kvm,
    /// Software emulation (slower, works everywhere).
    Tcg,
}

impl Accel {
    /// The value of `-accel`.
    pub fn as_str(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }

    /// Probes this host.
    pub fn detect() -> Accel {
        let kvm_writable = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/kvm")
            .is_ok();
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let pvm = Path::new("/sys/module/kvm_pvm").exists();
        Self::choose(kvm_writable, &cpuinfo, pvm)
    }

    /// The decision, from what was probed (pure, so every case is tested).
    pub fn choose(kvm_writable: bool, cpuinfo: &str, kvm_pvm_loaded: bool) -> Accel {
        let has_virt_flag = cpuinfo
            .lines()
            .filter(|line| line.starts_with("flags"))
            .flat_map(|line| line.split_whitespace())
            .any(|flag| flag == "vmx" || flag == "svm");
        if kvm_writable && has_virt_flag && !kvm_pvm_loaded {
            Accel::Kvm
        } else {
            Accel::Tcg
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VMX: &str = "processor\t: 0\nflags\t\t: fpu vme de pse vmx sse2\n";
    const SVM: &str = "flags\t\t: fpu svm lm\n";
    const NONE: &str = "flags\t\t: fpu vme de pse sse2 hypervisor\n";

    #[test]
    fn kvm_only_when_all_three_hold() {
        assert_eq!(Accel::choose(true, VMX, false), Accel::Kvm);
        assert_eq!(Accel::choose(true, SVM, false), Accel::Kvm);
        assert_eq!(
            Accel::choose(false, VMX, false),
            Accel::Tcg,
            "no writable /dev/kvm"
        );
        assert_eq!(
            Accel::choose(true, NONE, false),
            Accel::Tcg,
            "no vmx/svm flag"
        );
        assert_eq!(Accel::choose(true, VMX, true), Accel::Tcg, "kvm_pvm");
        // A flag name that merely contains "vmx" is not the flag.
        assert_eq!(Accel::choose(true, "flags\t: vmx_ept\n", false), Accel::Tcg);
    }
}
