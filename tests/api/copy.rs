//! `inventory copy`: a SQLite inventory moved into PostgreSQL with its whole history, as a
//! chain that outgrew one host does it.

use inventory::{
    AdjustStock, AdjustmentReason, CustomerId, Inventory, PostgresConfig, Quantity, RequestContext,
    ReservationTtl, ReserveStock, StockDelta, StoreId,
};

use crate::binary::{inventory, run};
use crate::support::{TestSchema, database_url};

#[test]
fn copy_moves_a_sqlite_inventory_into_postgres_with_the_same_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shop.db");
    let (ok, _, stderr) = run(inventory().arg("seed-demo").env("INVENTORY_DB", &db));
    assert!(ok, "{stderr}");
    {
        // A history with every kind of change: reservations confirmed, cancelled and still
        // open, a count, a deleted product.
        let shop = Inventory::open(&db).expect("open");
        let ctx = RequestContext::default();
        let products = shop
            .products()
            .list(
                Default::default(),
                inventory::Page::new(Some(10), None).expect("page"),
            )
            .expect("list")
            .data;
        let madrid = StoreId::parse("MAD-001").expect("code");
        let mut reservations = Vec::new();
        for (n, product) in products.iter().take(4).enumerate() {
            let placed = shop
                .reservations()
                .reserve(
                    ReserveStock {
                        product_id: product.id,
                        store_id: madrid.clone(),
                        customer_id: CustomerId::parse(&format!("cust-{n}")).expect("id"),
                        quantity: Quantity::new(1).expect("one"),
                        ttl: ReservationTtl::default(),
                        limits: None,
                    },
                    &ctx,
                )
                .expect("reserve");
            reservations.push(placed.id());
        }
        shop.reservations()
            .confirm(reservations[0], &ctx)
            .expect("confirm");
        shop.reservations()
            .cancel(reservations[1], &ctx)
            .expect("cancel");
        shop.stock()
            .adjust(
                AdjustStock {
                    product_id: products[5].id,
                    store_id: madrid.clone(),
                    delta: StockDelta::new(-1).expect("delta"),
                    reason: AdjustmentReason::Sale,
                    user_id: None,
                    on_behalf_of: None,
                },
                &ctx,
            )
            .expect("sale");
        shop.products()
            .delete(products[6].id, &ctx)
            .expect("delete");
        shop.close();
    }

    let schema = TestSchema::new();
    let copy = |extra: &[&str]| {
        run(inventory()
            .arg("copy")
            .env("INVENTORY_DB", &db)
            .args(["--to", &database_url(), "--to-schema", &schema.0])
            .args(extra))
    };
    let (ok, stdout, stderr) = copy(&[]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("the copy matches the source"), "{stdout}");
    assert!(stdout.contains("2 pending"), "{stdout}");

    let source = Inventory::open(&db).expect("open the source");
    let copied = Inventory::builder(PostgresConfig::new(database_url()).in_schema(&schema.0))
        .open()
        .expect("open the copy");
    let log = |inventory: &Inventory| {
        inventory
            .events()
            .after(0, 1000)
            .expect("events")
            .into_iter()
            .map(|e| (e.seq, e.event_id, e.payload))
            .collect::<Vec<_>>()
    };
    let (original, moved) = (log(&source), log(&copied));
    assert!(original.len() > 40, "a real history: {}", original.len());
    assert_eq!(original, moved, "the same events, ids and seqs");

    let (ok, _, stderr) = copy(&[]);
    assert!(!ok, "a second copy into the same database is refused");
    assert!(stderr.contains("not empty"), "{stderr}");
    copied.close();
    source.close();
}
