//! The stock import use case: validate every row, then apply all of them in one change, or
//! each valid one in chunks, or nothing (a dry run).

use std::any::Any;
use std::io::BufRead;
use std::sync::Arc;

use inventory_domain::{
    ChangedBy, DomainEvent, MovementReference, ReferenceKind, StoreId, ValidationError,
};
use inventory_ports::{
    Failure, Idempotency, IdempotencyKey, InventoryError, ReadTx, RequestContext,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::formats::{ImportFormat, RowReader};
use super::ledger::{Ledger, is_row_refusal};
use super::report::{ImportReport, Listing, RowOutcome, RowResult};
use super::stock_row::{RowError, StockLine};
use crate::Ports;

/// Opens the file again from its start: an all-or-nothing import reads it twice (validation,
/// then the change), so it never holds all its rows.
pub type OpenRows = Arc<dyn Fn() -> Result<Box<dyn BufRead + Send>, InventoryError> + Send + Sync>;

/// Where an import's rows come from.
#[derive(Clone)]
pub struct ImportSource {
    /// How the rows are written.
    pub format: ImportFormat,
    /// Opens the rows from their start.
    pub open: OpenRows,
}

impl ImportSource {
    /// Rows held in memory (an HTTP body, already bounded by the body limit).
    pub fn from_bytes(format: ImportFormat, bytes: impl Into<Arc<[u8]>>) -> Self {
        let bytes: Arc<[u8]> = bytes.into();
        Self {
            format,
            open: Arc::new(move || {
                Ok(Box::new(std::io::Cursor::new(Arc::clone(&bytes))) as Box<dyn BufRead + Send>)
            }),
        }
    }

    fn rows(&self) -> Result<RowReader<'static>, InventoryError> {
        RowReader::new(self.format, (self.open)()?)
    }
}

/// How the valid rows are applied when some are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImportMode {
    /// Every row is validated first; if any is refused, nothing is applied. Otherwise all of
    /// them are applied in one change.
    #[default]
    AllOrNothing,
    /// Each valid row is applied (in changes of [`StockImports::CHUNK_ROWS`] rows), and the
    /// refused ones are reported.
    PerRow,
}

/// What to import and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockImport {
    /// All or nothing, or row by row.
    pub mode: ImportMode,
    /// Validate and report only; write nothing.
    pub dry_run: bool,
    /// Who made the changes, for each event's audit trail.
    pub by: ChangedBy,
    /// Rows for other stores are refused (`FORBIDDEN`): a vendor imports into its own store.
    pub only_store: Option<StoreId>,
    /// Which rows the report lists.
    pub listing: Listing,
}

/// Imports stock levels in bulk.
#[derive(Clone)]
pub struct StockImports {
    ports: Ports,
}

impl StockImports {
    /// Rows applied per change in [`ImportMode::PerRow`]: large enough that commits cost little
    /// per row, small enough that other writers wait only briefly.
    pub const CHUNK_ROWS: usize = 1_000;

    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Imports the rows of `source`. Each applied row records the same `stock.created` or
    /// `stock.updated` event as `POST /stock` (a delta) or `PUT /stock/...` (a set, as a count
    /// against the level as it is now). Rows are checked in file order against the stock the
    /// rows before them left, so two rows for one pair add up.
    ///
    /// With an idempotency key in `context`, a repeat gets the first answer
    /// ([`InventoryError::Replayed`]) and applies nothing again; a row-by-row import stores
    /// each chunk's answer with its chunk, so a repeat after a crash applies only the chunks
    /// that had not committed.
    ///
    /// An all-or-nothing import that finds refused rows returns `Ok` with `applied == 0`.
    ///
    /// # Errors
    /// - [`InventoryError::Invalid`] on `file` when the file cannot be read (a bad CSV header),
    ///   or when a row validated first was refused inside the change (the stock or the file
    ///   changed in between): nothing was applied;
    /// - [`InventoryError::Replayed`], [`InventoryError::IdempotencyKeyReused`];
    /// - storage failures (a row-by-row import keeps the chunks committed before).
    pub fn import(
        &self,
        source: ImportSource,
        command: StockImport,
        context: &RequestContext,
    ) -> Result<ImportReport, InventoryError> {
        if let Some(idempotency) = &context.idempotency {
            self.answered_before(idempotency)?;
        }
        let import_id = self.ports.ids.new_id();
        if command.dry_run {
            return self.validate(&source, &command, import_id);
        }
        match command.mode {
            ImportMode::AllOrNothing => {
                let mut report = self.validate(&source, &command, import_id)?;
                if report.invalid > 0 {
                    report.settle_valid_rows(RowOutcome::NotApplied);
                    return Ok(report);
                }
                self.apply_all(source, command, report, context)
            }
            ImportMode::PerRow => self.apply_per_row(&source, &command, import_id, context),
        }
    }

