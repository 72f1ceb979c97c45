//! The availability read model: answers `of_product` from memory while nothing it shows has
//! changed, so the hottest read touches the database only after a change.
//!
//! **Never stale for this process's writes.** Every change notes the products its events
//! touch ([`AvailabilityCache::note`], called by `Change::record` inside the write); a commit
//! listener drops those entries after the commit and before any writer is answered or any
//! event follower woken. A reader that heard of a commit (its own answer, an SSE event) and
//! then reads gets the new state.
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

use std::collections::HashMap;
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
}

/// What the changes of the batch being written touched, dropped at its commit.
#[derive(Default)]
struct Pending {
    products: Vec<ProductId>,
    everything: bool,
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
    capacity: usize,
    per_shard: usize,
    staleness: Duration,
    /// When the follower's last complete pass started, in nanoseconds after `origin` (0:
    /// never, or the follower stopped).
    followed_at: AtomicU64,
    origin: Instant,
    pending: Mutex<Pending>,
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
            capacity: settings.entries,
            per_shard: settings.entries.div_ceil(SHARDS),
            staleness: settings.staleness,
            followed_at: AtomicU64::new(0),
            origin: Instant::now(),
            pending: Mutex::new(Pending::default()),
            uses: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            following: AtomicBool::new(false),
        }
    }

    /// The entry for `product`, if one may be served now.
    pub(crate) fn get(&self, product: ProductId) -> Option<Arc<ProductAvailability>> {
        if !self.is_fresh() {
            return None;
        }
        let mut shard = self.shard(product);
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
        if shard.epoch != ticket.epoch {
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
        let touches = match event {
            DomainEvent::StoreCreated(_) | DomainEvent::StoreUpdated(_) => Touches::Everything,
            _ => event
                .product_id()
                .map_or(Touches::Nothing, Touches::Product),
        };
        let mut pending = lock(&self.pending);
        match touches {
            Touches::Nothing => {}
            Touches::Product(product) => pending.products.push(product),
            Touches::Everything => pending.everything = true,
        }
    }

    /// A commit happened: drops what its changes noted. Runs on the committing thread,
    /// before the writers are answered.
    pub(crate) fn committed(&self) {
        let pending = std::mem::take(&mut *lock(&self.pending));
        if pending.everything {
            self.clear();
        } else {
            pending
                .products
                .into_iter()
                .for_each(|product| self.invalidate(product));
        }
    }

    /// Drops what an event read from the outbox (maybe another process's) makes stale.
    pub(crate) fn forget(&self, event: &RecordedEvent) {
        if event.event_type.starts_with("cart.") {
            // A cart's lines have their own reservation events.
            return;
        }
        match event
            .product_id
            .as_deref()
            .map(|id| id.parse::<uuid::Uuid>())
        {
            Some(Ok(id)) => self.invalidate(ProductId::from_uuid(id)),
            // A store's change shows in every product's availability; an event this version
            // does not know about might too.
            _ => self.clear(),
        }
    }

    /// Drops every entry.
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            let mut shard = lock(shard);
            shard.epoch += 1;
            shard.entries.clear();
        }
    }

    fn invalidate(&self, product: ProductId) {
        let mut shard = self.shard(product);
        shard.epoch += 1;
        shard.entries.remove(&product);
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
            capacity: self.capacity as u64,
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
