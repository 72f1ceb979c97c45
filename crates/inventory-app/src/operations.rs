//! `inventory transfer|cart|reservation ...`: the operations an operator runs from a shell,
//! through the same library calls as the HTTP API (`Inventory::transfers`, `carts`,
//! `reservations`), on the configured database. Each prints one line per result.

use anyhow::Context;
use inventory::{
    CartId, CartLine, ChangedBy, CustomerId, Inventory, Page, PlaceCart, Quantity, RequestContext,
    ReservationId, ReservationTtl, SendTransfer, Sku, StoreId, TransferFilter, TransferId,
    TransferMode, UserId,
};

use crate::settings::{CartCommand, ReservationCommand, TransferCommand};

/// Runs `inventory transfer ...`.
///
/// # Errors
/// A refused or failed operation, with the service's message.
pub fn transfer(inventory: &Inventory, command: TransferCommand) -> anyhow::Result<()> {
    let ctx = RequestContext::with_request_id("cli");
    let transfer = match command {
        TransferCommand::Send {
            sku,
            from,
            to,
            quantity,
            shipped,
            by,
        } => {
            let product = inventory.products().get_by_sku(&Sku::parse(&sku)?)?;
            inventory.transfers().send(
                SendTransfer {
                    product_id: product.id,
                    from_store: StoreId::parse(&from)?,
                    to_store: StoreId::parse(&to)?,
                    quantity: Quantity::new(quantity)?,
                    mode: if shipped {
                        TransferMode::Shipped
                    } else {
                        TransferMode::Immediate
                    },
                    by: changed_by(&by)?,
                },
                &ctx,
            )?
        }
        TransferCommand::Receive { id, by } => {
            inventory
                .transfers()
                .receive(TransferId::parse(&id)?, changed_by(&by)?, &ctx)?
        }
        TransferCommand::Cancel { id, by } => {
            inventory
                .transfers()
                .cancel(TransferId::parse(&id)?, changed_by(&by)?, &ctx)?
        }
        TransferCommand::List { store } => {
            let filter = TransferFilter {
                store_id: store.as_deref().map(StoreId::parse).transpose()?,
                ..TransferFilter::default()
            };
            let page = Page::new(Some(Page::MAX_LIMIT.into()), None)?;
            for transfer in inventory.transfers().list(filter, page)?.data {
                print_transfer(&transfer);
            }
            return Ok(());
        }
    };
    print_transfer(&transfer);
    Ok(())
}

/// Runs `inventory cart ...`.
///
/// # Errors
/// A refused or failed operation, with the service's message.
pub fn cart(inventory: &Inventory, command: CartCommand) -> anyhow::Result<()> {
    let ctx = RequestContext::with_request_id("cli");
    let cart = match command {
        CartCommand::Place {
            customer,
            lines,
            ttl,
        } => {
            let lines = lines
                .iter()
                .map(|line| cart_line(inventory, line))
                .collect::<anyhow::Result<Vec<_>>>()?;
            inventory.carts().place(
                PlaceCart {
                    customer_id: CustomerId::parse(&customer)?,
                    lines,
                    ttl: ReservationTtl::from_seconds(ttl)?,
                    limits: None,
                },
                &ctx,
            )?
        }
        CartCommand::Confirm { id, lines } => {
            let chosen = if lines.is_empty() {
                None
            } else {
                Some(
                    lines
                        .iter()
                        .map(|line| ReservationId::parse(line))
                        .collect::<Result<Vec<_>, _>>()?,
                )
            };
            inventory
                .carts()
                .confirm(CartId::parse(&id)?, chosen, &ctx)?
        }
        CartCommand::Cancel { id } => inventory.carts().cancel(CartId::parse(&id)?, &ctx)?,
        CartCommand::Show { id } => inventory.carts().get(CartId::parse(&id)?)?,
    };
    println!(
        "cart {} {} for {}, expires {}",
        cart.id(),
        cart.status(),
        cart.customer_id(),
        cart.expires_at()
    );
    for line in cart.lines() {
        println!(
            "  line {} {} x{} in {} {}",
            line.id(),
            line.product_id(),
            line.quantity(),
            line.store_id(),
            line.status()
        );
    }
    Ok(())
}

/// Runs `inventory reservation ...`.
///
/// # Errors
/// A refused or failed operation, with the service's message.
pub fn reservation(inventory: &Inventory, command: ReservationCommand) -> anyhow::Result<()> {
    let ctx = RequestContext::with_request_id("cli");
    let ReservationCommand::Extend { id, ttl } = command;
    let reservation = inventory.reservations().extend(
        ReservationId::parse(&id)?,
        ReservationTtl::from_seconds(ttl)?,
        None,
        &ctx,
    )?;
    println!(
        "reservation {} {} until {}",
        reservation.id(),
        reservation.status(),
        reservation.expires_at()
    );
    Ok(())
}

/// `SKU@STORE=QUANTITY`.
fn cart_line(inventory: &Inventory, text: &str) -> anyhow::Result<CartLine> {
    let (sku, rest) = text
        .split_once('@')
        .with_context(|| format!("{text:?} is not SKU@STORE=QUANTITY"))?;
    let (store, quantity) = rest
        .split_once('=')
        .with_context(|| format!("{text:?} is not SKU@STORE=QUANTITY"))?;
    let quantity: i64 = quantity
        .parse()
        .with_context(|| format!("{quantity:?} is not a whole number of units"))?;
    Ok(CartLine {
        product_id: inventory.products().get_by_sku(&Sku::parse(sku)?)?.id,
        store_id: StoreId::parse(store)?,
        quantity: Quantity::new(quantity)?,
    })
}

fn changed_by(by: &str) -> anyhow::Result<ChangedBy> {
    Ok(ChangedBy {
        user_id: Some(UserId::parse(by)?),
        on_behalf_of: None,
    })
}

fn print_transfer(transfer: &inventory::Transfer) {
    println!(
        "transfer {} {} {} x{} {} -> {} {}",
        transfer.id(),
        transfer.mode(),
        transfer.product_id(),
        transfer.quantity(),
        transfer.from_store(),
        transfer.to_store(),
        transfer.status()
    );
}
