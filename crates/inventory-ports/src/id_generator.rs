//! The id generator port: where new product, reservation and event ids come from.

use std::sync::atomic::{AtomicU64, Ordering};

use uuid::Uuid;

/// Hands out new unique ids.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A new id, never returned before.
    fn new_id(&self) -> Uuid;
}

/// UUID v7: time-ordered, so new rows land at the end of the primary-key index, and ids sort
/// in creation order.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7Ids;

impl IdGenerator for UuidV7Ids {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// 1, 2, 3... as UUIDs: deterministic ids for tests, in creation order like v7.
#[derive(Debug, Default)]
pub struct SequentialIds {
    last: AtomicU64,
}

impl IdGenerator for SequentialIds {
    fn new_id(&self) -> Uuid {
        let next = self.last.fetch_add(1, Ordering::Relaxed) + 1;
        Uuid::from_u128(u128::from(next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v7_ids_sort_in_creation_order() {
        let ids: Vec<Uuid> = (0..1000).map(|_| UuidV7Ids.new_id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn sequential_ids_count_from_one() {
        let ids = SequentialIds::default();
        assert_eq!(ids.new_id(), Uuid::from_u128(1));
        assert_eq!(ids.new_id(), Uuid::from_u128(2));
    }
}
