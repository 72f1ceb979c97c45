//! The benchmark's data, written with the library before the server starts.

use anyhow::Context;
use inventory::{
    AdjustStock, AdjustmentReason, ChangedBy, ImportFormat, ImportMode, ImportReport, ImportSource,
    Inventory, Listing, Page, Price, ProductDetails, ProductImport, ProductName, RequestContext,
    Sku, StockDelta, StockImport, StorageConfig, StoreDetails, StoreId, StoreName, UserId,
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
    expiry_store(&inventory, &ctx)?;

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

/// Writes the seeded database file's pages to disk before anything is measured. Seeding runs
/// with `synchronous=OFF`, so what it wrote (hundreds of MiB at 100 000 products) is still
/// dirty in the page cache when the server starts; the kernel writing it back during the
/// first scenarios made every fsync, and so every tail, wait behind it.
///
/// # Errors
/// When the file cannot be opened or synced.
pub fn flush(db: &std::path::Path) -> anyhow::Result<()> {
    std::fs::File::open(db)?.sync_all()?;
    Ok(())
}

/// Product ids the scale mode uses.
pub struct BulkSeeded {
    /// Ten million units in MAD-001.
    pub hot: String,
    /// The products stocked in the four stores, `pairs / 4` of them, in SKU order.
    pub products: Vec<String>,
    /// A million units in [`expiry_lag::STORE`].
    pub expiring: String,
}

/// Seeds a new database with `pairs` (product, store) pairs (`pairs / 4` products, 100 000
/// units in each of the four stores), a hot product and an expiry product, through the
/// library's bulk imports: one product import, then one stock import, each all or nothing in
/// one change. [`seed`] makes one change per pair, far too slow for a million pairs.
///
/// # Errors
/// When the library refuses a change or an import refuses a row.
pub fn bulk(storage: StorageConfig, pairs: u64) -> anyhow::Result<BulkSeeded> {
    use std::fmt::Write as _;

    let inventory = Inventory::builder(storage).open()?;
    let ctx = RequestContext::with_request_id("bench-seed");
    expiry_store(&inventory, &ctx)?;
    let products = pairs / STORES.len() as u64;
    let begun = std::time::Instant::now();
    let sku = |n: u64| format!("SCALE-{n:07}");

    let mut rows = String::from("sku,name,price\n");
    for n in 0..products {
        writeln!(rows, "{},Scale {n},9.99", sku(n))?;
    }
    rows.push_str("SCALE-HOT,Scale hot,9.99\nSCALE-EXPIRY,Scale expiry,9.99\n");
    let report = inventory.product_imports().import(
        ImportSource::from_bytes(ImportFormat::Csv, rows.into_bytes()).open,
        ProductImport {
            format: ImportFormat::Csv,
            mode: ImportMode::AllOrNothing,
            dry_run: false,
            listing: Listing::failures(5),
        },
        &ctx,
    )?;
    ensure_applied("product", &report, products + 2)?;
    let imported_products = begun.elapsed();

    let mut rows = String::from("sku,store_id,quantity\n");
    for n in 0..products {
        for store in STORES {
            writeln!(rows, "{},{store},100000", sku(n))?;
        }
    }
    writeln!(rows, "SCALE-HOT,MAD-001,10000000")?;
    writeln!(rows, "SCALE-EXPIRY,{},1000000", expiry_lag::STORE)?;
    let report = inventory.imports().import(
        ImportSource::from_bytes(ImportFormat::Csv, rows.into_bytes()),
        StockImport {
            mode: ImportMode::AllOrNothing,
            dry_run: false,
            by: ChangedBy {
                user_id: Some(UserId::parse("bench-seed")?),
                on_behalf_of: None,
            },
            only_store: None,
            listing: Listing::failures(5),
        },
        &ctx,
    )?;
    ensure_applied("stock", &report, products * STORES.len() as u64 + 2)?;
    let imported_stock = begun.elapsed();

    // The ids, a page at a time in SKU order (zero-padded, so in number order too).
    let mut ids = Vec::with_capacity(products as usize);
    let (mut hot, mut expiring) = (None, None);
    let limit = i64::from(Page::MAX_LIMIT);
    let mut offset = 0;
    loop {
        let page = inventory
            .products()
            .list(None, None, Page::new(Some(limit), Some(offset))?)?;
        if page.data.is_empty() {
            break;
        }
        offset += page.data.len() as i64;
        for product in page.data {
            match product.details.sku.as_str() {
                "SCALE-HOT" => hot = Some(product.id.to_string()),
                "SCALE-EXPIRY" => expiring = Some(product.id.to_string()),
                sku if sku.starts_with("SCALE-") => ids.push(product.id.to_string()),
                _ => {}
            }
        }
    }
    inventory.close();
    eprintln!(
        "  seeded {pairs} pairs: products imported in {:.1} s, stock in {:.1} s, ids listed in {:.1} s",
        imported_products.as_secs_f64(),
        (imported_stock - imported_products).as_secs_f64(),
        (begun.elapsed() - imported_stock).as_secs_f64()
    );
    anyhow::ensure!(
        ids.len() as u64 == products,
        "listed {} of the {products} products imported",
        ids.len()
    );
    Ok(BulkSeeded {
        hot: hot.context("SCALE-HOT was not listed")?,
        products: ids,
        expiring: expiring.context("SCALE-EXPIRY was not listed")?,
    })
}

/// Creates [`expiry_lag::STORE`], a copy of MAD-001 under another name, so the expiry
/// scenarios' pending list is theirs alone.
fn expiry_store(inventory: &Inventory, ctx: &RequestContext) -> anyhow::Result<()> {
    let mut details = inventory.stores().get(&StoreId::parse("MAD-001")?)?.details;
    details.name = StoreName::parse("Expiry benchmark store")?;
    inventory.stores().create(
        StoreId::parse(expiry_lag::STORE)?,
        StoreDetails {
            active: true,
            ..details
        },
        ctx,
    )?;
    Ok(())
}

/// Fails unless an import applied all of its `rows` rows.
fn ensure_applied(what: &str, report: &ImportReport, rows: u64) -> anyhow::Result<()> {
    if report.applied != rows || report.invalid > 0 {
        let first = report.results.first().map(|result| {
            format!(
                "line {}: {} {}",
                result.line,
                result.code.as_deref().unwrap_or_default(),
                result.message.as_deref().unwrap_or_default()
            )
        });
        anyhow::bail!(
            "the {what} import applied {} of {rows} rows ({} refused; {})",
            report.applied,
            report.invalid,
            first.unwrap_or_else(|| "no row listed".into())
        );
    }
    Ok(())
}
