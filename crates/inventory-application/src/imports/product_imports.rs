//! Bulk product imports (`inventory import --products FILE`): new products from CSV
//! (`sku,name,price,description,category`, a header row, any order) or JSON lines, streamed,
//! in the same modes as stock imports and with the same report.
//!
//! A row is a product the catalogue does not have yet: its fields are checked by the domain's
//! own types, and a SKU that exists already, or that an earlier row of the file names, is
//! refused (`DUPLICATE_SKU`) rather than overwritten. Creating a product is what
//! `POST /products` does, event included (`product.created`).

use std::collections::HashSet;
use std::io::BufRead;

use inventory_domain::{
    Category, Description, Price, Product, ProductDetails, ProductId, ProductName, Sku,
    ValidationError,
};
use inventory_ports::{InventoryError, ReadTx, RequestContext};
use serde::Deserialize;
use uuid::Uuid;

use super::formats::ImportFormat;
use super::report::{ImportReport, Listing, RowOutcome, RowResult};
use super::stock_imports::{ImportMode, OpenRows};
use super::stock_row::RowError;
use crate::Ports;

/// The longest JSON line read.
const MAX_JSON_LINE: usize = 64 * 1024;

/// A product row's fields as read from the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProductRow {
    sku: Option<String>,
    name: Option<String>,
    price: Option<String>,
    description: Option<String>,
    category: Option<String>,
}

impl RawProductRow {
    fn check(self) -> Result<ProductDetails, ValidationError> {
        let present = |text: Option<String>| text.filter(|text| !text.trim().is_empty());
        Ok(ProductDetails {
            sku: Sku::parse(self.sku.as_deref().unwrap_or_default())?,
            name: ProductName::parse(self.name.as_deref().unwrap_or_default())?,
            price: Price::parse(self.price.as_deref().unwrap_or_default())?,
            description: Description::parse_optional(present(self.description).as_deref())?,
            category: Category::parse_optional(present(self.category).as_deref())?,
        })
    }
}

/// What to import and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductImport {
    /// How the file is written.
    pub format: ImportFormat,
    /// All or nothing, or row by row.
    pub mode: ImportMode,
    /// Validate and report only; write nothing.
    pub dry_run: bool,
    /// Which rows the report lists.
    pub listing: Listing,
}

type Row = (u64, Result<ProductDetails, RowError>);

/// Reads the rows of a product file one at a time.
fn rows(
    format: ImportFormat,
    input: Box<dyn BufRead + Send>,
) -> Result<Box<dyn Iterator<Item = Result<Row, InventoryError>> + Send>, InventoryError> {
    let unreadable =
        |message: String| InventoryError::Invalid(ValidationError::new("file", message));
    let invalid = |error: ValidationError| RowError::invalid(&error);
    match format {
        ImportFormat::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .trim(csv::Trim::All)
                .from_reader(input);
            let header = reader
                .headers()
                .map_err(|error| unreadable(format!("the CSV header cannot be read: {error}")))?
                .clone();
            const COLUMNS: [&str; 5] = ["sku", "name", "price", "description", "category"];
            if let Some(unknown) = header.iter().find(|name| !COLUMNS.contains(name)) {
                return Err(unreadable(format!(
                    "the CSV header names an unknown column {unknown:?}; the columns are {}",
                    COLUMNS.join(",")
                )));
            }
            if !["sku", "name", "price"]
                .iter()
                .all(|needed| header.iter().any(|name| name == *needed))
            {
                return Err(unreadable(
                    "the CSV header must name sku, name and price".into(),
                ));
            }
            Ok(Box::new(reader.into_records().map(
                move |record| match record {
                    Ok(record) => {
                        let line = record.position().map_or(0, csv::Position::line);
                        let row = record
                            .deserialize::<RawProductRow>(Some(&header))
                            .map_err(|error| {
                                invalid(ValidationError::new("row", error.to_string()))
                            })
                            .and_then(|raw| raw.check().map_err(invalid));
                        Ok((line, row))
                    }
                    Err(error) if matches!(error.kind(), csv::ErrorKind::Io(_)) => {
                        Err(unreadable(format!("cannot be read: {error}")))
                    }
                    Err(error) => Ok((
                        error.position().map_or(0, csv::Position::line),
                        Err(invalid(ValidationError::new("row", error.to_string()))),
                    )),
                },
            )))
        }
        ImportFormat::JsonLines => Ok(Box::new(
            input
                .lines()
                .enumerate()
                .filter(|(_, line)| line.as_ref().map_or(true, |l| !l.trim().is_empty()))
                .map(move |(index, line)| {
                    let line_number = index as u64 + 1;
                    let text =
                        line.map_err(|error| unreadable(format!("cannot be read: {error}")))?;
                    if text.len() > MAX_JSON_LINE {
                        return Err(unreadable(format!(
                            "line {line_number} is longer than {MAX_JSON_LINE} bytes"
                        )));
                    }
                    let row = serde_json::from_str::<RawProductRow>(&text)
                        .map_err(|error| invalid(ValidationError::new("row", error.to_string())))
                        .and_then(|raw| raw.check().map_err(invalid));
                    Ok((line_number, row))
                }),
        )),
    }
}

/// Imports products in bulk.
#[derive(Clone)]
pub struct ProductImports {
    ports: Ports,
}

