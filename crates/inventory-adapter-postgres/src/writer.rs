//! PostgreSQL's steps of a group-commit batch (the writer thread itself is
//! `inventory-group-commit`, shared by every adapter).
//!
//! A batch is one transaction. Its requests read through a cache and change stock and
//! reservations in it; a request takes a savepoint only when it runs SQL the database may
//! refuse (see `write_state.rs`). The changes are written out, one statement per table,
//! right before the commit. Recorded events wait in a buffer too: before `COMMIT` the batch
//! takes as many seqs as it has events from
//! `outbox_head` (`UPDATE ... RETURNING`, which locks that one row until the commit) and
//! inserts its events with them, in one statement. Every instance's batches take the row in
//! turn, so seqs are assigned in commit order with no gaps, and a reader never sees a seq
//! appear below one it has already seen. The lock is held only from that update to the
//! commit, once per batch.
//!
//! A broken connection (the server restarted, the backend was terminated) fails the batch it
//! broke; the next batch reconnects.

use inventory_group_commit::BatchConnection;
use inventory_ports::{Failure, InventoryError, NewEvent, WriteWork};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::PostgresConfig;
use crate::errors::{OrInventory, to_inventory};
use crate::session::PgSession;
use crate::transaction::PgTx;
use crate::write_state::WriteState;

/// How many batches run carefully after writing out a batch's changes failed.
const CAREFUL_BATCHES: u32 = 16;

/// The writing connection and the state of the batch in progress.
pub(crate) struct PgBatch {
    config: PostgresConfig,
    /// `None` after the connection broke, until the next batch reconnects.
    session: Option<PgSession>,
    /// The batch's cache, changes and events.
    state: WriteState,
    /// Batches left to run carefully: each request written out in its own savepoint, so
    /// that one the database refuses fails alone.
    careful: u32,
}

