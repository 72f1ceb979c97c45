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
    /// The disk holding the database (or its WAL) is full.
    Full,
    /// The storage refused to write or read: a read-only file or filesystem, or an I/O error.
    Storage,
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
            ErrorCode::DiskFull => Kind::Full,
            ErrorCode::ReadOnly | ErrorCode::SystemIoFailure | ErrorCode::CannotOpen => {
                Kind::Storage
            }
            _ => Kind::Other,
        },
        _ => Kind::Other,
    }
}

/// The port error for a SQLite failure no caller handles specifically. A lock held too long,
/// a full disk and a storage that refuses writes are "try again later" (503): they are the
/// machine's state, not a bug, and the writer recovers by itself once they clear (the fault
/// suite, `tests/faults`, checks it). Everything else is internal.
pub(crate) fn to_inventory(error: rusqlite::Error) -> InventoryError {
    match classify(&error) {
        Kind::Busy => InventoryError::Unavailable(Failure::caused_by(
            "the database is locked by another connection",
            error,
        )),
        Kind::Full => {
            InventoryError::Unavailable(Failure::caused_by("the database's disk is full", error))
        }
        Kind::Storage => InventoryError::Unavailable(Failure::caused_by(
            "the database's storage refused the operation (read-only or failing)",
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
