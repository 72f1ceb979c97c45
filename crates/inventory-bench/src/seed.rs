//! The benchmark's data, written with the library before the server starts.

use inventory::{
    AdjustStock, AdjustmentReason, Inventory, Price, ProductDetails, ProductName, RequestContext,
    Sku, StockDelta, StorageConfig, StoreDetails, StoreId, StoreName,
};

use crate::scenarios::{STORES, expiry_lag};

/// Product ids the scenarios use.
pub struct Seeded {
    /// Ten million units in MAD-001.
    pub hot: String,
    /// Three products with two million units in MAD-001 and in BCN-001 (the cart scenario).
    pub cart_hot: Vec<String>,
    /// 1 000 products, 100 000 units in each store.
    pub products: Vec<String>,
    /// Units in the expiry scenario's store.
    pub expiring: String,
    /// Restocked by the event-latency writer.
    pub paced: String,
}

/// Seeds a new database.
///
/// # Errors
/// When the library refuses a change.
pub fn seed(storage: StorageConfig, products: usize) -> anyhow::Result<Seeded> {
    let inventory = Inventory::builder(storage).open()?;
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
                on_behalf_of: None,
            },
            &ctx,
        )?;
        Ok(())
    };

    let hot = create("BENCH-HOT")?;
    for _ in 0..10 {
        stock(hot, "MAD-001", 1_000_000)?;
    }
    let mut cart_hot = Vec::new();
    for n in 1..=3 {
        let product = create(&format!("BENCH-CART-{n}"))?;
        for store in ["MAD-001", "BCN-001"] {
            for _ in 0..2 {
                stock(product, store, 1_000_000)?;
            }
        }
        cart_hot.push(product.to_string());
    }
    // Eight writers at once: the store commits their changes in groups.
    let chunks: Vec<Vec<usize>> = (0..8)
        .map(|worker| (worker..products).step_by(8).collect())
        .collect();
    let mut numbered: Vec<(usize, String)> = std::thread::scope(|scope| {
        let workers: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                let (create, stock) = (&create, &stock);
                scope.spawn(move || -> anyhow::Result<Vec<(usize, String)>> {
                    let mut made = Vec::with_capacity(chunk.len());
                    for &n in chunk {
                        let product = create(&format!("BENCH-{n:04}"))?;
                        for store in STORES {
                            stock(product, store, 100_000)?;
                        }
                        made.push((n, product.to_string()));
                    }
                    Ok(made)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(products);
        for worker in workers {
            all.extend(worker.join().expect("a seeding thread")?);
        }
        anyhow::Ok(all)
    })?;
    numbered.sort();
    let ids: Vec<String> = numbered.into_iter().map(|(_, id)| id).collect();
    let expiring = create("BENCH-EXPIRY")?;
    stock(expiring, expiry_lag::STORE, 100_000)?;
    let paced = create("BENCH-PACED")?;
    stock(paced, "MAD-001", 1)?;
    inventory.close();
    Ok(Seeded {
        hot: hot.to_string(),
        cart_hot,
        products: ids,
        expiring: expiring.to_string(),
        paced: paced.to_string(),
    })
}
