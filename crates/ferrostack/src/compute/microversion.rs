//! Compute microversions: `2.X` values, their order, and the choice of the one to send.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind, Result};
use crate::request::ServiceType;

/// A compute API microversion, `major.minor` (`2.47`). Ordered numerically, so `2.9 < 2.10`.
///
/// ```
/// use ferrostack::compute::Microversion;
/// let v: Microversion = "2.47".parse().unwrap();
/// assert!(v >= Microversion::EMBEDDED_FLAVOR);
/// assert!(Microversion(2, 9) < Microversion(2, 10));
/// assert_eq!(v.to_string(), "2.47");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Microversion(pub u16, pub u16);

impl Microversion {
    /// 2.1: the base of the v2.1 API, what a request without a version header gets.
    pub const BASE: Microversion = Microversion(2, 1);
    /// 2.2: keypairs gain a `type` (`ssh` or `x509`).
    pub const KEYPAIR_TYPE: Microversion = Microversion(2, 2);
    /// 2.6: `POST /servers/{id}/remote-consoles` replaces the `os-getVNCConsole` action.
    pub const REMOTE_CONSOLES: Microversion = Microversion(2, 6);
    /// 2.37: `networks` is required when creating a server (`auto`, `none` or a list).
    pub const NETWORKS_REQUIRED: Microversion = Microversion(2, 37);
    /// 2.47: a server embeds its flavor (name, vcpus, ram, disk...) instead of linking to it.
    pub const EMBEDDED_FLAVOR: Microversion = Microversion(2, 47);
    /// 2.55: flavors have a description, set on create and changed with `PUT /flavors/{id}`.
    pub const FLAVOR_DESCRIPTION: Microversion = Microversion(2, 55);
    /// 2.92: Nova no longer generates keypairs; a public key is required.
    pub const NO_KEYPAIR_GENERATION: Microversion = Microversion(2, 92);
    /// The oldest version this client speaks.
    pub const CLIENT_MIN: Microversion = Microversion::BASE;
    /// The newest version this client has been written and tested against.
    pub const CLIENT_MAX: Microversion = Microversion(2, 96);
}

impl fmt::Display for Microversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

impl FromStr for Microversion {
    type Err = Error;

    /// Parses `2.47` (a leading `v` and surrounding spaces are accepted, as discovery
    /// documents write `v2.1`).
    fn from_str(text: &str) -> Result<Self> {
        let trimmed = text.trim().trim_start_matches(['v', 'V']);
        let parsed = trimmed.split_once('.').and_then(|(major, minor)| {
            let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            (all_digits(major) && all_digits(minor))
                .then(|| Some(Microversion(major.parse().ok()?, minor.parse().ok()?)))
                .flatten()
        });
        parsed.ok_or_else(|| {
            Error::invalid_input(format!(
                "{text:?} is not a compute microversion (expected MAJOR.MINOR, like 2.79)"
            ))
        })
    }
}

/// What the caller asked for: a version to pin, the newest possible, or no preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionRequest {
    /// The newest version both sides support.
    Negotiate,
    /// Exactly this version; an error when the server does not support it.
    Pinned(Microversion),
}

impl VersionRequest {
    /// Reads `compute_api_version` from a cloud configuration: `2.79` (or any `2.X`) pins
    /// it; `2` (the major version alone), `latest` or nothing negotiate.
    pub fn from_config(value: Option<&str>) -> Result<Self> {
        match value.map(str::trim) {
            None | Some("") | Some("2") | Some("latest") => Ok(VersionRequest::Negotiate),
            Some(text) => text
                .parse()
                .map(VersionRequest::Pinned)
                .map_err(|e| Error::config(format!("compute_api_version: {}", e.message()))),
        }
    }
}

