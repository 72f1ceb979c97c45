//! The domain events: what changed, as the rule methods report it.
//!
//! Every state change returns its event, and the use case stores the event in the same
//! transaction as the change (the outbox), so no change goes unannounced and no event
//! announces a change that was rolled back. Each event carries the state after the change,
//! which is what storage writes. How an event is named and encoded on the wire belongs to
//! the `inventory-events` crate, not to the rules.

use crate::{
    Cart, LowStockAlert, Product, ProductId, Reservation, Stock, StockChange, Store, StoreId,
    Transfer,
};

/// Something that happened to the inventory.
///
/// Reservation events carry the stock after the change, so a consumer learns the new
/// availability from any event without asking the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainEvent {
    /// `product.created`
    ProductCreated(Product),
    /// `product.updated`
    ProductUpdated(Product),
    /// `product.deleted`: the product as it was.
    ProductDeleted(Product),
    /// `store.created`
    StoreCreated(Store),
    /// `store.updated`
    StoreUpdated(Store),
    /// `stock.created`: a product got stock in a store for the first time.
    StockCreated {
        /// The stock after the change.
        stock: Stock,
        /// What moved it.
        change: StockChange,
    },
    /// `stock.updated`: a delta or a count.
    StockUpdated {
        /// The stock after the change.
        stock: Stock,
        /// What moved it.
        change: StockChange,
    },
    /// `stock.low`: the units available fell to the pair's low-stock threshold or below.
    StockLow(LowStockAlert),
    /// `stock.replenished`: the units available rose above the threshold again (or the
    /// threshold no longer applies).
    StockReplenished(LowStockAlert),
    /// `reservation.created`
    ReservationCreated {
        /// The new reservation.
        reservation: Reservation,
        /// The stock after holding the units.
        stock: Stock,
    },
    /// `reservation.confirmed`
    ReservationConfirmed {
        /// The confirmed reservation.
        reservation: Reservation,
        /// The stock after the units left.
        stock: Stock,
    },
    /// `reservation.cancelled`
    ReservationCancelled {
        /// The cancelled reservation.
        reservation: Reservation,
        /// The stock after the units came back.
        stock: Stock,
    },
    /// `reservation.extended`: the hold lasts longer (the stock is unchanged).
    ReservationExtended {
        /// The reservation with its new `expires_at`.
        reservation: Reservation,
        /// Its stock, as it is.
        stock: Stock,
    },
    /// `reservation.expired`
    ReservationExpired {
        /// The expired reservation.
        reservation: Reservation,
        /// The stock after the units came back.
        stock: Stock,
    },
    /// `cart.created`: every line reserved (each line's `reservation.created` comes first).
    CartCreated(Cart),
    /// `cart.confirmed`: the chosen lines sold, the rest cancelled (each line's event first).
    CartConfirmed(Cart),
    /// `cart.cancelled`: every line's units back (each line's event first).
    CartCancelled(Cart),
    /// `cart.expired`: every line's units back (each line's event first).
    CartExpired(Cart),
    /// `transfer.completed`: an immediate transfer (the two stores' `stock.*` events first).
    TransferCompleted(Transfer),
    /// `transfer.shipped`: units left the source (its `stock.updated` first).
    TransferShipped(Transfer),
    /// `transfer.received`: units reached the destination (its `stock.*` event first).
    TransferReceived(Transfer),
    /// `transfer.cancelled`: units went back to the source (its `stock.updated` first).
    TransferCancelled(Transfer),
}

impl DomainEvent {
    /// The store concerned, when there is one (product events concern every store; a
    /// cart may span stores, and each store learns of its lines from their own events).
    pub fn store_id(&self) -> Option<&StoreId> {
        match self {
            Self::ProductCreated(_) | Self::ProductUpdated(_) | Self::ProductDeleted(_) => None,
            Self::CartCreated(_)
            | Self::CartConfirmed(_)
            | Self::CartCancelled(_)
            | Self::CartExpired(_) => None,
            // Between two stores: each follows its own stock events.
            Self::TransferCompleted(_)
            | Self::TransferShipped(_)
            | Self::TransferReceived(_)
            | Self::TransferCancelled(_) => None,
            Self::StoreCreated(store) | Self::StoreUpdated(store) => Some(&store.id),
            _ => self.stock().map(Stock::store_id),
        }
    }

    /// The product concerned, when there is one.
    pub fn product_id(&self) -> Option<ProductId> {
        match self {
            Self::ProductCreated(product)
            | Self::ProductUpdated(product)
            | Self::ProductDeleted(product) => Some(product.id),
            Self::StoreCreated(_) | Self::StoreUpdated(_) => None,
            _ => self
                .stock()
                .map(Stock::product_id)
                .or_else(|| self.transfer().map(Transfer::product_id)),
        }
    }

    /// The stock after the change, for events that moved stock (availability changes).
    pub fn stock(&self) -> Option<&Stock> {
        match self {
            Self::StockCreated { stock, .. }
            | Self::StockUpdated { stock, .. }
            | Self::ReservationCreated { stock, .. }
            | Self::ReservationConfirmed { stock, .. }
            | Self::ReservationCancelled { stock, .. }
            | Self::ReservationExtended { stock, .. }
            | Self::ReservationExpired { stock, .. } => Some(stock),
            Self::StockLow(alert) | Self::StockReplenished(alert) => Some(&alert.stock),
            _ => None,
        }
    }

    /// The reservation concerned, for reservation events.
    pub fn reservation(&self) -> Option<&Reservation> {
        match self {
            Self::ReservationCreated { reservation, .. }
            | Self::ReservationConfirmed { reservation, .. }
            | Self::ReservationCancelled { reservation, .. }
            | Self::ReservationExtended { reservation, .. }
            | Self::ReservationExpired { reservation, .. } => Some(reservation),
            _ => None,
        }
    }

    /// The transfer concerned, for transfer events.
    pub fn transfer(&self) -> Option<&Transfer> {
        match self {
            Self::TransferCompleted(transfer)
            | Self::TransferShipped(transfer)
            | Self::TransferReceived(transfer)
            | Self::TransferCancelled(transfer) => Some(transfer),
            _ => None,
        }
    }

    /// The cart concerned, for cart events.
    pub fn cart(&self) -> Option<&Cart> {
        match self {
            Self::CartCreated(cart)
            | Self::CartConfirmed(cart)
            | Self::CartCancelled(cart)
            | Self::CartExpired(cart) => Some(cart),
            _ => None,
        }
    }
}
