//! Assertions about SDK errors: that a call failed, and in the expected way.

use std::fmt::Debug;

use anyhow::{Result, bail};
use ferrostack::ErrorKind;

/// `result` must be an error of `kind` (and, when given, HTTP `status`); `what` says which
/// call it was. Returns the error for further checks.
pub(crate) fn error<T>(
    what: &str,
    result: ferrostack::Result<T>,
    kind: ErrorKind,
    status: Option<u16>,
) -> Result<ferrostack::Error> {
    match result {
        Ok(_) => bail!("{what}: expected a {kind:?} error, but it succeeded"),
        Err(err) if *err.kind() != kind => {
            bail!(
                "{what}: expected a {kind:?} error, got {:?}: {err}",
                err.kind()
            )
        }
        Err(err) if status.is_some() && err.status() != status => bail!(
            "{what}: expected HTTP {}, got {:?}: {err}",
            status.unwrap_or_default(),
            err.status()
        ),
        Err(err) => Ok(err),
    }
}

/// `actual` must equal `expected`; `what` names the value.
pub(crate) fn equal<T: PartialEq + Debug>(what: &str, actual: T, expected: T) -> Result<()> {
    if actual != expected {
        bail!("{what}: expected {expected:?}, got {actual:?}");
    }
    Ok(())
}

/// `result` must be an error of `kind` and HTTP `status` whose Neutron type (`NeutronError`'s
/// `type`, which the SDK keeps) is `error_type`. Returns the error for further checks.
pub(crate) fn neutron_error<T>(
    what: &str,
    result: ferrostack::Result<T>,
    kind: ErrorKind,
    status: Option<u16>,
    error_type: &str,
) -> Result<ferrostack::Error> {
    let err = error(what, result, kind, status)?;
    equal(
        &format!("{what}: its type"),
        err.error_type(),
        Some(error_type),
    )?;
    Ok(err)
}
