//! Reading a whole list through the bounded pages of the storage port.

use inventory_ports::{InventoryError, Page};

/// Every item of a list, read [`Page::MAX_LIMIT`] at a time. For lists known to be short (the
/// stores of a chain, one product's stock records); anything else is paged by its caller.
pub(crate) fn all<T>(
    mut read_page: impl FnMut(Page) -> Result<(Vec<T>, u64), InventoryError>,
) -> Result<Vec<T>, InventoryError> {
    let mut items = Vec::new();
    loop {
        let page = Page::new(Some(i64::from(Page::MAX_LIMIT)), Some(items.len() as i64))?;
        let (batch, total) = read_page(page)?;
        let done = batch.len() < Page::MAX_LIMIT as usize;
        items.extend(batch);
        if done || items.len() as u64 >= total {
            return Ok(items);
        }
    }
}
