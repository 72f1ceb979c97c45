//! One row of a stock import: what it asks for, once its text is checked.

use inventory_domain::{AdjustmentReason, Sku, StockCount, StockDelta, StoreId, ValidationError};
use inventory_ports::InventoryError;
use serde::Deserialize;

/// A row's fields as read from the file, before any check.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStockRow {
    pub(crate) sku: Option<String>,
    pub(crate) store_id: Option<String>,
    pub(crate) quantity: Option<i64>,
    pub(crate) quantity_change: Option<i64>,
    pub(crate) reason: Option<String>,
}

/// What a checked row asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockLineChange {
    /// Set the level to a count (`quantity`), as `PUT /stock/...` does.
    Set(StockCount),
    /// Move the level by a delta for a reason (`quantity_change`, `reason`), as `POST /stock`.
    Delta(StockDelta, AdjustmentReason),
}

/// A row whose text is valid: a product's SKU, a store and the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine {
    /// The product, by SKU (its existence is checked against the store later).
    pub sku: Sku,
    /// The store.
    pub store_id: StoreId,
    /// The change.
    pub change: StockLineChange,
}

/// Why a row was refused: the stable code an API reports, and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The stable error code (`PRODUCT_NOT_FOUND`, `VALIDATION_FAILED`...).
    pub code: String,
    /// What is wrong, for people.
    pub message: String,
}

impl RowError {
    /// A row refused by a validation rule.
    pub fn invalid(error: &ValidationError) -> Self {
        Self::from(&InventoryError::Invalid(error.clone()))
    }
}

impl From<&InventoryError> for RowError {
    fn from(error: &InventoryError) -> Self {
        Self {
            code: error.code().to_owned(),
            message: error.to_string(),
        }
    }
}

impl RawStockRow {
    /// Checks the row's text: a SKU, a store, exactly one of `quantity` (with no reason) and
    /// `quantity_change` (with a reason that goes its way).
    pub(crate) fn check(self) -> Result<StockLine, ValidationError> {
        let sku = Sku::parse(self.sku.as_deref().unwrap_or_default())?;
        let store_id = StoreId::parse(self.store_id.as_deref().unwrap_or_default())?;
        let change = match (self.quantity, self.quantity_change) {
            (Some(quantity), None) => {
                if self.reason.is_some() {
                    return Err(ValidationError::new(
                        "reason",
                        "goes with quantity_change only: a quantity is a count",
                    ));
                }
                StockLineChange::Set(StockCount::new(quantity)?)
            }
            (None, Some(change)) => {
                let delta = StockDelta::new(change)?;
                let reason = parse_reason(self.reason.as_deref())?;
                reason.check_direction(delta)?;
                StockLineChange::Delta(delta, reason)
            }
            _ => {
                return Err(ValidationError::new(
                    "quantity",
                    "exactly one of quantity (a count) and quantity_change (a delta) is required",
                ));
            }
        };
        Ok(StockLine {
            sku,
            store_id,
            change,
        })
    }
}

/// A reason as written on the wire (`RESTOCK`).
fn parse_reason(text: Option<&str>) -> Result<AdjustmentReason, ValidationError> {
    let text =
        text.ok_or_else(|| ValidationError::new("reason", "is required with quantity_change"))?;
    AdjustmentReason::ALL
        .into_iter()
        .find(|reason| reason.as_str() == text)
        .ok_or_else(|| {
            let known: Vec<&str> = AdjustmentReason::ALL.iter().map(|r| r.as_str()).collect();
            ValidationError::new("reason", format!("must be one of {}", known.join(", ")))
        })
}
