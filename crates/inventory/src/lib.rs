//! # inventory
//!
//! The inventory service as a library: open an inventory file and reserve stock from your own
//! Rust program, with the same rules, the same database and the same event log as the HTTP
//! service.
//!
//! ```
//! use inventory::{
//!     AdjustStock, AdjustmentReason, Inventory, Price, ProductDetails, ProductName, Quantity,
//!     RequestContext, ReservationTtl, ReserveStock, Sku, StockDelta, StoreId, CustomerId,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let inventory = Inventory::in_memory()?; // or Inventory::open("inventory.db")?
//! let ctx = RequestContext::default();
//!
//! let laptop = inventory.products().create(
//!     ProductDetails {
//!         sku: Sku::parse("HP-PAV-15")?,
//!         name: ProductName::parse("Laptop HP Pavilion 15")?,
//!         description: None,
//!         category: None,
//!         price: Price::parse("899.99")?,
//!     },
//!     &ctx,
//! )?;
//! let madrid = StoreId::parse("MAD-001")?;
//! inventory.stock().adjust(
//!     AdjustStock {
//!         product_id: laptop.id,
//!         store_id: madrid.clone(),
//!         delta: StockDelta::new(10)?,
//!         reason: AdjustmentReason::Restock,
//!         user_id: None,
//!     },
//!     &ctx,
//! )?;
//! let reservation = inventory.reservations().reserve(
//!     ReserveStock {
//!         product_id: laptop.id,
//!         store_id: madrid,
//!         customer_id: CustomerId::parse("cust-456")?,
//!         quantity: Quantity::new(1)?,
//!         ttl: ReservationTtl::default(),
//!     },
//!     &ctx,
//! )?;
//! inventory.reservations().confirm(reservation.id(), &ctx)?;
//! assert_eq!(inventory.availability().of_product(laptop.id, None)?.total_available, 9);
//! # Ok(())
//! # }
//! ```
//!
//! ## What you get
//!
//! - [`Inventory`]: opens (or creates and migrates) a SQLite file, or a private in-memory
//!   database, and exposes the use cases: [`Inventory::products`], [`Inventory::stores`],
//!   [`Inventory::stock`], [`Inventory::availability`], [`Inventory::reservations`],
//!   [`Inventory::events`].
//! - Every call is synchronous and commits before it returns. From async code, call it
//!   inside `tokio::task::spawn_blocking` (or your runtime's equivalent).
//! - Every change writes its event to the outbox in the same transaction; read them in order
//!   with [`EventLog::after`], or get told about commits with [`Inventory::on_commit`].
//! - The four stores of the chain (MAD-001, BCN-001, VAL-001, SEV-001) exist from the start.
//! - Several processes may open the same file at once (the HTTP server and a batch job, say):
//!   SQLite's lock serialises their writes and no unit is ever sold twice.
//!
//! Expired reservations are released by [`Reservations::expire_due`]; the HTTP server runs it
//! in a worker, an embedding program calls it itself (for example once a second).
//!
//! All domain types and port types are re-exported here, so this one crate is enough.

use std::path::Path;
use std::sync::Arc;

pub use inventory_adapter_sqlite::{
    Location, OpenError, SCHEMA_VERSION, SqliteConfig, SqliteStore, Synchronous,
};
pub use inventory_domain::*;
pub use inventory_ports::*;

/// An open inventory: a SQLite database and the use cases over it.
///
/// Cheap to share: clone the [`UseCases`] it hands out, or wrap it in an `Arc`. Dropping the
/// last handle finishes queued writes and closes the database cleanly.
pub struct Inventory {
    use_cases: UseCases,
    store: Arc<SqliteStore>,
}

impl Inventory {
    /// Opens the inventory file at `path`, creating and migrating it if needed, with
    /// durable commits (`synchronous=FULL`).
    ///
    /// # Errors
    /// [`OpenError`] when the file cannot be opened or was written by a newer build.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        Self::builder(SqliteConfig::file(path.as_ref())).open()
    }

    /// A private inventory in memory, gone when dropped: for tests and demos.
    ///
    /// # Errors
    /// [`OpenError`] when SQLite cannot start.
    pub fn in_memory() -> Result<Self, OpenError> {
        Self::builder(SqliteConfig::memory()).open()
    }

    /// Starts configuring an inventory: database settings, clock and id generator.
    pub fn builder(config: SqliteConfig) -> InventoryBuilder {
        InventoryBuilder {
            config,
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7Ids),
        }
    }

    /// Products: create, update, delete, get by id or SKU, list.
    pub fn products(&self) -> &Catalogue {
        &self.use_cases.products
    }

    /// Stores: create, update, get, list.
    pub fn stores(&self) -> &StoreDirectory {
        &self.use_cases.stores
    }

    /// Stock levels: adjust by a delta, set a count, get, list.
    pub fn stock(&self) -> &StockKeeping {
        &self.use_cases.stock
    }

    /// Availability of a product across stores.
    pub fn availability(&self) -> &AvailabilityQuery {
        &self.use_cases.availability
    }

    /// Reservations: reserve, confirm, cancel, expire, get, list.
    pub fn reservations(&self) -> &Reservations {
        &self.use_cases.reservations
    }

    /// The event log (outbox), in commit order.
    pub fn events(&self) -> &EventLog {
        &self.use_cases.events
    }

    /// All use cases, to hand to something that needs several (an HTTP adapter).
    pub fn use_cases(&self) -> &UseCases {
        &self.use_cases
    }

    /// The store underneath, as the port (for health checks and commit listeners).
    pub fn store(&self) -> Arc<dyn InventoryStore> {
        self.store.clone()
    }

    /// Closes the database now: queued writes finish, connections close, the WAL is
    /// checkpointed. Use cases handed out earlier fail as unavailable afterwards. Dropping the
    /// last handle does the same; this is for when handles may still be held elsewhere.
    pub fn close(&self) {
        self.store.close();
    }

    /// Calls `listener` after every commit that wrote events, with the highest sequence
    /// number committed. It runs on the writer thread: signal, don't work.
    pub fn on_commit(&self, listener: impl Fn(u64) + Send + Sync + 'static) {
        self.store.on_commit(Arc::new(listener));
    }
}

/// Configures an [`Inventory`] before opening it.
pub struct InventoryBuilder {
    config: SqliteConfig,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl InventoryBuilder {
    /// Uses `clock` instead of the system clock (a [`ManualClock`] in tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Uses `ids` instead of UUID v7.
    pub fn ids(mut self, ids: Arc<dyn IdGenerator>) -> Self {
        self.ids = ids;
        self
    }

    /// Opens the database and wires the use cases.
    ///
    /// # Errors
    /// [`OpenError`] when the database cannot be opened or migrated.
    pub fn open(self) -> Result<Inventory, OpenError> {
        let store = Arc::new(SqliteStore::open(&self.config)?);
        let use_cases = UseCases::new(Ports {
            store: store.clone(),
            clock: self.clock,
            ids: self.ids,
        });
        Ok(Inventory { use_cases, store })
    }
}
