//! One probe per format. Each asks for a few bounded regions and, once all data was
//! offered, says whether the data is its format, the virtual size, and the safety verdict.

mod iso;
mod luks;
mod partition_table;
mod qcow2;
mod qed;
mod vdi;
mod vhd;
mod vhdx;
mod vmdk;

use crate::engine::Probe;
use crate::{DiskFormat, SafetyError};

/// A probe's conclusion that the data is its format.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub(crate) format: DiskFormat,
    pub(crate) virtual_size: Option<u64>,
    pub(crate) safety: Result<(), SafetyError>,
}

impl Finding {
    fn safe(format: DiskFormat, virtual_size: Option<u64>) -> Self {
        Finding {
            format,
            virtual_size,
            safety: Ok(()),
        }
    }
}

/// A fresh probe for every format but raw (raw is what is left when none matches).
pub(crate) fn all() -> Vec<Box<dyn Probe + Send>> {
    vec![
        Box::new(qcow2::Qcow2Probe::new()),
        Box::new(qed::QedProbe::new()),
        Box::new(vmdk::VmdkProbe::new()),
        Box::new(vhd::VhdProbe::new()),
        Box::new(vhdx::VhdxProbe::new()),
        Box::new(vdi::VdiProbe::new()),
        Box::new(iso::IsoProbe::new()),
        Box::new(partition_table::PartitionTableProbe::new()),
        Box::new(luks::LuksProbe::new()),
    ]
}
