//! Reading a stock import's rows from CSV or JSON lines, one at a time from any `BufRead`.
//!
//! CSV has a header row naming its columns (`sku,store_id,quantity,quantity_change,reason`, in
//! any order; an empty cell is an absent field); JSON lines hold one object per line with the
//! same fields. A row that cannot be read is reported with its line and the reading goes on;
//! only a file that cannot be read at all (a header naming an unknown column, an IO error)
//! stops the import.

use std::io::{BufRead, Read};

use inventory_domain::ValidationError;
use inventory_ports::InventoryError;

use super::stock_row::{RawStockRow, RowError, StockLine};

/// The columns a stock import knows.
const COLUMNS: [&str; 5] = ["sku", "store_id", "quantity", "quantity_change", "reason"];

/// The longest JSON line read: a longer one is refused rather than held in memory whole.
const MAX_JSON_LINE: u64 = 64 * 1024;

/// How an import's rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// Comma-separated values with a header row (`text/csv`).
    Csv,
    /// One JSON object per line (`application/x-ndjson`).
    JsonLines,
}

/// A row and the line of the file it starts on (the CSV header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberedRow {
    /// The row's line in the file, from 1.
    pub line: u64,
    /// The row, or why its text is not valid.
    pub row: Result<StockLine, RowError>,
}

/// The rows of a file, read as they are asked for. Ends after the first fatal error.
pub struct RowReader<'r> {
    rows: Box<dyn Iterator<Item = Result<NumberedRow, InventoryError>> + Send + 'r>,
}

impl<'r> RowReader<'r> {
    /// Starts reading `input` written in `format` (a CSV header is read and checked now).
    ///
    /// # Errors
    /// [`InventoryError::Invalid`] on `file` when the CSV header names an unknown column,
    /// names one twice, or lacks `sku`, `store_id` or both of `quantity` and
    /// `quantity_change`; or when the input cannot be read.
    pub fn new(
        format: ImportFormat,
        input: impl BufRead + Send + 'r,
    ) -> Result<Self, InventoryError> {
        let rows: Box<dyn Iterator<Item = _> + Send + 'r> = match format {
            ImportFormat::Csv => Box::new(CsvRows::new(input)?),
            ImportFormat::JsonLines => Box::new(JsonRows {
                input,
                line: 0,
                failed: false,
            }),
        };
        Ok(Self { rows })
    }
}

impl Iterator for RowReader<'_> {
    type Item = Result<NumberedRow, InventoryError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.rows.next()
    }
}

/// A file that cannot be read any further.
fn unreadable(message: impl Into<String>) -> InventoryError {
    InventoryError::Invalid(ValidationError::new("file", message))
}

/// CSV rows, with each column's place found from the header.
struct CsvRows<R: Read> {
    reader: csv::Reader<R>,
    /// Where each of [`COLUMNS`] is, if the header has it.
    places: [Option<usize>; 5],
    record: csv::StringRecord,
    failed: bool,
}

impl<R: Read> CsvRows<R> {
    fn new(input: R) -> Result<Self, InventoryError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(input);
        let header = reader
            .headers()
            .map_err(|error| unreadable(format!("the CSV header cannot be read: {error}")))?
            .clone();
        let mut places = [None; 5];
        for (place, name) in header.iter().enumerate() {
            let Some(column) = COLUMNS.iter().position(|known| *known == name) else {
                return Err(unreadable(format!(
                    "the CSV header names an unknown column {name:?}; the columns are {}",
                    COLUMNS.join(",")
                )));
            };
            if places[column].replace(place).is_some() {
                return Err(unreadable(format!("the CSV header names {name:?} twice")));
            }
        }
        if places[0].is_none() || places[1].is_none() {
            return Err(unreadable("the CSV header must name sku and store_id"));
        }
        if places[2].is_none() && places[3].is_none() {
            return Err(unreadable(
                "the CSV header must name quantity, quantity_change or both",
            ));
        }
        Ok(Self {
            reader,
            places,
            record: csv::StringRecord::new(),
            failed: false,
        })
    }

    /// The row of the current record, or why its text is not valid.
    fn row(&self) -> Result<StockLine, RowError> {
        let cell = |column: usize| {
            self.places[column]
                .and_then(|place| self.record.get(place))
                .filter(|text| !text.is_empty())
        };
        let number = |column: usize, field: &'static str| {
            cell(column)
                .map(|text| {
                    text.parse::<i64>().map_err(|_| {
                        RowError::invalid(&ValidationError::new(field, "must be a whole number"))
                    })
                })
                .transpose()
        };
        RawStockRow {
            sku: cell(0).map(str::to_owned),
            store_id: cell(1).map(str::to_owned),
            quantity: number(2, "quantity")?,
            quantity_change: number(3, "quantity_change")?,
            reason: cell(4).map(str::to_owned),
        }
        .check()
        .map_err(|error| RowError::invalid(&error))
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Result<NumberedRow, InventoryError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map_or(0, csv::Position::line);
                Some(Ok(NumberedRow {
                    line,
                    row: self.row(),
                }))
            }
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                if matches!(error.kind(), csv::ErrorKind::Io(_)) {
                    self.failed = true;
                    return Some(Err(unreadable(format!(
                        "cannot be read at line {line}: {error}"
                    ))));
                }
                // A row of the wrong length or not UTF-8: that row is refused, the rest read.
                let message = match error.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => {
                        format!("has {len} fields where the header has {expected_len}")
                    }
                    csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_owned(),
                    _ => error.to_string(),
                };
                Some(Ok(NumberedRow {
                    line,
                    row: Err(RowError::invalid(&ValidationError::new("row", message))),
                }))
            }
        }
    }
}

/// JSON lines: one object per line; blank lines are skipped.
struct JsonRows<R> {
    input: R,
    line: u64,
    failed: bool,
}

impl<R: BufRead> Iterator for JsonRows<R> {
    type Item = Result<NumberedRow, InventoryError>;
    fn next(&mut self) -> Option<Self::Item> {
        let mut bytes = Vec::new();
        loop {
            if self.failed {
                return None;
            }
            bytes.clear();
            let read = (&mut self.input)
                .take(MAX_JSON_LINE + 1)
                .read_until(b'\n', &mut bytes);
            self.line += 1;
            match read {
                Ok(0) => return None,
                Ok(_) => {}
                Err(error) => {
                    self.failed = true;
                    return Some(Err(unreadable(format!(
                        "cannot be read at line {}: {error}",
                        self.line
                    ))));
                }
            }
            if bytes.len() as u64 > MAX_JSON_LINE {
                // The rest of an overlong line cannot be told from the next row: stop.
                self.failed = true;
                return Some(Err(unreadable(format!(
                    "line {} is longer than {MAX_JSON_LINE} bytes",
                    self.line
                ))));
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let row = serde_json::from_slice::<RawStockRow>(&bytes)
                .map_err(|error| {
                    RowError::invalid(&ValidationError::new("row", json_message(&error)))
                })
                .and_then(|raw| raw.check().map_err(|error| RowError::invalid(&error)));
            return Some(Ok(NumberedRow {
                line: self.line,
                row,
            }));
        }
    }
}

/// A JSON error without serde's "at line 1 column N" (every row is line 1 of itself).
fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(end) => text[..end].to_owned(),
        None => text,
    }
}
