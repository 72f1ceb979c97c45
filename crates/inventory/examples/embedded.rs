//! Embeds the inventory in a program, without HTTP: creates a product, restocks two stores,
//! reserves, confirms, cancels, places a cart of two lines and confirms one of them, ships
//! units from one store to another, and prints availability after each step.
//!
//! ```text
//! cargo run --example embedded                 # in memory
//! cargo run --example embedded -- my.db        # on a file (reopen it to see the state kept)
//! ```

use inventory::{
    AdjustStock, AdjustmentReason, CartLine, Category, ChangedBy, CustomerId, Description,
    Inventory, PlaceCart, Price, ProductDetails, ProductId, ProductName, Quantity, RequestContext,
    ReservationTtl, ReserveStock, SendTransfer, Sku, StockDelta, StoreId, TransferMode, UserId,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let inventory = match std::env::args().nth(1) {
        Some(path) => {
            println!("opening inventory file {path}");
            Inventory::open(path)?
        }
        None => {
            println!("opening an in-memory inventory");
            Inventory::in_memory()?
        }
    };
    let ctx = RequestContext::with_request_id("example-run");

    let sku = Sku::parse(&format!("HP-PAV-15-{}", std::process::id()))?;
    let laptop = inventory.products().create(
        ProductDetails {
            sku,
            name: ProductName::parse("Laptop HP Pavilion 15")?,
            description: Description::parse_optional(Some("15.6\", 16 GB RAM"))?,
            category: Some(Category::parse("electronics")?),
            price: Price::parse("899.99")?,
        },
        &ctx,
    )?;
    println!(
        "1. created product {} ({}) at {} EUR",
        laptop.details.name, laptop.details.sku, laptop.details.price
    );
    print_availability(&inventory, laptop.id)?;

    let madrid = StoreId::parse("MAD-001")?;
    let barcelona = StoreId::parse("BCN-001")?;
    for (store, units) in [(&madrid, 10), (&barcelona, 15)] {
        let changed = inventory.stock().adjust(
            AdjustStock {
                product_id: laptop.id,
                store_id: store.clone(),
                delta: StockDelta::new(units)?,
                reason: AdjustmentReason::Restock,
                user_id: Some(UserId::parse("vendor-789")?),
                on_behalf_of: None,
            },
            &ctx,
        )?;
        println!(
            "2. restocked {store} with {units} units (now {} units, version {})",
            changed.stock.quantity(),
            changed.stock.version()
        );
    }
    print_availability(&inventory, laptop.id)?;

    let reserve = |units| -> Result<_, Box<dyn std::error::Error>> {
        Ok(inventory.reservations().reserve(
            ReserveStock {
                product_id: laptop.id,
                store_id: barcelona.clone(),
                customer_id: CustomerId::parse("cust-456")?,
                quantity: Quantity::new(units)?,
                ttl: ReservationTtl::from_seconds(600)?,
                limits: None,
            },
            &ctx,
        )?)
    };
    let first = reserve(2)?;
    println!(
        "3. reserved {} units in {} for cust-456, expiring at {}",
        first.quantity(),
        first.store_id(),
        first
            .expires_at()
            .format(&time::format_description::well_known::Rfc3339)?
    );
    print_availability(&inventory, laptop.id)?;

    let confirmed = inventory.reservations().confirm(first.id(), &ctx)?;
    println!(
        "4. confirmed reservation {}: {}",
        confirmed.id(),
        confirmed.status()
    );
    print_availability(&inventory, laptop.id)?;

    let second = reserve(3)?;
    println!("5. reserved 3 more in {}", second.store_id());
    print_availability(&inventory, laptop.id)?;
    let cancelled = inventory.reservations().cancel(second.id(), &ctx)?;
    println!("6. cancelled them: {}", cancelled.status());
    print_availability(&inventory, laptop.id)?;

    match reserve(100) {
        Err(error) => println!("7. reserving 100 units is refused: {error}"),
        Ok(_) => println!("7. unexpectedly reserved 100 units"),
    }

    // An order of two lines, one per store: every line is reserved, or none.
    let line = |store: &StoreId, units| -> Result<_, Box<dyn std::error::Error>> {
        Ok(CartLine {
            product_id: laptop.id,
            store_id: store.clone(),
            quantity: Quantity::new(units)?,
        })
    };
    let order = |madrid_units, barcelona_units| -> Result<_, Box<dyn std::error::Error>> {
        Ok(PlaceCart {
            customer_id: CustomerId::parse("cust-456")?,
            lines: vec![
                line(&madrid, madrid_units)?,
                line(&barcelona, barcelona_units)?,
            ],
            ttl: ReservationTtl::from_seconds(600)?,
            limits: None,
        })
    };
    match inventory.carts().place(order(1, 50)?, &ctx) {
        Err(error) => println!("8. a cart asking 50 in Barcelona reserves nothing: {error}"),
        Ok(_) => println!("8. unexpectedly reserved 50 units"),
    }
    let cart = inventory.carts().place(order(1, 2)?, &ctx)?;
    println!(
        "9. placed cart {} with {} lines, each a reservation",
        cart.id(),
        cart.lines().len()
    );
    print_availability(&inventory, laptop.id)?;
    let madrid_line = cart
        .lines()
        .iter()
        .find(|l| l.store_id() == &madrid)
        .ok_or("a Madrid line")?
        .id();
    let confirmed = inventory
        .carts()
        .confirm(cart.id(), Some(vec![madrid_line]), &ctx)?;
    println!(
        "10. confirmed the Madrid line only; the Barcelona line was released: {}",
        confirmed
            .lines()
            .iter()
            .map(|l| format!("{} {}", l.store_id(), l.status()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    print_availability(&inventory, laptop.id)?;

    // Madrid ships three units to Barcelona: in transit until Barcelona receives them.
    let shipped = inventory.transfers().send(
        SendTransfer {
            product_id: laptop.id,
            from_store: madrid.clone(),
            to_store: barcelona.clone(),
            quantity: Quantity::new(3)?,
            mode: TransferMode::Shipped,
            by: ChangedBy {
                user_id: Some(UserId::parse("vendor-789")?),
                on_behalf_of: None,
            },
        },
        &ctx,
    )?;
    println!(
        "11. shipped {} units {} -> {}: {}",
        shipped.quantity(),
        shipped.from_store(),
        shipped.to_store(),
        shipped.status()
    );
    print_availability(&inventory, laptop.id)?;
    let received = inventory
        .transfers()
        .receive(shipped.id(), ChangedBy::default(), &ctx)?;
    println!("12. Barcelona received them: {}", received.status());
    print_availability(&inventory, laptop.id)?;

    let events = inventory.events().after(0, 100)?;
    println!("\nthe outbox now holds {} events:", events.len());
    for event in events {
        println!(
            "  #{:<3} {:<22} {}",
            event.seq, event.event_type, event.aggregate_id
        );
    }
    Ok(())
}

fn print_availability(
    inventory: &Inventory,
    product: ProductId,
) -> Result<(), Box<dyn std::error::Error>> {
    let availability = inventory.availability().of_product(product, None)?;
    println!(
        "   availability of {}: {} in total",
        availability.product_name, availability.total_available
    );
    for store in availability.stores {
        println!(
            "     {:<8} {:<27} quantity {:>3}  reserved {:>3}  available {:>3}  in transit {:>3}",
            store.store_id,
            store.store_name,
            store.quantity,
            store.reserved,
            store.available,
            store.in_transit
        );
    }
    Ok(())
}
