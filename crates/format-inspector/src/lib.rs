//! Disk-image format detection and safety checks. SKELETON.
