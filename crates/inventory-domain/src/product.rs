//! A product of the catalogue. The catalogue is global: stock is per store, products are not.

use time::OffsetDateTime;

use crate::{Category, Description, DomainEvent, Price, ProductId, ProductName, Sku};

/// What describes a product; everything a caller may set when creating or updating one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDetails {
    /// Unique across the catalogue.
    pub sku: Sku,
    /// Shown to customers.
    pub name: ProductName,
    /// Optional long text.
    pub description: Option<Description>,
    /// Optional category used by the catalogue's filter.
    pub category: Option<Category>,
    /// Exact price in euro.
    pub price: Price,
}

/// A product as the catalogue holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Identifies the product everywhere (stock, reservations, events).
    pub id: ProductId,
    /// The product's description.
    pub details: ProductDetails,
    /// When the product was created.
    pub created_at: OffsetDateTime,
    /// When the product last changed.
    pub updated_at: OffsetDateTime,
}

impl Product {
    /// A new product; returns it with its `product.created` event.
    pub fn create(
        id: ProductId,
        details: ProductDetails,
        now: OffsetDateTime,
    ) -> (Self, DomainEvent) {
        let product = Self {
            id,
            details,
            created_at: now,
            updated_at: now,
        };
        let event = DomainEvent::ProductCreated(product.clone());
        (product, event)
    }

    /// Replaces the product's description; returns the `product.updated` event.
    pub fn update(&mut self, details: ProductDetails, now: OffsetDateTime) -> DomainEvent {
        self.details = details;
        self.updated_at = now;
        DomainEvent::ProductUpdated(self.clone())
    }

    /// Removes the product from the catalogue; returns the `product.deleted` event.
    pub fn delete(self) -> DomainEvent {
        DomainEvent::ProductDeleted(self)
    }
}
