//! Availability across the chain: every active store, with zeros where there is no stock;
//! an inactive store left out unless asked for by code.

use inventory_domain::StoreDetails;
use inventory_testkit::fixtures::{adjust_command, reserve_command, store_id};

use crate::support::{ctx, fresh, stocked};

#[test]
fn every_active_store_is_listed_with_zeros_where_there_is_no_stock() {
    let (use_cases, _, _) = fresh();
    let product = stocked(&use_cases, "AV-1", 10);
    use_cases
        .stock
        .adjust(adjust_command(product, "BCN-001", 15), &ctx())
        .expect("restock");
    use_cases
        .reservations
        .reserve(reserve_command(product, "BCN-001", "cust-1", 2, 60), &ctx())
        .expect("reserve");
    let valencia = use_cases.stores.get(&store_id("VAL-001")).expect("seeded");
    use_cases
        .stores
        .update(
            store_id("VAL-001"),
            StoreDetails {
                active: false,
                ..valencia.details
            },
            &ctx(),
        )
        .expect("close Valencia");
    let availability = use_cases
        .availability
        .of_product(product, None)
        .expect("availability");
    let rows: Vec<(&str, u32, u32, u32)> = availability
        .stores
        .iter()
        .map(|s| (s.store_id.as_str(), s.quantity, s.reserved, s.available))
        .collect();
    assert_eq!(
        rows,
        [
            ("BCN-001", 15, 2, 13),
            ("MAD-001", 10, 0, 10),
            ("SEV-001", 0, 0, 0)
        ],
        "active stores by code, zeros for Sevilla, Valencia left out"
    );
    assert_eq!(availability.total_available, 23);
    assert_eq!(availability.product_name.as_str(), "Product AV-1");
    let closed = use_cases
        .availability
        .of_product(product, Some(store_id("VAL-001")))
        .expect("one store");
    assert_eq!(
        closed.stores.len(),
        1,
        "a store asked for by code is listed even if inactive"
    );
    assert_eq!(closed.total_available, 0);
}
