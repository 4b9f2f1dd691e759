//! The qemu driver. SKELETON.
