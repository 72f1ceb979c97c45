//! `inventory seed-demo`: a small catalogue stocked across the four stores, to try the API.

use inventory::{
    AdjustStock, AdjustmentReason, Category, Description, Inventory, InventoryError, Price,
    ProductDetails, ProductName, RequestContext, Sku, StockDelta, StoreId, UserId,
};

/// (SKU, name, category, price, units in MAD-001, BCN-001, VAL-001, SEV-001).
const CATALOGUE: [(&str, &str, &str, &str, [i64; 4]); 8] = [
    (
        "HP-PAV-15",
        "Laptop HP Pavilion 15",
        "electronics",
        "899.99",
        [10, 15, 5, 20],
    ),
    (
        "IPH-15-128",
        "iPhone 15 128 GB",
        "electronics",
        "959.00",
        [8, 12, 4, 6],
    ),
    (
        "SAM-TV-55",
        "Samsung TV 55\" QLED",
        "electronics",
        "749.00",
        [3, 5, 2, 4],
    ),
    (
        "SONY-WH1000",
        "Sony WH-1000XM5 headphones",
        "audio",
        "379.90",
        [20, 25, 10, 12],
    ),
    (
        "NIKE-AIR-42",
        "Nike Air Max, size 42",
        "footwear",
        "139.99",
        [30, 18, 22, 15],
    ),
    (
        "LEGO-TECH-01",
        "LEGO Technic supercar",
        "toys",
        "449.99",
        [2, 3, 1, 0],
    ),
    (
        "DELONGHI-MAG",
        "De'Longhi Magnifica coffee machine",
        "home",
        "399.00",
        [6, 4, 7, 5],
    ),
    (
        "KINDLE-PW",
        "Kindle Paperwhite",
        "electronics",
        "169.99",
        [14, 9, 11, 8],
    ),
];

const STORES: [&str; 4] = ["MAD-001", "BCN-001", "VAL-001", "SEV-001"];

/// Adds the demo catalogue; returns how many products it created (existing SKUs are skipped).
///
/// # Errors
/// When the database refuses a change.
pub fn seed(inventory: &Inventory) -> Result<usize, InventoryError> {
    let context = RequestContext::with_request_id("seed-demo");
    let mut created = 0;
    for (sku, name, category, price, units) in CATALOGUE {
        let sku = Sku::parse(sku)?;
        match inventory.products().get_by_sku(&sku) {
            Ok(_) => continue,
            Err(InventoryError::SkuNotFound(_)) => {}
            Err(other) => return Err(other),
        }
        let product = inventory.products().create(
            ProductDetails {
                sku,
                name: ProductName::parse(name)?,
                description: Description::parse_optional(Some("Demo product"))?,
                category: Some(Category::parse(category)?),
                price: Price::parse(price)?,
            },
            &context,
        )?;
        for (store, units) in STORES.iter().zip(units).filter(|(_, units)| *units > 0) {
            inventory.stock().adjust(
                AdjustStock {
                    product_id: product.id,
                    store_id: StoreId::parse(store)?,
                    delta: StockDelta::new(units)?,
                    reason: AdjustmentReason::Restock,
                    user_id: Some(UserId::parse("seed-demo")?),
                    on_behalf_of: None,
                },
                &context,
            )?;
        }
        created += 1;
    }
    Ok(created)
}