    /// Fails early when the key already has an answer, before reading a row: a repeated
    /// all-or-nothing import would otherwise be validated against the stock its first run
    /// changed. The change checks again (a first run may still be going on).
    fn answered_before(&self, idempotency: &Idempotency) -> Result<(), InventoryError> {
        let key = idempotency.key.clone();
        match self.ports.query(move |tx| tx.stored_response(&key))? {
            None => Ok(()),
            Some(stored) if stored.fingerprint == idempotency.fingerprint => {
                Err(InventoryError::Replayed(Box::new(stored)))
            }
            Some(_) => Err(InventoryError::IdempotencyKeyReused),
        }
    }

    /// Checks every row in one read transaction; the report's valid rows are `VALID`.
    fn validate(
        &self,
        source: &ImportSource,
        command: &StockImport,
        import_id: Uuid,
    ) -> Result<ImportReport, InventoryError> {
        let rows = source.rows()?;
        let command = command.clone();
        let now = self.ports.clock.now();
        self.ports.query(move |tx| {
            let mut report = ImportReport::new(import_id, command.dry_run);
            let mut ledger = Ledger::default();
            for row in rows {
                let row = row?;
                let result = match row.row {
                    Err(error) => RowResult::invalid(row.line, error),
                    Ok(line) => match check_row(&mut ledger, tx, &line, &command, now)? {
                        Ok(_) => RowResult::new(row.line, RowOutcome::Valid),
                        Err(error) => RowResult::invalid(row.line, error),
                    },
                };
                report.add(result, command.listing);
            }
            Ok(report)
        })
    }

    /// Applies every row of a validated file in one change, reading it again: any row
    /// refused now (the stock moved since the validation) fails the whole change.
    fn apply_all(
        &self,
        source: ImportSource,
        command: StockImport,
        validated: ImportReport,
        context: &RequestContext,
    ) -> Result<ImportReport, InventoryError> {
        let reference = import_reference(validated.import_id);
        self.ports.change(context, move |change| {
            change.refer_to(reference);
            let mut ledger = Ledger::default();
            let now = change.now();
            let mut rows_seen = 0;
            for row in source.rows()? {
                let row = row?;
                rows_seen += 1;
                let line = row.row.map_err(|error| refused_on_apply(row.line, &error))?;
                match check_row(&mut ledger, change.read(), &line, &command, now)? {
                    Ok(event) => change.record(event)?,
                    Err(error) => return Err(refused_on_apply(row.line, &error)),
                }
            }
            if rows_seen != validated.rows {
                return Err(InventoryError::Invalid(ValidationError::new(
                    "file",
                    format!(
                        "had {} rows when validated and {rows_seen} when applied; nothing was applied",
                        validated.rows
                    ),
                )));
            }
            let mut report = validated.clone();
            report.settle_valid_rows(RowOutcome::Applied);
            Ok(report)
        })
    }

    /// Applies each valid row, [`Self::CHUNK_ROWS`] per change, and reports the others.
    fn apply_per_row(
        &self,
        source: &ImportSource,
        command: &StockImport,
        import_id: Uuid,
        context: &RequestContext,
    ) -> Result<ImportReport, InventoryError> {
        let mut report = ImportReport::new(import_id, false);
        let mut chunk = Vec::with_capacity(Self::CHUNK_ROWS);
        let mut chunks = 0;
        for row in source.rows()? {
            let row = row?;
            match row.row {
                Err(error) => report.add(RowResult::invalid(row.line, error), command.listing),
                Ok(line) => chunk.push((row.line, line)),
            }
            if chunk.len() == Self::CHUNK_ROWS {
                let part = self.apply_chunk(
                    std::mem::take(&mut chunk),
                    chunks,
                    command,
                    import_id,
                    context,
                )?;
                report.merge(part, command.listing);
                chunks += 1;
            }
        }
        if !chunk.is_empty() {
            let part = self.apply_chunk(chunk, chunks, command, import_id, context)?;
            report.merge(part, command.listing);
        }
        report.results.sort_by_key(|result| result.line);
        if context.idempotency.is_none() {
            return Ok(report);
        }
        // The whole answer under the caller's key, for a repeat to get back.
        self.ports.change(context, move |_| Ok(report.clone()))
    }

