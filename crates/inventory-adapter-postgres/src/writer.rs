//! PostgreSQL's steps of a group-commit batch (the writer thread itself is
//! `inventory-group-commit`, shared by every adapter).
//!
//! A batch is one transaction, each request in its own savepoint. Recorded events wait in a
//! buffer; right before `COMMIT` the batch takes as many seqs as it has events from
//! `outbox_head` (`UPDATE ... RETURNING`, which locks that one row until the commit) and
//! inserts its events with them, in one statement. Every instance's batches take the row in
//! turn, so seqs are assigned in commit order with no gaps, and a reader never sees a seq
//! appear below one it has already seen. The lock is held only from that update to the
//! commit, once per batch.
//!
//! A broken connection (the server restarted, the backend was terminated) fails the batch it
//! broke; the next batch reconnects.

use inventory_group_commit::BatchConnection;
use inventory_ports::{InventoryError, NewEvent, WriteWork};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::PostgresConfig;
use crate::errors::{OrInventory, to_inventory};
use crate::session::PgSession;
use crate::transaction::PgTx;

/// The writing connection and the events of the batch in progress.
pub(crate) struct PgBatch {
    config: PostgresConfig,
    /// `None` after the connection broke, until the next batch reconnects.
    session: Option<PgSession>,
    /// Events recorded by the request running now (kept if it is released).
    request_events: Vec<NewEvent>,
    /// Events recorded by the batch's released requests, in order.
    batch_events: Vec<NewEvent>,
}

impl PgBatch {
    pub(crate) fn new(config: PostgresConfig, session: PgSession) -> Self {
        Self {
            config,
            session: Some(session),
            request_events: Vec::new(),
            batch_events: Vec::new(),
        }
    }

    fn session(&mut self) -> Result<&mut PgSession, InventoryError> {
        self.session
            .as_mut()
            .ok_or_else(|| InventoryError::unavailable("the database connection is gone"))
    }

    /// Runs `sql`; forgets the connection if it broke, so the next batch reconnects.
    fn batch(&mut self, sql: &str) -> Result<(), InventoryError> {
        let result = self.session()?.batch(sql);
        self.forget_if_broken();
        result.or_inventory()
    }

    fn forget_if_broken(&mut self) {
        if self.session.as_ref().is_some_and(PgSession::is_closed) {
            tracing::warn!(
                "the database connection of the writer broke; reconnecting at the next batch"
            );
            self.session = None;
        }
    }

    /// Takes seqs for the batch's events and inserts them; returns the last seq.
    fn append_events(&mut self) -> Result<u64, InventoryError> {
        let events = std::mem::take(&mut self.batch_events);
        let count = i64::try_from(events.len()).unwrap_or(i64::MAX);
        let session = self.session()?;
        let last: i64 = session
            .query_one(
                "UPDATE outbox_head SET last_seq = last_seq + $1 RETURNING last_seq",
                &[&count],
            )
            .or_inventory()?
            .get(0);
        let first = last - count + 1;
        let mut columns = EventColumns::default();
        for (seq, event) in (first..).zip(&events) {
            columns.push(seq, event);
        }
        session
            .execute(
                "INSERT INTO events (seq, event_id, event_type, schema_version, aggregate_type, \
                 aggregate_id, store_id, product_id, payload, request_id, occurred_at) \
                 SELECT seq, event_id, event_type, schema_version, aggregate_type, aggregate_id, \
                 store_id, product_id, payload::json, request_id, occurred_at \
                 FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::integer[], $5::text[], \
                 $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[]) \
                 AS e (seq, event_id, event_type, schema_version, aggregate_type, aggregate_id, \
                 store_id, product_id, payload, request_id, occurred_at)",
                &[
                    &columns.seq,
                    &columns.event_id,
                    &columns.event_type,
                    &columns.schema_version,
                    &columns.aggregate_type,
                    &columns.aggregate_id,
                    &columns.store_id,
                    &columns.product_id,
                    &columns.payload,
                    &columns.request_id,
                    &columns.occurred_at,
                ],
            )
            .or_inventory()?;
        u64::try_from(last).map_err(|_| InventoryError::internal("the outbox head is negative"))
    }
}

