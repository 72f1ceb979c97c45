//! The catalogue: products are global, their stock is per store.

use inventory_domain::{
    Category, Product, ProductDetails, ProductId, Sku, TransferStatus, ValidationError,
    fold_for_search,
};
use inventory_ports::{
    InventoryError, Page, Paged, ProductFilter, RequestContext, StockFilter, TransferFilter,
};

use crate::Ports;
use crate::listing;

/// Creates, changes, removes and finds products.
#[derive(Clone)]
pub struct Catalogue {
    ports: Ports,
}

impl Catalogue {
    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Adds a product to the catalogue (`product.created`).
    ///
    /// # Errors
    /// [`InventoryError::DuplicateSku`] when another product has the SKU.
    pub fn create(
        &self,
        details: ProductDetails,
        context: &RequestContext,
    ) -> Result<Product, InventoryError> {
        self.ports.change(context, move |change| {
            let details = details.clone();
            if change.read().product_by_sku(&details.sku)?.is_some() {
                return Err(InventoryError::DuplicateSku(details.sku));
            }
            let id = ProductId::from_uuid(change.new_id());
            let (product, event) = Product::create(id, details, change.now());
            change.record(event)?;
            Ok(product)
        })
    }

    /// Replaces a product's description, SKU and price (`product.updated`).
    ///
    /// # Errors
    /// [`InventoryError::ProductNotFound`]; [`InventoryError::DuplicateSku`] when the new SKU
    /// belongs to another product.
    pub fn update(
        &self,
        id: ProductId,
        details: ProductDetails,
        context: &RequestContext,
    ) -> Result<Product, InventoryError> {
        self.ports.change(context, move |change| {
            let details = details.clone();
            let mut product = change
                .read()
                .product(id)?
                .ok_or(InventoryError::ProductNotFound(id))?;
            if let Some(other) = change.read().product_by_sku(&details.sku)?
                && other.id != id
            {
                return Err(InventoryError::DuplicateSku(details.sku));
            }
            let event = product.update(details, change.now());
            change.record(event)?;
            Ok(product)
        })
    }

    /// Removes a product with its stock records and transfers (`product.deleted`). Refused
    /// while any of its units are reserved (those customers were promised the units) or on
    /// their way between stores (they would vanish).
    ///
    /// # Errors
    /// [`InventoryError::ProductNotFound`]; [`InventoryError::ProductHasReservations`];
    /// [`InventoryError::ProductInTransit`].
    pub fn delete(&self, id: ProductId, context: &RequestContext) -> Result<(), InventoryError> {
        self.ports.change(context, move |change| {
            let product = change
                .read()
                .product(id)?
                .ok_or(InventoryError::ProductNotFound(id))?;
            let filter = StockFilter {
                product_id: Some(id),
                store_id: None,
            };
            let reserved: u64 = listing::all(|page| change.read().list_stock(&filter, page))?
                .iter()
                .map(|stock| u64::from(stock.reserved()))
                .sum();
            if reserved > 0 {
                return Err(InventoryError::ProductHasReservations {
                    product_id: id,
                    reserved,
                });
            }
            // Deleting the product deletes its transfers: units on their way would vanish.
            let in_transit = TransferFilter {
                product_id: Some(id),
                status: Some(TransferStatus::InTransit),
                ..TransferFilter::default()
            };
            let (_, transfers) = change
                .read()
                .list_transfers(&in_transit, Page::new(Some(1), None)?)?;
            if transfers > 0 {
                return Err(InventoryError::ProductInTransit {
                    product_id: id,
                    transfers,
                });
            }
            change.record(product.delete())?;
            Ok(())
        })
    }

    /// The product with this id.
    ///
    /// # Errors
    /// [`InventoryError::ProductNotFound`].
    pub fn get(&self, id: ProductId) -> Result<Product, InventoryError> {
        self.ports
            .query(move |tx| tx.product(id)?.ok_or(InventoryError::ProductNotFound(id)))
    }

    /// The product with this SKU.
    ///
    /// # Errors
    /// [`InventoryError::SkuNotFound`].
    pub fn get_by_sku(&self, sku: &Sku) -> Result<Product, InventoryError> {
        let sku = sku.clone();
        self.ports.query(move |tx| {
            tx.product_by_sku(&sku)?
                .ok_or(InventoryError::SkuNotFound(sku))
        })
    }

    /// A page of products ordered by SKU, optionally of one category, optionally matching
    /// `q`: a name containing it or a SKU starting with it, without regard to case or
    /// accents ("camion" finds "Camión").
    ///
    /// # Errors
    /// [`InventoryError::Invalid`] for a `q` longer than 100 characters; storage failures.
    pub fn list(
        &self,
        category: Option<Category>,
        q: Option<&str>,
        page: Page,
    ) -> Result<Paged<Product>, InventoryError> {
        let q = match q.map(str::trim) {
            Some(q) if q.chars().count() > 100 => {
                return Err(ValidationError::new("q", "must be at most 100 characters").into());
            }
            Some("") | None => None,
            Some(q) => Some(fold_for_search(q)),
        };
        self.ports.query(move |tx| {
            let (products, total) = tx.list_products(&ProductFilter { category, q }, page)?;
            Ok(Paged::new(products, total, page))
        })
    }
}
