//! Turning SQLite failures into the port's errors.

use inventory_ports::InventoryError;
use rusqlite::{ErrorCode, ffi};

/// What kind of SQLite failure this is, for the few places that react to a specific one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Another connection holds the lock.
    Busy,
    /// A UNIQUE or PRIMARY KEY constraint.
    Unique,
    /// A FOREIGN KEY constraint.
    ForeignKey,
    /// Anything else.
    Other,
}

pub(crate) fn classify(error: &rusqlite::Error) -> Failure {
    match error {
        rusqlite::Error::SqliteFailure(
            ffi::Error {
                code,
                extended_code,
            },
            _,
        ) => match code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Failure::Busy,
            ErrorCode::ConstraintViolation => match *extended_code {
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                    Failure::Unique
                }
                ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Failure::ForeignKey,
                _ => Failure::Other,
            },
            _ => Failure::Other,
        },
        _ => Failure::Other,
    }
}

/// The port error for a SQLite failure no caller handles specifically: a lock held too long
/// is "try again later", everything else is internal.
pub(crate) fn to_inventory(error: rusqlite::Error) -> InventoryError {
    match classify(&error) {
        Failure::Busy => InventoryError::Unavailable(format!("database busy: {error}")),
        _ => InventoryError::Internal(format!("database error: {error}")),
    }
}

/// `?` for rusqlite results inside port methods.
pub(crate) trait OrInventory<T> {
    fn or_inventory(self) -> Result<T, InventoryError>;
}

impl<T> OrInventory<T> for Result<T, rusqlite::Error> {
    fn or_inventory(self) -> Result<T, InventoryError> {
        self.map_err(to_inventory)
    }
}

/// A stored value that the domain refuses: the row is corrupt.
pub(crate) fn corrupt(what: &str, error: impl std::fmt::Display) -> InventoryError {
    InventoryError::Internal(format!("corrupt {what} row: {error}"))
}

/// [`corrupt`] as a `map_err` argument for any error type.
pub(crate) fn corrupt_in<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> InventoryError {
    move |error| corrupt(what, error)
}
