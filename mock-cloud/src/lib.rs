//! The mock cloud. SKELETON.
