//! Bulk stock imports (`POST /stock/import`, `inventory import FILE`): many stock changes from
//! one CSV or JSON-lines file, checked row by row with the same rules as `POST /stock` (a
//! delta with a reason) and `PUT /stock/...` (a set is a count), then applied all together or
//! row by row.
//!
//! - [`formats`]: reading rows from any `BufRead`, one at a time, so a file of a million rows
//!   is never held in memory.
//! - [`ledger`](self): the stock a file's rows lead to, so two rows of one pair add up.
//! - [`report`](self): what happened to each row, and the summary.
//! - [`StockImports`]: the use case and its modes.

mod formats;
mod ledger;
mod product_imports;
mod report;
mod stock_imports;
mod stock_row;

pub use formats::{ImportFormat, NumberedRow, RowReader};
pub use product_imports::{ProductImport, ProductImports};
pub use report::{ImportReport, Listing, RowOutcome, RowResult};
pub use stock_imports::{ImportMode, ImportSource, OpenRows, StockImport, StockImports};
pub use stock_row::{RowError, StockLine, StockLineChange};