/// The version to send, from what the caller asked for and the range the server announced
/// (`None` when its discovery document had no microversions: a 2.1 server, or a proxy that
/// hides them, where only the base version is safe).
pub fn negotiate(
    wanted: VersionRequest,
    server: Option<(Microversion, Microversion)>,
) -> Result<Microversion> {
    let (server_min, server_max) = server.unwrap_or((Microversion::BASE, Microversion::BASE));
    match wanted {
        VersionRequest::Pinned(v) => {
            if v < Microversion::CLIENT_MIN || v > Microversion::CLIENT_MAX {
                return Err(Error::invalid_input(format!(
                    "compute microversion {v} is outside what this client supports ({}..={})",
                    Microversion::CLIENT_MIN,
                    Microversion::CLIENT_MAX
                )));
            }
            if v < server_min || v > server_max {
                return Err(Error::new(
                    ErrorKind::NotAcceptable,
                    format!(
                        "compute microversion {v} is not supported by this cloud (it accepts {server_min}..={server_max})"
                    ),
                )
                .with_service(ServiceType::Compute));
            }
            Ok(v)
        }
        VersionRequest::Negotiate => {
            let low = server_min.max(Microversion::CLIENT_MIN);
            let high = server_max.min(Microversion::CLIENT_MAX);
            if low > high {
                return Err(Error::new(
                    ErrorKind::NotAcceptable,
                    format!(
                        "no common compute microversion: this cloud accepts {server_min}..={server_max}, this client {}..={}",
                        Microversion::CLIENT_MIN,
                        Microversion::CLIENT_MAX
                    ),
                )
                .with_service(ServiceType::Compute));
            }
            Ok(high)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Microversion {
        text.parse().unwrap()
    }

    #[test]
    fn parses_and_orders_numerically() {
        assert_eq!(v("2.47"), Microversion(2, 47));
        assert_eq!(v(" v2.1 "), Microversion(2, 1));
        assert!(v("2.9") < v("2.10"));
        assert!(v("2.100") > v("2.96"));
        for bad in [
            "", "2", "2.", ".5", "2.x", "latest", "2.1.3", "-2.1", "2.99999",
        ] {
            let err = bad.parse::<Microversion>().unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::InvalidInput, "{bad}");
            assert!(
                err.message().contains("not a compute microversion"),
                "{bad}"
            );
        }
    }

    #[test]
    fn negotiation_takes_the_highest_common_version() {
        let range = |a: &str, b: &str| Some((v(a), v(b)));
        let n = |server| negotiate(VersionRequest::Negotiate, server).unwrap();
        assert_eq!(n(range("2.1", "2.100")), Microversion::CLIENT_MAX);
        assert_eq!(n(range("2.1", "2.60")), v("2.60"));
        assert_eq!(n(None), Microversion::BASE);
        let err = negotiate(VersionRequest::Negotiate, range("2.97", "2.100")).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::NotAcceptable);
        assert!(err.message().contains("2.97..=2.100"), "{err}");
    }

    #[test]
    fn a_pin_is_checked_against_both_sides() {
        let server = Some((v("2.1"), v("2.60")));
        assert_eq!(
            negotiate(VersionRequest::Pinned(v("2.37")), server).unwrap(),
            v("2.37")
        );
        let err = negotiate(VersionRequest::Pinned(v("2.79")), server).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::NotAcceptable);
        assert!(err.message().contains("2.79") && err.message().contains("2.1..=2.60"));
        let err = negotiate(VersionRequest::Pinned(v("2.200")), server).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::InvalidInput);
        let err = negotiate(VersionRequest::Pinned(v("2.2")), None).unwrap_err();
        assert!(err.message().contains("2.1..=2.1"), "{err}");
    }

    #[test]
    fn config_values() {
        assert_eq!(
            VersionRequest::from_config(None).unwrap(),
            VersionRequest::Negotiate
        );
        for negotiate in ["2", "latest", ""] {
            assert_eq!(
                VersionRequest::from_config(Some(negotiate)).unwrap(),
                VersionRequest::Negotiate
            );
        }
        assert_eq!(
            VersionRequest::from_config(Some("2.79")).unwrap(),
            VersionRequest::Pinned(Microversion(2, 79))
        );
        let err = VersionRequest::from_config(Some("two")).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Config);
        assert!(err.message().starts_with("compute_api_version:"), "{err}");
    }
}