/// The batch's events, column by column, for one `INSERT ... SELECT FROM unnest(...)`.
#[derive(Default)]
struct EventColumns {
    seq: Vec<i64>,
    event_id: Vec<Uuid>,
    event_type: Vec<&'static str>,
    schema_version: Vec<i32>,
    aggregate_type: Vec<&'static str>,
    aggregate_id: Vec<String>,
    store_id: Vec<Option<String>>,
    product_id: Vec<Option<String>>,
    payload: Vec<String>,
    request_id: Vec<Option<String>>,
    occurred_at: Vec<OffsetDateTime>,
}

impl EventColumns {
    fn push(&mut self, seq: i64, event: &NewEvent) {
        let wire = event.wire();
        self.seq.push(seq);
        self.event_id.push(event.event_id().as_uuid());
        self.event_type.push(wire.event_type.as_str());
        self.schema_version
            .push(i32::try_from(wire.schema_version).unwrap_or(i32::MAX));
        self.aggregate_type.push(wire.aggregate_type().as_str());
        self.aggregate_id.push(wire.aggregate_id.clone());
        self.store_id.push(wire.store_id.clone());
        self.product_id.push(wire.product_id.clone());
        self.payload.push(wire.payload.clone());
        self.request_id.push(event.request_id().map(str::to_owned));
        self.occurred_at.push(event.occurred_at());
    }
}

impl BatchConnection for PgBatch {
    fn begin(&mut self) -> Result<(), InventoryError> {
        self.batch_events.clear();
        if self.session.is_none() {
            self.session = Some(connect_writer(&self.config).map_err(to_inventory)?);
        }
        self.batch("BEGIN")
    }

    fn savepoint(&mut self) -> Result<(), InventoryError> {
        self.request_events.clear();
        self.batch("SAVEPOINT request")
    }

    fn execute(&mut self, work: WriteWork) -> Result<(), InventoryError> {
        let session = self
            .session
            .as_mut()
            .ok_or_else(|| InventoryError::unavailable("the database connection is gone"))?;
        let result = work(&mut PgTx::writing(session, &mut self.request_events));
        self.forget_if_broken();
        result
    }

    fn release(&mut self) -> Result<(), InventoryError> {
        self.batch("RELEASE SAVEPOINT request")?;
        self.batch_events.append(&mut self.request_events);
        Ok(())
    }

    fn rollback_to_savepoint(&mut self) -> Result<(), InventoryError> {
        self.request_events.clear();
        self.batch("ROLLBACK TO SAVEPOINT request; RELEASE SAVEPOINT request")
    }

    fn commit(&mut self) -> Result<Option<u64>, InventoryError> {
        let last = if self.batch_events.is_empty() {
            None
        } else {
            let appended = self.append_events();
            self.forget_if_broken();
            Some(appended?)
        };
        // A connection lost during COMMIT leaves the outcome unknown to us: the error says
        // unavailable, and the caller may find the change made when it retries.
        self.batch("COMMIT")?;
        Ok(last)
    }

    fn rollback(&mut self) {
        self.batch_events.clear();
        self.request_events.clear();
        if self.session.is_some() {
            let _ = self.batch("ROLLBACK");
        }
    }

    fn close(self) {}
}

/// Connects the writer's session: durable commits whatever the server's default, and a bound
/// on lock waits.
pub(crate) fn connect_writer(config: &PostgresConfig) -> Result<PgSession, postgres::Error> {
    let mut session = PgSession::connect(config)?;
    session.batch(&format!(
        "SET synchronous_commit = on; SET lock_timeout = {}",
        config.lock_timeout.as_millis()
    ))?;
    Ok(session)
}
