//! Why an image failed Glance's safety checks.

use std::fmt;

use crate::DiskFormat;

/// The safety check an image failed, named after Glance's checks where Glance has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SafetyCheck {
    /// A qcow2 image names a backing file (the host would read that file into the guest).
    BackingFile,
    /// A qcow2 image keeps its data in an external file.
    DataFile,
    /// An unsupported version of a format (qcow2 other than 2 or 3, LUKS other than 1).
    Version,
    /// A qcow2 image sets incompatible feature bits Glance does not know.
    UnknownFeatures,
    /// A format that is always refused (qed).
    Banned,
    /// A vmdk descriptor that is not a single-file sparse disk with whitelisted lines.
    Descriptor,
    /// A vmdk footer that contradicts its header.
    Footer,
    /// An MBR or protective-MBR partition table that breaks Glance's rules.
    PartitionTable,
    /// The data carries a format's signature but its structure is broken or cut short.
    Structure,
    /// The data matches more than one format (a header hidden inside another).
    MultipleFormats,
}

impl SafetyCheck {
    /// A short, stable name: `backing_file`, `data_file`, `version`, `unknown_features`,
    /// `banned`, `descriptor`, `footer`, `partition_table`, `structure`,
    /// `multiple_formats`.
    pub fn as_str(self) -> &'static str {
        match self {
            SafetyCheck::BackingFile => "backing_file",
            SafetyCheck::DataFile => "data_file",
            SafetyCheck::Version => "version",
            SafetyCheck::UnknownFeatures => "unknown_features",
            SafetyCheck::Banned => "banned",
            SafetyCheck::Descriptor => "descriptor",
            SafetyCheck::Footer => "footer",
            SafetyCheck::PartitionTable => "partition_table",
            SafetyCheck::Structure => "structure",
            SafetyCheck::MultipleFormats => "multiple_formats",
        }
    }
}

/// An image failed a safety check: which format, which check, and a sentence for a person
/// (`qcow2 names a backing file: /etc/passwd`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyError {
    format: DiskFormat,
    check: SafetyCheck,
    detail: String,
}

impl SafetyError {
    pub(crate) fn new(format: DiskFormat, check: SafetyCheck, detail: impl Into<String>) -> Self {
        SafetyError {
            format,
            check,
            detail: detail.into(),
        }
    }

    /// The format whose check failed.
    pub fn format(&self) -> DiskFormat {
        self.format
    }

    /// The check that failed.
    pub fn check(&self) -> SafetyCheck {
        self.check
    }
}

impl fmt::Display for SafetyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for SafetyError {}
