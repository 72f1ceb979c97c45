//! A broken rule of the model: always a bug in the code or corrupt stored data, never something
//! the caller did.

use std::fmt;

/// An invariant of the model does not hold: `reserved > quantity` read from storage, a
/// reservation resolved against another pair's stock, an expiry asked for before the deadline.
///
/// Callers never match on what went wrong (there is nothing a client can do about it); they
/// report it as an internal error and log the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvariantViolation(String);

impl InvariantViolation {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for InvariantViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invariant violated: {}", self.0)
    }
}

impl std::error::Error for InvariantViolation {}
