//! The availability read model: answers `of_product` from memory while nothing it shows has
//! changed, so the hottest read touches the database only after a change.
//!
//! **Never stale for this process's writes.** Every change notes the products its events
//! touch ([`AvailabilityCache::note`], called by `Change::record` inside the write): from then
//! on those products are *in flight*, neither served from memory nor stored, until a commit
//! listener drops their entries after the commit (before any writer is answered or any event
//! follower woken). Someone who saw the commit by any path (the writer's answer, an SSE event
//! the live feed read from the outbox before the listener ran, the event log) and then reads
//! gets the new state. A change that rolled back, or whose commit failed, leaves its products
//! in flight until the next commit: read from the database meanwhile.
//!
//! **A fill never undoes an invalidation.** A miss reads the shard's epoch, then the database,
//! then stores its answer only if the epoch did not move meanwhile. Invalidations bump the
//! epoch after the commit, so an answer read from a snapshot older than a commit is never
//! stored after that commit's invalidation.
//!
//! **Bounded staleness for other writers.** Other processes on the same SQLite file and other
//! instances on PostgreSQL commit without telling this one. The [`CacheFollower`] worker reads
//! the outbox after the last seq it saw and drops what those events touch; an entry is served
//! only while the follower's last complete pass started less than `staleness` ago, so a
//! foreign commit is visible here at most `staleness` after it (plus, on PostgreSQL, the time
//! an older transaction still in flight holds the outbox back). When no follower runs (a
//! library user who never started the workers), nothing is served from memory.
//!
//! **Bounded memory.** About `entries` products (each of the 64 shards holds a 64th, rounded
//! up; an approximate LRU: the least recently used entry of the shard that is full goes).
//!
//! [`CacheFollower`]: crate::workers::CacheFollower

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use inventory_domain::{DomainEvent, ProductId};
use inventory_events::RecordedEvent;

use crate::ProductAvailability;

/// Shards: independent locks, so readers on two cores rarely wait for each other.
const SHARDS: usize = 64;

/// How the availability cache is sized and how stale a foreign commit may leave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadCacheSettings {
    /// Products kept at most; 0 turns the cache off.
    pub entries: usize,
    /// How long after another process's commit this one may still show the state before it.
    pub staleness: Duration,
}

impl Default for ReadCacheSettings {
    fn default() -> Self {
        Self {
            entries: 10_000,
            staleness: Duration::from_millis(100),
        }
    }
}

impl ReadCacheSettings {
    /// No cache: every read goes to the database.
    pub fn off() -> Self {
        Self {
            entries: 0,
            ..Self::default()
        }
    }
}

/// Counters of the cache, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Reads answered from memory.
    pub hits: u64,
    /// Reads that went to the database.
    pub misses: u64,
    /// Entries dropped to make room.
    pub evictions: u64,
    /// Entries held now.
    pub entries: u64,
    /// The most entries it may hold.
    pub capacity: u64,
}

struct Entry {
    value: Arc<ProductAvailability>,
    last_used: u64,
}

#[derive(Default)]
struct Shard {
    /// Moves on every invalidation in this shard.
    epoch: u64,
    entries: HashMap<ProductId, Entry>,
    /// Products a change being written touched: not served nor stored until the commit's
    /// invalidation (only [`AvailabilityCache::committed`] clears them).
    in_flight: HashSet<ProductId>,
}

/// What the changes of the batch being written touched, dropped at its commit.
#[derive(Default)]
struct Pending {
    products: Vec<ProductId>,
    everything: bool,
}

/// Whether an invalidation also ends a product's time in flight.
#[derive(PartialEq, Eq)]
enum Settle {
    /// The commit that noted it.
    Commit,
    /// Another process's event: the marks belong to this process's changes.
    Nothing,
}

/// What an event makes stale.
enum Touches {
    Nothing,
    Product(ProductId),
    Everything,
}

/// The availability read model (see the module docs).
pub struct AvailabilityCache {
    shards: Box<[Mutex<Shard>]>,
    per_shard: usize,
    staleness: Duration,
    /// When the follower's last complete pass started, in nanoseconds after `origin` (0:
    /// never, or the follower stopped).
    followed_at: AtomicU64,
    origin: Instant,
    pending: Mutex<Pending>,
    /// A change being written touched every product (a store's change).
    everything_in_flight: AtomicBool,
    uses: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
    following: AtomicBool,
}

