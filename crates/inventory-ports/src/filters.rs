//! What a list asks for: every field given narrows the list.

use inventory_domain::{
    Category, CustomerId, ProductId, ReservationStatus, StoreId, TransferStatus,
};

/// Which products to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFilter {
    /// Only this category.
    pub category: Option<Category>,
    /// Only those whose name contains, or whose SKU starts with, this text, compared
    /// without case or accents: already folded by [`inventory_domain::fold_for_search`].
    pub q: Option<String>,
}

/// Which stock records to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockFilter {
    /// Only this product's.
    pub product_id: Option<ProductId>,
    /// Only this store's.
    pub store_id: Option<StoreId>,
}

/// Which reservations to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReservationFilter {
    /// Only this store's.
    pub store_id: Option<StoreId>,
    /// Only this customer's.
    pub customer_id: Option<CustomerId>,
    /// Only those with this status.
    pub status: Option<ReservationStatus>,
}

/// Which transfers to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferFilter {
    /// Only those from or to this store.
    pub store_id: Option<StoreId>,
    /// Only this product's.
    pub product_id: Option<ProductId>,
    /// Only those with this status.
    pub status: Option<TransferStatus>,
}

/// `text` with SQL LIKE's wildcards (`%`, `_`) and the escape character itself escaped by a
/// backslash, for adapters that search with `LIKE ... ESCAPE '\\'`: a `%` typed in a search
/// matches a `%`, not everything.
pub fn like_escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
