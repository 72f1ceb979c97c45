//! What an import did: each row's outcome and a summary.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::stock_row::RowError;

/// What happened to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RowOutcome {
    /// The row was applied.
    Applied,
    /// The row is valid (a dry run writes nothing).
    Valid,
    /// The row was refused; its error says why.
    Invalid,
    /// The row is valid but was not applied: other rows of an all-or-nothing import were not.
    NotApplied,
}

/// One row's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowResult {
    /// The row's line in the file, from 1.
    pub line: u64,
    /// What happened to it.
    pub outcome: RowOutcome,
    /// Why it was refused: a stable error code.
    pub code: Option<String>,
    /// Why it was refused, for people.
    pub message: Option<String>,
}

impl RowResult {
    /// A row with `outcome` and no error.
    pub fn new(line: u64, outcome: RowOutcome) -> Self {
        Self {
            line,
            outcome,
            code: None,
            message: None,
        }
    }

    /// A refused row.
    pub fn invalid(line: u64, error: RowError) -> Self {
        Self {
            line,
            outcome: RowOutcome::Invalid,
            code: Some(error.code),
            message: Some(error.message),
        }
    }
}

/// Which rows a report lists: a file of a million rows must not make a million results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listing {
    /// List valid and applied rows too, not only refused ones.
    pub every_row: bool,
    /// The most rows listed; the rest are only counted (`results_omitted`).
    pub limit: usize,
}

impl Listing {
    /// Refused rows only, at most `limit` of them (the command line's choice).
    pub const fn failures(limit: usize) -> Self {
        Self {
            every_row: false,
            limit,
        }
    }

    /// Every row, at most `limit` of them (the API's choice: its body limit bounds the rows).
    pub const fn every_row(limit: usize) -> Self {
        Self {
            every_row: true,
            limit,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// The import's id (a UUID v7): every change it applied was made under it.
    pub import_id: Uuid,
    /// True when nothing was written because the caller asked for a dry run.
    pub dry_run: bool,
    /// Rows read.
    pub rows: u64,
    /// Rows applied.
    pub applied: u64,
    /// Rows valid in a dry run.
    pub valid: u64,
    /// Rows refused.
    pub invalid: u64,
    /// Valid rows left unapplied because other rows were refused (all-or-nothing).
    pub not_applied: u64,
    /// The rows' results, by line, as the listing chose.
    pub results: Vec<RowResult>,
    /// Results left out of `results` by the listing's limit.
    pub results_omitted: u64,
}

impl ImportReport {
    /// An empty report for import `import_id`.
    pub(crate) fn new(import_id: Uuid, dry_run: bool) -> Self {
        Self {
            import_id,
            dry_run,
            rows: 0,
            applied: 0,
            valid: 0,
            invalid: 0,
            not_applied: 0,
            results: Vec::new(),
            results_omitted: 0,
        }
    }

    /// Counts `result` and lists it if `listing` says so.
    pub(crate) fn add(&mut self, result: RowResult, listing: Listing) {
        self.rows += 1;
        match result.outcome {
            RowOutcome::Applied => self.applied += 1,
            RowOutcome::Valid => self.valid += 1,
            RowOutcome::Invalid => self.invalid += 1,
            RowOutcome::NotApplied => self.not_applied += 1,
        }
        if !listing.every_row && result.outcome != RowOutcome::Invalid {
            return;
        }
        if self.results.len() < listing.limit {
            self.results.push(result);
        } else {
            self.results_omitted += 1;
        }
    }

    /// Adds the counts and results of a later part of the same import.
    pub(crate) fn merge(&mut self, part: Self, listing: Listing) {
        self.rows += part.rows;
        self.applied += part.applied;
        self.valid += part.valid;
        self.invalid += part.invalid;
        self.not_applied += part.not_applied;
        self.results_omitted += part.results_omitted;
        for result in part.results {
            if self.results.len() < listing.limit {
                self.results.push(result);
            } else {
                self.results_omitted += 1;
            }
        }
    }

    /// Turns every valid row into one that was not applied (an all-or-nothing import that
    /// found refused rows); applies them all when `applied`.
    pub(crate) fn settle_valid_rows(&mut self, outcome: RowOutcome) {
        for result in &mut self.results {
            if result.outcome == RowOutcome::Valid {
                result.outcome = outcome;
            }
        }
        match outcome {
            RowOutcome::Applied => self.applied += std::mem::take(&mut self.valid),
            RowOutcome::NotApplied => self.not_applied += std::mem::take(&mut self.valid),
            RowOutcome::Valid | RowOutcome::Invalid => {}
        }
    }
}
