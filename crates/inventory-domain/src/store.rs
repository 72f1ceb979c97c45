//! A physical store of the chain (`MAD-001` Madrid Centro...). Stock and reservations are kept
//! per store; `store_id` is data, not configuration, so opening a store needs no deployment.

use time::OffsetDateTime;

use crate::{Address, City, Country, DomainEvent, Email, Phone, StoreId, StoreName};

/// What describes a store; everything a caller may set when creating or updating one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreDetails {
    /// Shown to customers (`Madrid Centro`).
    pub name: StoreName,
    /// Street address.
    pub address: Option<Address>,
    /// City.
    pub city: Option<City>,
    /// Country.
    pub country: Option<Country>,
    /// Phone number.
    pub phone: Option<Phone>,
    /// Contact email.
    pub email: Option<Email>,
    /// An inactive store keeps its stock and history but takes no new reservations and is
    /// left out of availability.
    pub active: bool,
}

/// A store as the service holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    /// The store's code.
    pub id: StoreId,
    /// The store's description.
    pub details: StoreDetails,
    /// When the store was created.
    pub created_at: OffsetDateTime,
    /// When the store last changed.
    pub updated_at: OffsetDateTime,
}

impl Store {
    /// A new store; returns it with its `store.created` event.
    pub fn create(id: StoreId, details: StoreDetails, now: OffsetDateTime) -> (Self, DomainEvent) {
        let store = Self {
            id,
            details,
            created_at: now,
            updated_at: now,
        };
        let event = DomainEvent::StoreCreated(store.clone());
        (store, event)
    }

    /// Replaces the store's description; returns the `store.updated` event.
    pub fn update(&mut self, details: StoreDetails, now: OffsetDateTime) -> DomainEvent {
        self.details = details;
        self.updated_at = now;
        DomainEvent::StoreUpdated(self.clone())
    }
}
