//! Another service consuming the inventory's events: joins a consumer group, handles each
//! event once (de-duplicated by seq), acknowledges it, and takes over entries a dead member
//! left behind.
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379 cargo run -p inventory-adapter-redis --example consume
//! ```
//!
//! Run the server with the same `REDIS_URL` and change some stock to see events arrive.

use std::time::Duration;

use inventory_adapter_redis::{Deduplicator, EventConsumer, StartAt};
use inventory_events::EventPayload;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let stream =
        std::env::var("INVENTORY_REDIS_STREAM").unwrap_or_else(|_| "inventory:events".into());
    let consumer_name = format!("example-{}", std::process::id());
    let mut consumer = EventConsumer::join(
        &url,
        &stream,
        "stock-watchers",
        &consumer_name,
        StartAt::AfterSeq(0),
        Duration::from_secs(2),
    )
    .await?;
    println!("{consumer_name} reads {stream} on {url} in group stock-watchers (Ctrl-C to stop)");
    let mut seen = Deduplicator::new(100_000);
    loop {
        // Entries a crashed member received but never acknowledged come back after a minute.
        let mut deliveries = consumer.claim_stuck(Duration::from_secs(60), 100).await?;
        deliveries.extend(tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            polled = consumer.poll(100) => polled?,
        });
        let mut handled = Vec::new();
        for delivery in deliveries {
            match &delivery.event {
                Ok(event) if seen.first_time(event.seq) => match event.decode() {
                    Ok((_, EventPayload::Stock(body))) => {
                        print_stock(event.seq, &event.event_type, &body.stock)
                    }
                    Ok((_, EventPayload::Reservation(body))) => {
                        print_stock(event.seq, &event.event_type, &body.stock)
                    }
                    Ok((_, EventPayload::LowStock(body))) => {
                        print_stock(event.seq, &event.event_type, &body.stock)
                    }
                    Ok((_, EventPayload::Product(body))) => {
                        let product = body.product;
                        println!(
                            "#{:<5} {:<22} {} {}",
                            event.seq, event.event_type, product.sku, product.name
                        );
                    }
                    Ok((_, EventPayload::Store(body))) => {
                        println!(
                            "#{:<5} {:<22} {}",
                            event.seq, event.event_type, body.store.id
                        )
                    }
                    Ok((_, EventPayload::Cart(body))) => {
                        println!(
                            "#{:<5} {:<22} {} ({} lines)",
                            event.seq,
                            event.event_type,
                            body.cart.id,
                            body.cart.lines.len()
                        )
                    }
                    Ok((_, EventPayload::Transfer(body))) => {
                        let transfer = body.transfer;
                        println!(
                            "#{:<5} {:<22} {} units {} -> {}",
                            event.seq,
                            event.event_type,
                            transfer.quantity,
                            transfer.from_store_id,
                            transfer.to_store_id
                        )
                    }
                    // A type or version this build does not know: skip it, never guess.
                    Err(error) => eprintln!("#{} skipped: {error}", event.seq),
                },
                Ok(event) => println!("#{} again (a re-delivery), skipped", event.seq),
                Err(error) => eprintln!("not an event: {error}"),
            }
            handled.push(delivery.entry_id);
        }
        consumer.ack(&handled).await?;
    }
}

fn print_stock(seq: u64, event_type: &str, stock: &inventory_events::StockState) {
    println!(
        "#{seq:<5} {event_type:<22} {} in {}: {} available ({} of {} reserved)",
        stock.product_id, stock.store_id, stock.available, stock.reserved, stock.quantity
    );
}
