//! The names of events and aggregates as written on the wire.

use std::fmt;
use std::str::FromStr;

use inventory_domain::DomainEvent;

/// Every kind of event the service emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// `product.created`
    ProductCreated,
    /// `product.updated`
    ProductUpdated,
    /// `product.deleted`: the product as it was.
    ProductDeleted,
    /// `store.created`
    StoreCreated,
    /// `store.updated`
    StoreUpdated,
    /// `stock.created`: a product got stock in a store for the first time.
    StockCreated,
    /// `stock.updated`: a delta or a count.
    StockUpdated,
    /// `stock.low`: available units fell to the low-stock threshold.
    StockLow,
    /// `stock.replenished`: available units rose above the threshold again.
    StockReplenished,
    /// `reservation.created`
    ReservationCreated,
    /// `reservation.confirmed`
    ReservationConfirmed,
    /// `reservation.cancelled`
    ReservationCancelled,
    /// `reservation.expired`
    ReservationExpired,
    /// `reservation.extended`
    ReservationExtended,
    /// `cart.created`
    CartCreated,
    /// `cart.confirmed`
    CartConfirmed,
    /// `cart.cancelled`
    CartCancelled,
    /// `cart.expired`
    CartExpired,
    /// `transfer.completed`
    TransferCompleted,
    /// `transfer.shipped`
    TransferShipped,
    /// `transfer.received`
    TransferReceived,
    /// `transfer.cancelled`
    TransferCancelled,
}

/// The kind of thing an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateType {
    /// A product of the catalogue.
    Product,
    /// A store of the chain.
    Store,
    /// The stock of one product in one store.
    Stock,
    /// A reservation.
    Reservation,
    /// A cart of reservations.
    Cart,
    /// A transfer between two stores.
    Transfer,
}

/// A type name no [`EventType`] has (written by a newer build, or not an event at all).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event type {0:?}")]
pub struct UnknownEventType(pub String);

impl EventType {
    /// Every event type, in a stable order.
    pub const ALL: [Self; 22] = [
        Self::ProductCreated,
        Self::ProductUpdated,
        Self::ProductDeleted,
        Self::StoreCreated,
        Self::StoreUpdated,
        Self::StockCreated,
        Self::StockUpdated,
        Self::StockLow,
        Self::StockReplenished,
        Self::ReservationCreated,
        Self::ReservationConfirmed,
        Self::ReservationCancelled,
        Self::ReservationExpired,
        Self::ReservationExtended,
        Self::CartCreated,
        Self::CartConfirmed,
        Self::CartCancelled,
        Self::CartExpired,
        Self::TransferCompleted,
        Self::TransferShipped,
        Self::TransferReceived,
        Self::TransferCancelled,
    ];

    /// The type of a domain event.
    pub fn of(event: &DomainEvent) -> Self {
        match event {
            DomainEvent::ProductCreated(_) => Self::ProductCreated,
            DomainEvent::ProductUpdated(_) => Self::ProductUpdated,
            DomainEvent::ProductDeleted(_) => Self::ProductDeleted,
            DomainEvent::StoreCreated(_) => Self::StoreCreated,
            DomainEvent::StoreUpdated(_) => Self::StoreUpdated,
            DomainEvent::StockCreated { .. } => Self::StockCreated,
            DomainEvent::StockUpdated { .. } => Self::StockUpdated,
            DomainEvent::StockLow(_) => Self::StockLow,
            DomainEvent::StockReplenished(_) => Self::StockReplenished,
            DomainEvent::ReservationCreated { .. } => Self::ReservationCreated,
            DomainEvent::ReservationConfirmed { .. } => Self::ReservationConfirmed,
            DomainEvent::ReservationCancelled { .. } => Self::ReservationCancelled,
            DomainEvent::ReservationExpired { .. } => Self::ReservationExpired,
            DomainEvent::ReservationExtended { .. } => Self::ReservationExtended,
            DomainEvent::CartCreated(_) => Self::CartCreated,
            DomainEvent::CartConfirmed(_) => Self::CartConfirmed,
            DomainEvent::CartCancelled(_) => Self::CartCancelled,
            DomainEvent::CartExpired(_) => Self::CartExpired,
            DomainEvent::TransferCompleted(_) => Self::TransferCompleted,
            DomainEvent::TransferShipped(_) => Self::TransferShipped,
            DomainEvent::TransferReceived(_) => Self::TransferReceived,
            DomainEvent::TransferCancelled(_) => Self::TransferCancelled,
        }
    }

    /// The name on the wire (`stock.updated`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ProductCreated => "product.created",
            Self::ProductUpdated => "product.updated",
            Self::ProductDeleted => "product.deleted",
            Self::StoreCreated => "store.created",
            Self::StoreUpdated => "store.updated",
            Self::StockCreated => "stock.created",
            Self::StockUpdated => "stock.updated",
            Self::StockLow => "stock.low",
            Self::StockReplenished => "stock.replenished",
            Self::ReservationCreated => "reservation.created",
            Self::ReservationConfirmed => "reservation.confirmed",
            Self::ReservationCancelled => "reservation.cancelled",
            Self::ReservationExpired => "reservation.expired",
            Self::ReservationExtended => "reservation.extended",
            Self::CartCreated => "cart.created",
            Self::CartConfirmed => "cart.confirmed",
            Self::CartCancelled => "cart.cancelled",
            Self::CartExpired => "cart.expired",
            Self::TransferCompleted => "transfer.completed",
            Self::TransferShipped => "transfer.shipped",
            Self::TransferReceived => "transfer.received",
            Self::TransferCancelled => "transfer.cancelled",
        }
    }

    /// What the event is about.
    pub const fn aggregate(self) -> AggregateType {
        match self {
            Self::ProductCreated | Self::ProductUpdated | Self::ProductDeleted => {
                AggregateType::Product
            }
            Self::StoreCreated | Self::StoreUpdated => AggregateType::Store,
            Self::StockCreated | Self::StockUpdated | Self::StockLow | Self::StockReplenished => {
                AggregateType::Stock
            }
            Self::ReservationCreated
            | Self::ReservationConfirmed
            | Self::ReservationCancelled
            | Self::ReservationExpired
            | Self::ReservationExtended => AggregateType::Reservation,
            Self::CartCreated | Self::CartConfirmed | Self::CartCancelled | Self::CartExpired => {
                AggregateType::Cart
            }
            Self::TransferCompleted
            | Self::TransferShipped
            | Self::TransferReceived
            | Self::TransferCancelled => AggregateType::Transfer,
        }
    }

    /// The version of this type's payload that this build writes; it reads no other.
    pub const fn schema_version(self) -> u32 {
        1
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = UnknownEventType;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| UnknownEventType(text.to_owned()))
    }
}

impl AggregateType {
    /// The name on the wire (`stock`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Product => "product",
            Self::Store => "store",
            Self::Stock => "stock",
            Self::Reservation => "reservation",
            Self::Cart => "cart",
            Self::Transfer => "transfer",
        }
    }
}

impl fmt::Display for AggregateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_back_from_its_name() {
        for kind in EventType::ALL {
            assert_eq!(kind.as_str().parse::<EventType>(), Ok(kind));
            assert!(
                kind.as_str().starts_with(kind.aggregate().as_str()),
                "{kind} is named after its aggregate"
            );
        }
    }

    #[test]
    fn an_unknown_name_is_refused_not_guessed() {
        assert_eq!(
            "reservation.postponed".parse::<EventType>(),
            Err(UnknownEventType("reservation.postponed".into()))
        );
        assert!("Stock.Updated".parse::<EventType>().is_err());
    }
}
