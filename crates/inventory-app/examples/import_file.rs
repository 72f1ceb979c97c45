//! Prepares the bulk import benchmark (BENCHMARKS.md, "Bulk import"): creates `PRODUCTS`
//! products in the SQLite database `DB` (skipping those that exist) and writes a CSV of
//! `ROWS` stock rows over them and the chain's four stores, for `inventory import` to read.
//!
//! ```text
//! cargo run --release -p inventory-app --example import_file -- DB ROWS PRODUCTS OUT.csv
//! ```
//!
//! Row `i` names pair `i` in turn (product, then store); every fourth row is a count (a
//! set), the others restock 1 to 3 units, so rows of one pair add up within the file.

use std::io::Write;

use anyhow::Context;
use inventory::{
    Inventory, InventoryError, Price, ProductDetails, ProductName, RequestContext, Sku,
};

const STORES: [&str; 4] = ["MAD-001", "BCN-001", "VAL-001", "SEV-001"];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, rows, products, out] = args.as_slice() else {
        anyhow::bail!("usage: import_file DB ROWS PRODUCTS OUT.csv");
    };
    let rows: usize = rows.parse().context("ROWS")?;
    let products: usize = products.parse().context("PRODUCTS")?;
    let inventory = Inventory::open(db).with_context(|| format!("cannot open {db}"))?;
    let context = RequestContext::default();
    for n in 0..products {
        let details = ProductDetails {
            sku: Sku::parse(&sku(n))?,
            name: ProductName::parse(&format!("Bench product {n}"))?,
            description: None,
            category: None,
            price: Price::from_cents(999)?,
        };
        match inventory.products().create(details, &context) {
            Ok(_) | Err(InventoryError::DuplicateSku(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    inventory.close();
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    writeln!(file, "sku,store_id,quantity,quantity_change,reason")?;
    for i in 0..rows {
        let (product, store) = (i % products, STORES[(i / products) % STORES.len()]);
        if i % 4 == 0 {
            writeln!(file, "{},{store},{},,", sku(product), 100 + i % 50)?;
        } else {
            writeln!(file, "{},{store},,{},RESTOCK", sku(product), i % 3 + 1)?;
        }
    }
    file.flush()?;
    println!("{products} products in {db}; {rows} rows in {out}");
    Ok(())
}

fn sku(n: usize) -> String {
    format!("BENCH-{n:06}")
}
