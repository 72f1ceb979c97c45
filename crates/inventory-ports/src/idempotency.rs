//! Idempotency keys: a client that sends the same write twice (a phone on a bad network
//! retrying) gets the first answer again instead of a second effect.
//!
//! The first request with a key runs, and the answer it got is stored by the same transaction
//! as its effect ([`crate::WriteTx::store_response`]): either both are kept or neither. A
//! repeat finds the stored answer ([`crate::ReadTx::stored_response`]) inside its own write
//! transaction, where the adapter makes it wait for a first request still running, so the work
//! never runs twice. Only successful answers are stored: a refused request changed nothing, and
//! its retry is a new attempt.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use inventory_domain::ValidationError;
use time::OffsetDateTime;

/// A client's idempotency key, scoped to the caller who sent it: two callers using the same
/// key never see each other's answers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdempotencyKey {
    scope: String,
    key: String,
}

impl IdempotencyKey {
    /// The longest key a client may send.
    pub const MAX_LEN: usize = 255;

    /// A key sent by the caller `scope` (a token subject, or "anonymous").
    ///
    /// # Errors
    /// A [`ValidationError`] naming `Idempotency-Key` when the key is empty, longer than
    /// [`IdempotencyKey::MAX_LEN`], or holds anything but visible ASCII (a UUID, a hash, a
    /// client's own token all qualify).
    pub fn new(scope: impl Into<String>, key: &str) -> Result<Self, ValidationError> {
        if key.is_empty() || key.len() > Self::MAX_LEN {
            return Err(ValidationError::new(
                "Idempotency-Key",
                format!("must be 1 to {} characters", Self::MAX_LEN),
            ));
        }
        if !key.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(ValidationError::new(
                "Idempotency-Key",
                "must hold visible ASCII characters only",
            ));
        }
        Ok(Self {
            scope: scope.into(),
            key: key.to_owned(),
        })
    }

    /// Whose key it is.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The key as the client sent it.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// The answer stored for a key: what a repeat of the request gets back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// What identifies the request's content (a hash of its method, path and body): a repeat
    /// with another fingerprint is another request misusing the key.
    pub fingerprint: String,
    /// The status the first request got.
    pub status: u16,
    /// The body the first request got, byte for byte.
    pub body: Vec<u8>,
    /// When it was stored (keys are purged some time after).
    pub created_at: OffsetDateTime,
}

/// Renders a use case's result (the `T` of its change, behind `&dyn Any`) as the status and
/// body the caller is answered with. `None` when handed a type it does not render (a bug).
pub type ResponseRenderer = Arc<dyn Fn(&dyn Any) -> Option<(u16, Vec<u8>)> + Send + Sync>;

/// A request carrying an idempotency key, as the use case's change needs it.
#[derive(Clone)]
pub struct Idempotency {
    /// The caller's key.
    pub key: IdempotencyKey,
    /// The request's fingerprint (see [`StoredResponse::fingerprint`]).
    pub fingerprint: String,
    /// How the answer is rendered, so that it can be stored with the effect.
    pub render: ResponseRenderer,
}

impl fmt::Debug for Idempotency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Idempotency")
            .field("key", &self.key)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Idempotency {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.fingerprint == other.fingerprint
    }
}

impl Eq for Idempotency {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_visible_ascii_of_at_most_255_characters() {
        assert!(IdempotencyKey::new("alice", "0b6e3c3e-order-17").is_ok());
        assert!(IdempotencyKey::new("alice", &"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::new("alice", &"k".repeat(256)).is_err());
        assert!(IdempotencyKey::new("alice", "").is_err());
        assert!(IdempotencyKey::new("alice", "with space").is_err());
        assert!(IdempotencyKey::new("alice", "caf\u{e9}").is_err());
        assert!(IdempotencyKey::new("alice", "line\nbreak").is_err());
    }
}