/// What a miss must remember to store its answer: the epoch it read before the database.
pub(crate) struct FillTicket {
    shard: usize,
    epoch: u64,
}

impl AvailabilityCache {
    /// An empty cache.
    pub fn new(settings: ReadCacheSettings) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: settings.entries.div_ceil(SHARDS),
            staleness: settings.staleness,
            followed_at: AtomicU64::new(0),
            origin: Instant::now(),
            pending: Mutex::new(Pending::default()),
            everything_in_flight: AtomicBool::new(false),
            uses: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            following: AtomicBool::new(false),
        }
    }

    /// The entry for `product`, if one may be served now.
    pub(crate) fn get(&self, product: ProductId) -> Option<Arc<ProductAvailability>> {
        if !self.is_fresh() || self.everything_in_flight.load(Ordering::Acquire) {
            return None;
        }
        let mut shard = self.shard(product);
        if shard.in_flight.contains(&product) {
            return None;
        }
        let tick = self.uses.fetch_add(1, Ordering::Relaxed);
        let entry = shard.entries.get_mut(&product)?;
        entry.last_used = tick;
        Some(Arc::clone(&entry.value))
    }

    /// Counts a read answered from memory or not.
    pub(crate) fn count(&self, hit: bool) {
        let counter = if hit { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Taken before a miss reads the database.
    pub(crate) fn ticket(&self, product: ProductId) -> FillTicket {
        let shard = shard_of(product);
        FillTicket {
            shard,
            epoch: lock(&self.shards[shard]).epoch,
        }
    }

    /// Stores what a miss read, unless something in its shard was invalidated since its
    /// ticket (the answer may predate that commit).
    pub(crate) fn fill(&self, ticket: FillTicket, value: Arc<ProductAvailability>) {
        if self.per_shard == 0 {
            return;
        }
        let mut shard = lock(&self.shards[ticket.shard]);
        if shard.epoch != ticket.epoch
            || shard.in_flight.contains(&value.product_id)
            || self.everything_in_flight.load(Ordering::Acquire)
        {
            return;
        }
        if shard.entries.len() >= self.per_shard
            && !shard.entries.contains_key(&value.product_id)
            && let Some(oldest) = shard
                .entries
                .iter()
                .min_by_key(|(_, entry)| entry.last_used)
                .map(|(product, _)| *product)
        {
            shard.entries.remove(&oldest);
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
        let last_used = self.uses.fetch_add(1, Ordering::Relaxed);
        shard
            .entries
            .insert(value.product_id, Entry { value, last_used });
    }

    /// Notes what `event`, recorded by a change being written, makes stale; dropped when the
    /// batch commits ([`AvailabilityCache::committed`]). A noted change that rolls back only
    /// costs a miss.
    pub(crate) fn note(&self, event: &DomainEvent) {
        self.note_touches(match event {
            DomainEvent::StoreCreated(_) | DomainEvent::StoreUpdated(_) => Touches::Everything,
            _ => event
                .product_id()
                .map_or(Touches::Nothing, Touches::Product),
        });
    }

    fn note_touches(&self, touches: Touches) {
        match touches {
            Touches::Nothing => {}
            Touches::Product(product) => {
                self.shard(product).in_flight.insert(product);
                lock(&self.pending).products.push(product);
            }
            Touches::Everything => {
                self.everything_in_flight.store(true, Ordering::Release);
                lock(&self.pending).everything = true;
            }
        }
    }

    /// A commit happened: drops what its changes noted. Runs on the committing thread,
    /// before the writers are answered.
    pub(crate) fn committed(&self) {
        let pending = std::mem::take(&mut *lock(&self.pending));
        for product in pending.products {
            self.invalidate(product, Settle::Commit);
        }
        if pending.everything {
            self.clear();
            self.everything_in_flight.store(false, Ordering::Release);
        }
    }

    /// Drops what an event read from the outbox (maybe another process's) makes stale.
    pub(crate) fn forget(&self, event: &RecordedEvent) {
        if event.event_type.starts_with("cart.") {
            // A cart's lines have their own reservation events.
            return;
        }
        match event.product_id.as_deref().map(ProductId::parse) {
            Some(Ok(product)) => self.invalidate(product, Settle::Nothing),
            // A store's change shows in every product's availability; an event this version
            // does not know about might too.
            _ => self.clear(),
        }
    }

    /// Drops every entry (products in flight stay so).
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            let mut shard = lock(shard);
            shard.epoch += 1;
            shard.entries.clear();
        }
    }

    /// Drops `product`'s entry and moves its shard's epoch; at its commit, also its in-flight
    /// mark (the follower's invalidations leave marks to the commits that set them).
    fn invalidate(&self, product: ProductId, settle: Settle) {
        let mut shard = self.shard(product);
        shard.epoch += 1;
        shard.entries.remove(&product);
        if settle == Settle::Commit {
            shard.in_flight.remove(&product);
        }
    }

    /// The follower completed a pass that started at `started`: every foreign commit before
    /// then has been dropped.
    pub(crate) fn followed(&self, started: Instant) {
        let nanos = started.saturating_duration_since(self.origin).as_nanos();
        self.followed_at.store(
            u64::try_from(nanos).unwrap_or(u64::MAX).max(1),
            Ordering::Release,
        );
    }

    /// The follower stopped: nothing more is served from memory.
    pub(crate) fn unfollowed(&self) {
        self.followed_at.store(0, Ordering::Release);
        self.clear();
    }

    /// Claims the follower's place; false when a follower already runs.
    pub(crate) fn start_following(&self) -> bool {
        !self.following.swap(true, Ordering::AcqRel)
    }

    /// Gives the follower's place back.
    pub(crate) fn stop_following(&self) {
        self.unfollowed();
        self.following.store(false, Ordering::Release);
    }

    /// Whether the follower passed recently enough for entries to be served.
    fn is_fresh(&self) -> bool {
        let followed = self.followed_at.load(Ordering::Acquire);
        if followed == 0 || self.per_shard == 0 {
            return false;
        }
        let age = self
            .origin
            .elapsed()
            .saturating_sub(Duration::from_nanos(followed));
        age <= self.staleness
    }

    /// The staleness bound for other processes' commits.
    pub fn staleness(&self) -> Duration {
        self.staleness
    }

    /// Hits, misses, evictions and size.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            entries: self
                .shards
                .iter()
                .map(|shard| lock(shard).entries.len() as u64)
                .sum(),
            // The bound the shards enforce: the setting rounded up to a multiple of 64.
            capacity: (self.per_shard * SHARDS) as u64,
        }
    }

    fn shard(&self, product: ProductId) -> MutexGuard<'_, Shard> {
        lock(&self.shards[shard_of(product)])
    }
}

