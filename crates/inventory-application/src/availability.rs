//! Availability of a product across the chain: the design document's flow 1.

use std::sync::Arc;
use std::time::Instant;

use inventory_domain::{ProductId, ProductName, StoreId, StoreName};
use inventory_ports::InventoryError;

use crate::{AvailabilityCache, Ports, ReadCacheSettings};

/// How many units of a product can be bought, in total and per store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductAvailability {
    /// The product.
    pub product_id: ProductId,
    /// Its name.
    pub product_name: ProductName,
    /// Sum of `available` over the stores listed.
    pub total_available: u64,
    /// Every active store (or the one asked for), ordered by code.
    pub stores: Vec<StoreAvailability>,
}

/// One store's line of [`ProductAvailability`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreAvailability {
    /// The store.
    pub store_id: StoreId,
    /// Its name.
    pub store_name: StoreName,
    /// Units in the store.
    pub quantity: u32,
    /// Units held by pending reservations.
    pub reserved: u32,
    /// `quantity - reserved`: what a customer can still reserve there.
    pub available: u32,
    /// Units of shipped transfers on their way here (not in `quantity` until received).
    pub in_transit: u32,
}

/// Reads availability, from the read model when it may ([`AvailabilityCache`]).
#[derive(Clone)]
pub struct AvailabilityQuery {
    ports: Ports,
    cache: Arc<AvailabilityCache>,
}

impl AvailabilityQuery {
    pub(crate) fn new(ports: Ports) -> Self {
        let cache = ports
            .read_cache
            .clone()
            .unwrap_or_else(|| Arc::new(AvailabilityCache::new(ReadCacheSettings::off())));
        Self { ports, cache }
    }

    /// The availability of a product in every active store, or in `store_id` only (active or
    /// not). Stores without a stock record show zeros: the customer learns the store has none.
    ///
    /// Never older than this process's last commit; another process's commit shows within the
    /// cache's staleness bound (see [`AvailabilityCache`]).
    ///
    /// # Errors
    /// [`InventoryError::ProductNotFound`]; [`InventoryError::StoreNotFound`] for an unknown
    /// `store_id`.
    pub fn of_product(
        &self,
        product_id: ProductId,
        store_id: Option<StoreId>,
    ) -> Result<ProductAvailability, InventoryError> {
        if let Some(hit) = self.cached(product_id, store_id.as_ref()) {
            return Ok(hit);
        }
        self.load(product_id, store_id)
    }

    /// The answer from memory, without touching the database, when the read model has it:
    /// what a caller on an async thread tries before [`AvailabilityQuery::load`] on a
    /// blocking one. Counts a hit, or nothing (the load counts the miss).
    pub fn cached(
        &self,
        product_id: ProductId,
        store_id: Option<&StoreId>,
    ) -> Option<ProductAvailability> {
        let all = self.cache.get(product_id)?;
        let answer = match store_id {
            None => Some(ProductAvailability::clone(&all)),
            // A store the cached answer lists (an active one); others are read.
            Some(store_id) => all
                .stores
                .iter()
                .find(|store| &store.store_id == store_id)
                .map(|store| ProductAvailability {
                    product_id,
                    product_name: all.product_name.clone(),
                    total_available: u64::from(store.available),
                    stores: vec![store.clone()],
                }),
        }?;
        self.cache.count(true);
        Some(answer)
    }

    /// Reads availability from the database (and keeps the answer for every store in the
    /// read model).
    ///
    /// # Errors
    /// As [`AvailabilityQuery::of_product`].
    pub fn load(
        &self,
        product_id: ProductId,
        store_id: Option<StoreId>,
    ) -> Result<ProductAvailability, InventoryError> {
        self.cache.count(false);
        let ticket = self.cache.ticket(product_id);
        let every_store = store_id.is_none();
        let answer = self.read(product_id, store_id)?;
        if every_store {
            self.cache.fill(ticket, Arc::new(answer.clone()));
        }
        Ok(answer)
    }

    /// The read model's counters.
    pub fn cache_stats(&self) -> crate::CacheStats {
        self.cache.stats()
    }

    /// The read model's staleness bound for other processes' commits.
    pub fn cache_staleness(&self) -> std::time::Duration {
        self.cache.staleness()
    }

    /// One pass of the read model's follower ([`crate::CacheFollower`]): drops what the
    /// outbox's events after `after` touch (another process's commits; this process's were
    /// dropped at their commit already) and returns the last seq read. `None` starts at the
    /// end of the outbox and drops everything held. When the pass completes, entries may be
    /// served for the staleness bound.
    ///
    /// # Errors
    /// Storage failures; then nothing is served from memory until a pass completes.
    pub fn follow_outbox(&self, after: Option<u64>) -> Result<u64, InventoryError> {
        const PAGE: u32 = 1_000;
        let started = Instant::now();
        let mut seq = match after {
            Some(seq) => seq,
            None => {
                let last = self.ports.query(|tx| tx.last_event_seq())?;
                self.cache.clear();
                last
            }
        };
        loop {
            let events = self.ports.query(move |tx| tx.events_after(seq, PAGE))?;
            events.iter().for_each(|event| self.cache.forget(event));
            if let Some(last) = events.last() {
                seq = last.seq;
            }
            if events.len() < PAGE as usize {
                break;
            }
        }
        self.cache.followed(started);
        Ok(seq)
    }

    pub(crate) fn cache(&self) -> &AvailabilityCache {
        &self.cache
    }

    fn read(
        &self,
        product_id: ProductId,
        store_id: Option<StoreId>,
    ) -> Result<ProductAvailability, InventoryError> {
        self.ports.query(move |tx| {
            let product = tx
                .product(product_id)?
                .ok_or(InventoryError::ProductNotFound(product_id))?;
            if let Some(store_id) = &store_id
                && tx.store(store_id)?.is_none()
            {
                return Err(InventoryError::StoreNotFound(store_id.clone()));
            }
            let stores: Vec<StoreAvailability> = tx
                .stock_by_store(product_id, store_id.as_ref())?
                .into_iter()
                .map(|row| StoreAvailability {
                    available: row.quantity.saturating_sub(row.reserved),
                    store_id: row.store_id,
                    store_name: row.store_name,
                    quantity: row.quantity,
                    reserved: row.reserved,
                    in_transit: row.in_transit,
                })
                .collect();
            Ok(ProductAvailability {
                product_id,
                product_name: product.details.name,
                total_available: stores.iter().map(|s| u64::from(s.available)).sum(),
                stores,
            })
        })
    }
}
