//! The error a value constructor returns when its input is not a valid value.

use std::fmt;

/// A value that cannot be built: which field, and why.
///
/// Constructors return this instead of panicking, so a caller (the HTTP adapter, an embedding
/// program) can report the field back to whoever sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The field in the caller's vocabulary (`sku`, `quantity`, `ttl`...).
    pub field: &'static str,
    /// A sentence a client can read.
    pub message: String,
}

impl ValidationError {
    /// A validation error on `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}
