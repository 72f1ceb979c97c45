//! Turning SQLite failures into the port's errors. The SQLite error is kept as the source (for
//! the logs); the message is ours, so no client ever reads database text.

use inventory_ports::{Failure, InventoryError};
use rusqlite::{ErrorCode, ffi};

/// What kind of SQLite failure this is, for the few places that react to a specific one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Another connection holds the lock.
    Busy,
    /// A UNIQUE or PRIMARY KEY constraint.
    Unique,
    /// A FOREIGN KEY constraint.
    ForeignKey,
    /// Anything else.
    Other,
}

pub(crate) fn classify(error: &rusqlite::Error) -> Kind {
    match error {
        rusqlite::Error::SqliteFailure(
            ffi::Error {
                code,
                extended_code,
            },
            _,
        ) => match code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Kind::Busy,
            ErrorCode::ConstraintViolation => match *extended_code {
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => Kind::Unique,
                ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Kind::ForeignKey,
                _ => Kind::Other,
            },
            _ => Kind::Other,
        },
        _ => Kind::Other,
    }
}

/// The port error for a SQLite failure no caller handles specifically: a lock held too long
/// is "try again later", everything else is internal.
pub(crate) fn to_inventory(error: rusqlite::Error) -> InventoryError {
    match classify(&error) {
        Kind::Busy => InventoryError::Unavailable(Failure::caused_by(
            "the database is locked by another connection",
            error,
        )),
        _ => InventoryError::Internal(Failure::caused_by("a database statement failed", error)),
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
