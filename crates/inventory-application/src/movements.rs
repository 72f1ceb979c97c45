//! The movement history: why a pair's stock is what it is.

use inventory_domain::ValidationError;
use inventory_ports::{InventoryError, MovementFilter, MovementOrder, RecordedMovement};

use crate::Ports;

/// A page of history and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementPage {
    /// The movements, in the order asked for.
    pub data: Vec<RecordedMovement>,
    /// The cursor of the next page, when this one was full.
    pub next_cursor: Option<i64>,
}

/// Reads the movement history.
#[derive(Clone)]
pub struct MovementHistory {
    ports: Ports,
}

impl MovementHistory {
    /// The most movements one page holds.
    pub const MAX_PAGE: u32 = 500;

    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Up to `limit` movements matching `filter`, in `order`, after `cursor` (the
    /// `next_cursor` of the page before). Pages are stable: a movement recorded meanwhile
    /// never shifts one already read.
    ///
    /// # Errors
    /// [`InventoryError::Invalid`] when `limit` is 0 or above [`MovementHistory::MAX_PAGE`].
    pub fn list(
        &self,
        filter: MovementFilter,
        order: MovementOrder,
        cursor: Option<i64>,
        limit: u32,
    ) -> Result<MovementPage, InventoryError> {
        if !(1..=Self::MAX_PAGE).contains(&limit) {
            return Err(ValidationError::new(
                "limit",
                format!("must be between 1 and {}", Self::MAX_PAGE),
            )
            .into());
        }
        // A `to` not later than `from` is an empty range: an empty page, not an error.
        let data = self
            .ports
            .query(move |tx| tx.list_movements(&filter, order, cursor, limit))?;
        let next_cursor = if data.len() == limit as usize {
            data.last().map(|movement| movement.seq)
        } else {
            None
        };
        Ok(MovementPage { data, next_cursor })
    }
}
