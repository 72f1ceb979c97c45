//! The benchmark's data, written with the library before the server starts.

use std::path::Path;

use inventory::{
    AdjustStock, AdjustmentReason, Inventory, Price, ProductDetails, ProductName, RequestContext,
    Sku, SqliteConfig, StockDelta, StoreDetails, StoreId, StoreName, Synchronous,
};

use crate::scenarios::{STORES, expiry_lag};

/// Product ids the scenarios use.
pub struct Seeded {
    /// Ten million units in MAD-001.
    pub hot: String,
    /// 1 000 products, 100 000 units in each store.
    pub products: Vec<String>,
    /// Units in the expiry scenario's store.
    pub expiring: String,
    /// Restocked by the event-latency writer.
    pub paced: String,
}

/// Seeds a new database at `path`.
///
/// # Errors
/// When the library refuses a change.
pub fn seed(path: &Path, products: usize) -> anyhow::Result<Seeded> {
    let mut config = SqliteConfig::file(path);
    config.synchronous = Synchronous::Off;
    let inventory = Inventory::builder(config).open()?;
    let ctx = RequestContext::with_request_id("bench-seed");
    let store = StoreId::parse(expiry_lag::STORE)?;
    let mut details = inventory.stores().get(&StoreId::parse("MAD-001")?)?.details;
    details.name = StoreName::parse("Expiry benchmark store")?;
    inventory.stores().create(
        store,
        StoreDetails {
            active: true,
            ..details
        },
        &ctx,
    )?;

    let create = |sku: &str| -> anyhow::Result<inventory::ProductId> {
        Ok(inventory
            .products()
            .create(
                ProductDetails {
                    sku: Sku::parse(sku)?,
                    name: ProductName::parse(&format!("Benchmark {sku}"))?,
                    description: None,
                    category: None,
                    price: Price::parse("9.99")?,
                },
                &ctx,
            )?
            .id)
    };
    let stock = |product: inventory::ProductId, store: &str, units: i64| -> anyhow::Result<()> {
        inventory.stock().adjust(
            AdjustStock {
                product_id: product,
                store_id: StoreId::parse(store)?,
                delta: StockDelta::new(units)?,
                reason: AdjustmentReason::Restock,
                user_id: None,
            },
            &ctx,
        )?;
        Ok(())
    };

    let hot = create("BENCH-HOT")?;
    for _ in 0..10 {
        stock(hot, "MAD-001", 1_000_000)?;
    }
    let mut ids = Vec::with_capacity(products);
    for n in 0..products {
        let product = create(&format!("BENCH-{n:04}"))?;
        for store in STORES {
            stock(product, store, 100_000)?;
        }
        ids.push(product.to_string());
    }
    let expiring = create("BENCH-EXPIRY")?;
    stock(expiring, expiry_lag::STORE, 100_000)?;
    let paced = create("BENCH-PACED")?;
    stock(paced, "MAD-001", 1)?;
    inventory.close();
    Ok(Seeded {
        hot: hot.to_string(),
        products: ids,
        expiring: expiring.to_string(),
        paced: paced.to_string(),
    })
}