    /// Applies the valid rows of one chunk in one change; a refused row is reported, not
    /// fatal. Under a key, the chunk's answer is stored with it under a key of its own.
    fn apply_chunk(
        &self,
        rows: Vec<(u64, StockLine)>,
        number: u64,
        command: &StockImport,
        import_id: Uuid,
        context: &RequestContext,
    ) -> Result<ImportReport, InventoryError> {
        let chunk_context = RequestContext {
            request_id: context.request_id.clone(),
            idempotency: context
                .idempotency
                .as_ref()
                .map(|idempotency| chunk_idempotency(idempotency, number))
                .transpose()?,
            actor: context.actor.clone(),
        };
        let command = command.clone();
        let result = self.ports.change(&chunk_context, move |change| {
            change.refer_to(import_reference(import_id));
            let mut ledger = Ledger::default();
            let now = change.now();
            let mut part = ImportReport::new(import_id, false);
            for (number, line) in &rows {
                let result = match check_row(&mut ledger, change.read(), line, &command, now)? {
                    Ok(event) => {
                        change.record(event)?;
                        RowResult::new(*number, RowOutcome::Applied)
                    }
                    Err(error) => RowResult::invalid(*number, error),
                };
                part.add(result, command.listing);
            }
            Ok(part)
        });
        match result {
            // This chunk committed in an earlier run of the same import.
            Err(InventoryError::Replayed(stored)) => {
                serde_json::from_slice(&stored.body).map_err(|error| {
                    InventoryError::Internal(Failure::caused_by(
                        "the stored answer of an import chunk cannot be read",
                        error,
                    ))
                })
            }
            other => other,
        }
    }
}

/// Checks one row: the caller's store, then the domain's rules. `Ok(Err(..))` refuses the
/// row; `Err` is a storage failure that stops the import.
fn check_row(
    ledger: &mut Ledger,
    tx: &dyn ReadTx,
    line: &StockLine,
    command: &StockImport,
    now: OffsetDateTime,
) -> Result<Result<DomainEvent, RowError>, InventoryError> {
    if let Some(own) = &command.only_store
        && *own != line.store_id
    {
        return Ok(Err(RowError {
            code: "FORBIDDEN".to_owned(),
            message: format!("a vendor of {own} imports into its own store only"),
        }));
    }
    match ledger.check(tx, line, &command.by, now) {
        Ok(event) => Ok(Ok(event)),
        Err(error) if is_row_refusal(&error) => Ok(Err(RowError::from(&error))),
        Err(error) => Err(error),
    }
}

/// The error that fails an all-or-nothing change when a row validated before is refused now.
fn refused_on_apply(line: u64, error: &RowError) -> InventoryError {
    InventoryError::Invalid(ValidationError::new(
        "file",
        format!(
            "line {line} was refused while applying ({}: {}): the stock or the file changed \
             since it was validated; nothing was applied",
            error.code, error.message
        ),
    ))
}

/// The key a chunk's answer is stored under: the caller's key in a scope of its own (a key
/// is at most 255 characters, a scope is free).
fn chunk_idempotency(
    idempotency: &Idempotency,
    number: u64,
) -> Result<Idempotency, InventoryError> {
    let key = &idempotency.key;
    Ok(Idempotency {
        key: IdempotencyKey::new(format!("{}/import-chunk-{number}", key.scope()), key.key())?,
        fingerprint: idempotency.fingerprint.clone(),
        render: Arc::new(|value: &dyn Any| {
            let part = value.downcast_ref::<ImportReport>()?;
            serde_json::to_vec(part).ok().map(|body| (200, body))
        }),
    })
}

/// What an import's stock movements refer to.
fn import_reference(import_id: Uuid) -> MovementReference {
    MovementReference {
        kind: ReferenceKind::Import,
        id: import_id,
    }
}
