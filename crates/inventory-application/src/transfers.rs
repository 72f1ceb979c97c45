//! Transfers: units of a product moved from one store to another, at once or shipped.

use inventory_domain::{
    ChangedBy, DomainEvent, MovementReference, ProductId, Quantity, ReferenceKind, StockError,
    StoreId, Transfer, TransferId, TransferMode, TransferRequest,
};
use inventory_ports::{InventoryError, Page, Paged, ReadTx, RequestContext, TransferFilter};
use time::OffsetDateTime;

use crate::Ports;
use crate::stock::require_pair;
use crate::unit_of_work::Change;

/// Send units of a product from one store to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendTransfer {
    /// The product.
    pub product_id: ProductId,
    /// Where the units leave from.
    pub from_store: StoreId,
    /// Where they go.
    pub to_store: StoreId,
    /// How many.
    pub quantity: Quantity,
    /// At once, or shipped (in transit until received).
    pub mode: TransferMode,
    /// Who sends them, for the audit trail of both stock changes.
    pub by: ChangedBy,
}

/// Sends, receives, cancels and finds transfers.
#[derive(Clone)]
pub struct Transfers {
    ports: Ports,
}

impl Transfers {
    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Sends units: the source's stock goes down now (`stock.updated`, TRANSFER_OUT); an
    /// immediate transfer raises the destination's in the same transaction
    /// (`stock.created`/`stock.updated`, TRANSFER_IN, then `transfer.completed`), a shipped one
    /// is in transit (`transfer.shipped`). Both stock rows are read, and locked, in store code
    /// order, so two transfers between the same stores in opposite directions never wait on
    /// each other in a cycle.
    ///
    /// # Errors
    /// - [`InventoryError::ProductNotFound`], [`InventoryError::StoreNotFound`];
    /// - [`InventoryError::Transfer`] with `SameStore` when both ends are one store;
    /// - [`InventoryError::Stock`] with [`StockError::InsufficientStock`] when fewer units are
    ///   available (not reserved) at the source: a transfer never leaves a store with
    ///   `reserved > quantity`; or [`StockError::AboveLimit`] at the destination.
    pub fn send(
        &self,
        command: SendTransfer,
        context: &RequestContext,
    ) -> Result<Transfer, InventoryError> {
        self.ports.change(context, move |change| {
            let command = command.clone();
            require_pair(change.read(), command.product_id, &command.from_store)?;
            if change.read().store(&command.to_store)?.is_none() {
                return Err(InventoryError::StoreNotFound(command.to_store.clone()));
            }
            let (source, destination) = read_in_order(
                change,
                command.product_id,
                &command.from_store,
                &command.to_store,
            )?;
            let mut source = source.ok_or(StockError::InsufficientStock {
                available: 0,
                requested: command.quantity.get(),
            })?;
            let request = TransferRequest {
                id: TransferId::from_uuid(change.new_id()),
                from_store: command.from_store,
                to_store: command.to_store,
                quantity: command.quantity,
                mode: command.mode,
                by: command.by,
            };
            let (transfer, _, events) =
                Transfer::send(request, &mut source, destination, change.now())?;
            change.refer_to(transfer_reference(transfer.id()));
            change.record_all(events)?;
            Ok(transfer)
        })
    }

    /// The destination receives a shipped transfer: its stock goes up
    /// (`stock.created`/`stock.updated`, TRANSFER_IN), then `transfer.received`.
    ///
    /// # Errors
    /// [`InventoryError::TransferNotFound`]; [`InventoryError::Transfer`] when it was received
    /// or cancelled already; [`InventoryError::Stock`] with [`StockError::AboveLimit`].
    pub fn receive(
        &self,
        id: TransferId,
        by: ChangedBy,
        context: &RequestContext,
    ) -> Result<Transfer, InventoryError> {
        self.move_on(id, context, move |transfer, tx, now| {
            let destination = tx.stock(transfer.product_id(), transfer.to_store())?;
            Ok(transfer.receive(destination, by.clone(), now)?.1)
        })
    }

    /// Calls a shipped transfer back: the units return to the source (`stock.updated`,
    /// TRANSFER_IN), then `transfer.cancelled`.
    ///
    /// # Errors
    /// [`InventoryError::TransferNotFound`]; [`InventoryError::Transfer`] when it was received
    /// or cancelled already.
    pub fn cancel(
        &self,
        id: TransferId,
        by: ChangedBy,
        context: &RequestContext,
    ) -> Result<Transfer, InventoryError> {
        self.move_on(id, context, move |transfer, tx, now| {
            let mut source = tx
                .stock(transfer.product_id(), transfer.from_store())?
                .ok_or_else(|| {
                    InventoryError::internal(format!("transfer {id} left a store with no stock"))
                })?;
            Ok(transfer.cancel(&mut source, by.clone(), now)?)
        })
    }

    /// Runs `step` on the transfer (read, and locked, first) and records its events.
    fn move_on(
        &self,
        id: TransferId,
        context: &RequestContext,
        step: impl Fn(
            &mut Transfer,
            &dyn ReadTx,
            OffsetDateTime,
        ) -> Result<Vec<DomainEvent>, InventoryError>
        + Send
        + Sync
        + 'static,
    ) -> Result<Transfer, InventoryError> {
        self.ports.change(context, move |change| {
            let mut transfer = change
                .read()
                .transfer(id)?
                .ok_or(InventoryError::TransferNotFound(id))?;
            let events = step(&mut transfer, change.read(), change.now())?;
            change.refer_to(transfer_reference(id));
            change.record_all(events)?;
            Ok(transfer)
        })
    }

    /// The transfer with this id.
    ///
    /// # Errors
    /// [`InventoryError::TransferNotFound`].
    pub fn get(&self, id: TransferId) -> Result<Transfer, InventoryError> {
        self.ports
            .query(move |tx| tx.transfer(id)?.ok_or(InventoryError::TransferNotFound(id)))
    }

    /// A page of transfers matching `filter`, newest first.
    ///
    /// # Errors
    /// Storage failures only.
    pub fn list(
        &self,
        filter: TransferFilter,
        page: Page,
    ) -> Result<Paged<Transfer>, InventoryError> {
        self.ports.query(move |tx| {
            let (transfers, total) = tx.list_transfers(&filter, page)?;
            Ok(Paged::new(transfers, total, page))
        })
    }
}

/// What a transfer's stock movements refer to.
fn transfer_reference(id: TransferId) -> MovementReference {
    MovementReference {
        kind: ReferenceKind::Transfer,
        id: id.as_uuid(),
    }
}

/// The stock of the product at both ends, read in store code order.
fn read_in_order(
    change: &Change<'_>,
    product: ProductId,
    from: &StoreId,
    to: &StoreId,
) -> Result<
    (
        Option<inventory_domain::Stock>,
        Option<inventory_domain::Stock>,
    ),
    InventoryError,
> {
    let read = change.read();
    if from <= to {
        let source = read.stock(product, from)?;
        Ok((source, read.stock(product, to)?))
    } else {
        let destination = read.stock(product, to)?;
        Ok((read.stock(product, from)?, destination))
    }
}