impl PgBatch {
    pub(crate) fn new(config: PostgresConfig, session: PgSession) -> Self {
        Self {
            config,
            session: Some(session),
            state: WriteState::default(),
            careful: 0,
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

    /// Takes seqs for the batch's events and inserts them, in one statement; returns the
    /// last seq.
    fn append_events(&mut self, events: &[NewEvent]) -> Result<u64, InventoryError> {
        let count = i64::try_from(events.len()).unwrap_or(i64::MAX);
        let mut columns = EventColumns::default();
        for event in events {
            columns.push(event);
        }
        let session = self.session()?;
        // WITH ORDINALITY numbers the events in the order recorded: seqs follow it, and each
        // event's movement (if it made one) is written under the same seq.
        let last: i64 = session
            .query_one(
                "WITH head AS ( \
                   UPDATE outbox_head SET last_seq = last_seq + $1 RETURNING last_seq), \
                 moved AS ( \
                   INSERT INTO movements (seq, product_id, store_id, quantity_change, \
                   reserved_change, quantity_after, reserved_after, reason, reference_kind, \
                   reference_id, actor, occurred_at) \
                   SELECT head.last_seq - $1 + m.n, m.product_id, m.store_id, \
                   m.quantity_change, m.reserved_change, m.quantity_after, m.reserved_after, \
                   m.reason, m.reference_kind, m.reference_id, m.actor, m.occurred_at \
                   FROM head, unnest($12::uuid[], $13::text[], $14::bigint[], $15::bigint[], \
                   $16::integer[], $17::integer[], $18::text[], $19::text[], $20::uuid[], \
                   $21::text[], $11::timestamptz[]) WITH ORDINALITY \
                   AS m (product_id, store_id, quantity_change, reserved_change, \
                   quantity_after, reserved_after, reason, reference_kind, reference_id, \
                   actor, occurred_at, n) \
                   WHERE m.product_id IS NOT NULL), \
                 appended AS ( \
                   INSERT INTO events (seq, event_id, event_type, schema_version, \
                   aggregate_type, aggregate_id, store_id, product_id, payload, request_id, \
                   occurred_at) \
                   SELECT head.last_seq - $1 + e.n, e.event_id, e.event_type, e.schema_version, \
                   e.aggregate_type, e.aggregate_id, e.store_id, e.product_id, e.payload::json, \
                   e.request_id, e.occurred_at \
                   FROM head, unnest($2::uuid[], $3::text[], $4::integer[], $5::text[], \
                   $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], \
                   $11::timestamptz[]) WITH ORDINALITY \
                   AS e (event_id, event_type, schema_version, aggregate_type, aggregate_id, \
                   store_id, product_id, payload, request_id, occurred_at, n)) \
                 SELECT last_seq FROM head",
                &[
                    &count,
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
                    &columns.moved_product_id,
                    &columns.moved_store_id,
                    &columns.quantity_change,
                    &columns.reserved_change,
                    &columns.quantity_after,
                    &columns.reserved_after,
                    &columns.reason,
                    &columns.reference_kind,
                    &columns.reference_id,
                    &columns.actor,
                ],
            )
            .or_inventory()?
            .get(0);
        u64::try_from(last).map_err(|_| InventoryError::internal("the outbox head is negative"))
    }
}

/// The batch's events, column by column, for one `INSERT ... SELECT FROM unnest(...)`.
#[derive(Default)]
struct EventColumns {
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
    // The movement of each event, NULL where it made none.
    moved_product_id: Vec<Option<Uuid>>,
    moved_store_id: Vec<Option<String>>,
    quantity_change: Vec<Option<i64>>,
    reserved_change: Vec<Option<i64>>,
    quantity_after: Vec<Option<i32>>,
    reserved_after: Vec<Option<i32>>,
    reason: Vec<Option<&'static str>>,
    reference_kind: Vec<Option<&'static str>>,
    reference_id: Vec<Option<Uuid>>,
    actor: Vec<Option<String>>,
}

impl EventColumns {
    fn push(&mut self, event: &NewEvent) {
        let wire = event.wire();
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
        let movement = event.movement();
        let count = |value: u32| i32::try_from(value).unwrap_or(i32::MAX);
        self.moved_product_id
            .push(movement.map(|m| m.product_id.as_uuid()));
        self.moved_store_id
            .push(movement.map(|m| m.store_id.as_str().to_owned()));
        self.quantity_change
            .push(movement.map(|m| m.quantity_change));
        self.reserved_change
            .push(movement.map(|m| m.reserved_change));
        self.quantity_after
            .push(movement.map(|m| count(m.quantity_after)));
        self.reserved_after
            .push(movement.map(|m| count(m.reserved_after)));
        self.reason.push(movement.map(|m| m.reason.as_str()));
        let reference = movement.and_then(|m| m.reference);
        self.reference_kind.push(reference.map(|r| r.kind.as_str()));
        self.reference_id.push(reference.map(|r| r.id));
        self.actor.push(event.actor().map(str::to_owned));
    }
}

impl BatchConnection for PgBatch {
    fn begin(&mut self) -> Result<(), InventoryError> {
        self.state.clear();
        self.careful = self.careful.saturating_sub(1);
        if self.session.is_none() {
            self.session = Some(connect_writer(&self.config).map_err(to_inventory)?);
        }
        // READ COMMITTED whatever the server's default: a locking read that waited must see
        // the row as the other transaction committed it, and so must the outbox head.
        self.batch("BEGIN ISOLATION LEVEL READ COMMITTED")
    }

    fn savepoint(&mut self) -> Result<(), InventoryError> {
        self.state.start_request();
        if self.careful > 0 {
            let session = self
                .session
                .as_mut()
                .ok_or_else(|| InventoryError::unavailable("the database connection is gone"))?;
            self.state.enter_sql(session)?;
        }
        Ok(())
    }

    fn execute(&mut self, work: WriteWork) -> Result<(), InventoryError> {
        let session = self
            .session
            .as_mut()
            .ok_or_else(|| InventoryError::unavailable("the database connection is gone"))?;
        let mut result = work(&mut PgTx::writing(session, &mut self.state));
        if result.is_ok() && self.careful > 0 {
            // Inside the request's savepoint (`savepoint` took it before the work ran): a
            // refusal by the database is this request's alone.
            result = self.state.write_out(session);
        }
        self.forget_if_broken();
        result
    }

    fn release(&mut self) -> Result<(), InventoryError> {
        if self.state.has_savepoint() {
            self.batch("RELEASE SAVEPOINT request")?;
        }
        self.state.keep_request();
        Ok(())
    }

    fn rollback_to_savepoint(&mut self) -> Result<(), InventoryError> {
        let savepoint = self.state.has_savepoint();
        let spoiled = self.state.is_unprotected();
        self.state.undo_request();
        if savepoint {
            self.batch("ROLLBACK TO SAVEPOINT request; RELEASE SAVEPOINT request")
        } else if spoiled {
            self.careful = CAREFUL_BATCHES;
            Err(InventoryError::Unavailable(
                Failure::new(
                    "a request failed after changing the database outside a savepoint; \
                     the batch was abandoned",
                )
                .transient(),
            ))
        } else {
            // It failed before anything of it reached the database: the cache is undone.
            Ok(())
        }
    }

    fn commit(&mut self) -> Result<Option<u64>, InventoryError> {
        let session = self
            .session
            .as_mut()
            .ok_or_else(|| InventoryError::unavailable("the database connection is gone"))?;
        if let Err(error) = self.state.write_out(session) {
            self.forget_if_broken();
            self.careful = CAREFUL_BATCHES;
            // Every request runs again, carefully: one the database refuses then fails alone.
            return Err(InventoryError::Unavailable(
                Failure::caused_by("the batch's changes could not be written", error).transient(),
            ));
        }
        let events = self.state.take_events();
        let last = if events.is_empty() {
            None
        } else {
            let appended = self.append_events(&events);
            self.forget_if_broken();
            Some(appended?)
        };
        // A connection lost during COMMIT leaves the outcome unknown: the error says so (not
        // transient: the use cases do not run it again blindly).
        if let Err(error) = self.session()?.batch("COMMIT") {
            self.forget_if_broken();
            return Err(InventoryError::Unavailable(Failure::caused_by(
                "the commit failed; whether it was kept is unknown",
                to_inventory(error),
            )));
        }
        Ok(last)
    }

    fn rollback(&mut self) {
        self.state.clear();
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
