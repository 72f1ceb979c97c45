//! Turning PostgreSQL failures into the port's errors. The client's error is kept as the
//! source (for the logs); the message is ours, so no client ever reads database text.

use inventory_ports::{Failure, InventoryError};
use postgres::error::SqlState;

/// What kind of failure this is, for the few places that react to a specific one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A deadlock or a serialization failure: the same work run again may succeed.
    Transient,
    /// The connection is gone, the server is shutting down or refuses more connections, or a
    /// lock waited past `lock_timeout`.
    Unavailable,
    /// A unique constraint, by name.
    Unique(String),
    /// A foreign key, by name.
    ForeignKey(String),
    /// Anything else.
    Other,
}

pub(crate) fn classify(error: &postgres::Error) -> Kind {
    if error.is_closed() {
        return Kind::Unavailable;
    }
    let Some(code) = error.code() else {
        // No SQL state: the connection itself failed (I/O, a timeout).
        return Kind::Unavailable;
    };
    let constraint = || {
        error
            .as_db_error()
            .and_then(|db| db.constraint())
            .unwrap_or_default()
            .to_owned()
    };
    let is = |state: &SqlState| code == state;
    if is(&SqlState::T_R_DEADLOCK_DETECTED) || is(&SqlState::T_R_SERIALIZATION_FAILURE) {
        Kind::Transient
    } else if is(&SqlState::UNIQUE_VIOLATION) {
        Kind::Unique(constraint())
    } else if is(&SqlState::FOREIGN_KEY_VIOLATION) {
        Kind::ForeignKey(constraint())
    } else if [
        SqlState::LOCK_NOT_AVAILABLE,
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CRASH_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
        SqlState::TOO_MANY_CONNECTIONS,
        SqlState::CONNECTION_EXCEPTION,
        SqlState::CONNECTION_FAILURE,
        SqlState::CONNECTION_DOES_NOT_EXIST,
        SqlState::QUERY_CANCELED,
    ]
    .iter()
    .any(is)
    {
        Kind::Unavailable
    } else {
        Kind::Other
    }
}

/// The port error for a failure no caller handles specifically.
pub(crate) fn to_inventory(error: postgres::Error) -> InventoryError {
    match classify(&error) {
        Kind::Transient => InventoryError::Unavailable(
            Failure::caused_by(
                "the database gave up on the transaction (a deadlock or a serialization failure)",
                error,
            )
            .transient(),
        ),
        Kind::Unavailable => InventoryError::Unavailable(Failure::caused_by(
            "the database is unreachable, shutting down or overloaded",
            error,
        )),
        _ => InventoryError::Internal(Failure::caused_by("a database statement failed", error)),
    }
}

/// `?` for client results inside port methods.
pub(crate) trait OrInventory<T> {
    fn or_inventory(self) -> Result<T, InventoryError>;
}

impl<T> OrInventory<T> for Result<T, postgres::Error> {
    fn or_inventory(self) -> Result<T, InventoryError> {
        self.map_err(to_inventory)
    }
}