/// Product ids are UUID v7 (time first): their last bytes are random.
fn shard_of(product: ProductId) -> usize {
    usize::from(product.as_uuid().as_bytes()[15]) % SHARDS
}

/// A shard's lock; a panic while holding one cannot leave an entry half-written (every
/// update is one map operation), so a poisoned lock is used as is.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use inventory_domain::{EventId, ProductName};
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::*;

    fn product(n: u128) -> ProductId {
        ProductId::from_uuid(Uuid::from_u128(n))
    }

    fn answer(product: ProductId, total: u64) -> Arc<ProductAvailability> {
        Arc::new(ProductAvailability {
            product_id: product,
            product_name: ProductName::parse("A product").expect("name"),
            total_available: total,
            stores: Vec::new(),
        })
    }

    /// A cache whose follower has just passed: entries may be served for an hour.
    fn followed(entries: usize) -> AvailabilityCache {
        let cache = AvailabilityCache::new(ReadCacheSettings {
            entries,
            staleness: Duration::from_secs(3600),
        });
        cache.followed(Instant::now());
        cache
    }

    fn stored(cache: &AvailabilityCache, product: ProductId, total: u64) {
        cache.fill(cache.ticket(product), answer(product, total));
    }

    fn served(cache: &AvailabilityCache, product: ProductId) -> Option<u64> {
        cache.get(product).map(|answer| answer.total_available)
    }

    fn recorded(event_type: &str, product_id: Option<&str>) -> RecordedEvent {
        RecordedEvent {
            seq: 1,
            event_id: EventId::from_uuid(Uuid::from_u128(1)),
            event_type: event_type.into(),
            schema_version: 1,
            aggregate_type: "stock".into(),
            aggregate_id: String::new(),
            store_id: None,
            product_id: product_id.map(Into::into),
            payload: "{}".into(),
            occurred_at: OffsetDateTime::UNIX_EPOCH,
            request_id: None,
        }
    }

    #[test]
    fn a_fill_read_before_an_invalidation_is_not_stored() {
        let cache = followed(100);
        let p = product(7);
        let ticket = cache.ticket(p);
        cache.forget(&recorded("stock.updated", Some(&p.to_string())));
        cache.fill(ticket, answer(p, 1));
        assert_eq!(served(&cache, p), None, "the answer may predate the change");
        stored(&cache, p, 2);
        assert_eq!(served(&cache, p), Some(2));
    }

    #[test]
    fn a_noted_product_is_neither_served_nor_stored_until_its_commit() {
        let cache = followed(100);
        let (p, other) = (product(1), product(2));
        stored(&cache, p, 1);
        stored(&cache, other, 5);
        cache.note_touches(Touches::Product(p));
        assert_eq!(served(&cache, p), None, "in flight: committed, maybe");
        stored(&cache, p, 1);
        assert_eq!(
            served(&cache, p),
            None,
            "a read during the write is not kept"
        );
        assert_eq!(
            served(&cache, other),
            Some(5),
            "other products are still served"
        );
        cache.committed();
        assert_eq!(
            served(&cache, p),
            None,
            "the old entry went with the commit"
        );
        stored(&cache, p, 2);
        assert_eq!(served(&cache, p), Some(2));
    }

    #[test]
    fn a_store_change_holds_every_product_until_its_commit() {
        let cache = followed(100);
        let p = product(3);
        stored(&cache, p, 1);
        cache.note_touches(Touches::Everything);
        assert_eq!(served(&cache, p), None);
        cache.committed();
        assert_eq!(served(&cache, p), None, "every entry dropped");
        stored(&cache, p, 2);
        assert_eq!(served(&cache, p), Some(2));
    }

    #[test]
    fn the_follower_drops_what_events_touch_and_skips_carts() {
        let cache = followed(100);
        let (p, q) = (product(4), product(5));
        stored(&cache, p, 1);
        stored(&cache, q, 1);
        cache.forget(&recorded("cart.created", None));
        assert_eq!(
            served(&cache, p),
            Some(1),
            "a cart's lines have their own events"
        );
        cache.forget(&recorded("stock.updated", Some(&p.to_string())));
        assert_eq!((served(&cache, p), served(&cache, q)), (None, Some(1)));
        cache.forget(&recorded("store.updated", None));
        assert_eq!(
            served(&cache, q),
            None,
            "a store's change touches every product"
        );
        stored(&cache, q, 1);
        cache.forget(&recorded("stock.updated", Some("not a uuid")));
        assert_eq!(
            served(&cache, q),
            None,
            "what it cannot read, it drops all of"
        );
    }

    #[test]
    fn nothing_is_served_without_a_recent_follower_pass() {
        let cache = AvailabilityCache::new(ReadCacheSettings {
            entries: 100,
            staleness: Duration::from_secs(3600),
        });
        let p = product(6);
        stored(&cache, p, 1);
        assert_eq!(served(&cache, p), None, "no pass yet");
        cache.followed(Instant::now());
        assert_eq!(served(&cache, p), Some(1));
        cache.unfollowed();
        assert_eq!(served(&cache, p), None, "the follower stopped");
    }

    #[test]
    fn a_full_shard_evicts_its_least_recently_used_entry() {
        // 128 entries: two per shard. Products 0, 64 and 128 share a shard (their last byte).
        let cache = followed(128);
        let (used, unused, new) = (product(0), product(64), product(128));
        stored(&cache, used, 1);
        stored(&cache, unused, 2);
        assert_eq!(served(&cache, used), Some(1));
        stored(&cache, new, 3);
        assert_eq!(served(&cache, unused), None, "the least recently used went");
        assert_eq!(
            (served(&cache, used), served(&cache, new)),
            (Some(1), Some(3))
        );
        let stats = cache.stats();
        assert_eq!(
            (stats.entries, stats.evictions, stats.capacity),
            (2, 1, 128)
        );
    }
}