impl ProductImports {
    /// Rows created per change in [`ImportMode::PerRow`].
    pub const CHUNK_ROWS: usize = 1_000;

    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Imports the products `open` reads. All or nothing: every row is checked first, and
    /// if any is refused none is created; otherwise all are created in one change (checked
    /// again inside it). Row by row: each valid row is created, in changes of
    /// [`ProductImports::CHUNK_ROWS`]. A retried row-by-row import finds the products its
    /// first run created and reports them as `DUPLICATE_SKU`: nothing is created twice.
    ///
    /// # Errors
    /// [`InventoryError::Invalid`] on `file` when the file cannot be read, or when a row
    /// checked first was refused inside the change (nothing created); storage failures.
    pub fn import(
        &self,
        open: OpenRows,
        command: ProductImport,
        context: &RequestContext,
    ) -> Result<ImportReport, InventoryError> {
        let import_id = self.ports.ids.new_id();
        let validated = self.validate(&open, command, import_id)?;
        if command.dry_run {
            return Ok(validated);
        }
        match command.mode {
            ImportMode::AllOrNothing if validated.invalid > 0 => {
                let mut report = validated;
                report.settle_valid_rows(RowOutcome::NotApplied);
                Ok(report)
            }
            ImportMode::AllOrNothing => self.create_all(&open, command, validated, context),
            ImportMode::PerRow => self.create_row_by_row(&open, command, import_id, context),
        }
    }

    fn validate(
        &self,
        open: &OpenRows,
        command: ProductImport,
        import_id: Uuid,
    ) -> Result<ImportReport, InventoryError> {
        let rows = rows(command.format, open()?)?;
        self.ports.query(move |tx| {
            let mut report = ImportReport::new(import_id, command.dry_run);
            let mut seen = HashSet::new();
            for row in rows {
                let (line, details) = row?;
                let result = match checked(tx, &mut seen, details)? {
                    Ok(_) => RowResult::new(line, RowOutcome::Valid),
                    Err(error) => RowResult::invalid(line, error),
                };
                report.add(result, command.listing);
            }
            Ok(report)
        })
    }

    fn create_all(
        &self,
        open: &OpenRows,
        command: ProductImport,
        validated: ImportReport,
        context: &RequestContext,
    ) -> Result<ImportReport, InventoryError> {
        let open = open.clone();
        self.ports.change(context, move |change| {
            let mut seen = HashSet::new();
            for row in rows(command.format, open()?)? {
                let (line, details) = row?;
                match checked(change.read(), &mut seen, details)? {
                    Ok(details) => {
                        let id = ProductId::from_uuid(change.new_id());
                        let (_, event) = Product::create(id, details, change.now());
                        change.record(event)?;
                    }
                    Err(error) => {
                        return Err(InventoryError::Invalid(ValidationError::new(
                            "file",
                            format!(
                                "line {line} was refused when applied ({}): nothing was created",
                                error.code
                            ),
                        )));
                    }
                }
            }
            let mut report = validated.clone();
            report.settle_valid_rows(RowOutcome::Applied);
            Ok(report)
        })
    }

    fn create_row_by_row(
        &self,
        open: &OpenRows,
        command: ProductImport,
        import_id: Uuid,
        context: &RequestContext,
    ) -> Result<ImportReport, InventoryError> {
        let mut report = ImportReport::new(import_id, false);
        let mut rows = rows(command.format, open()?)?.peekable();
        let chunk_context = RequestContext {
            idempotency: None,
            ..context.clone()
        };
        while rows.peek().is_some() {
            let chunk: Vec<Row> = rows
                .by_ref()
                .take(Self::CHUNK_ROWS)
                .collect::<Result<_, _>>()?;
            let part = self.ports.change(&chunk_context, move |change| {
                let mut part = ImportReport::new(import_id, false);
                let mut seen = HashSet::new();
                for (line, details) in chunk.clone() {
                    let result = match checked(change.read(), &mut seen, details)? {
                        Ok(details) => {
                            let id = ProductId::from_uuid(change.new_id());
                            let (_, event) = Product::create(id, details, change.now());
                            change.record(event)?;
                            RowResult::new(line, RowOutcome::Applied)
                        }
                        Err(error) => RowResult::invalid(line, error),
                    };
                    part.add(result, command.listing);
                }
                Ok(part)
            })?;
            report.merge(part, command.listing);
        }
        // The whole answer, stored under the caller's key (if any) so a retry replays it.
        self.ports.change(context, move |_| Ok(report.clone()))
    }
}

/// A row's product, or why it is refused: its fields, then its SKU, which neither the
/// catalogue nor an earlier row of the file may have.
fn checked(
    tx: &dyn ReadTx,
    seen: &mut HashSet<Sku>,
    details: Result<ProductDetails, RowError>,
) -> Result<Result<ProductDetails, RowError>, InventoryError> {
    let details = match details {
        Ok(details) => details,
        Err(error) => return Ok(Err(error)),
    };
    if !seen.insert(details.sku.clone()) || tx.product_by_sku(&details.sku)?.is_some() {
        return Ok(Err(RowError::from(&InventoryError::DuplicateSku(
            details.sku,
        ))));
    }
    Ok(Ok(details))
}
