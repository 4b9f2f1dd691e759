//! `fstack`: the openstack command line that starts in milliseconds.
//!
//! This crate grows the `fstack` binary command by command; its output layer comes first,
//! since every command prints through it.

pub mod args;
pub mod output;
