//! `inventory copy`: a SQLite inventory moved into PostgreSQL with its whole history, as a
//! chain that outgrew one host does it.

use inventory::{
    AdjustStock, AdjustmentReason, CartLine, ChangedBy, CustomerId, Inventory, PlaceCart,
    PostgresConfig, Quantity, RequestContext, ReservationTtl, ReserveStock, SendTransfer,
    StockDelta, StoreId, TransferMode,
};

use crate::binary::{inventory, run};
use crate::support::{TestSchema, database_url};

#[test]
fn copy_moves_a_sqlite_inventory_into_postgres_with_the_same_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shop.db");
    let mut carts = Vec::new();
    let (ok, _, stderr) = run(inventory().arg("seed-demo").env("INVENTORY_DB", &db));
    assert!(ok, "{stderr}");
    {
        // A history with every kind of change: reservations confirmed, cancelled, extended and
        // still open, carts confirmed in part and cancelled, transfers at once, received, and
        // still in transit, a count, a deleted product.
        let shop = Inventory::open(&db).expect("open");
        let ctx = RequestContext::default();
        let products = shop
            .products()
            .list(
                Default::default(),
                None,
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
        shop.reservations()
            .extend(
                reservations[2],
                ReservationTtl::from_seconds(1200).expect("ttl"),
                None,
                &ctx,
            )
            .expect("extend");
        let barcelona = StoreId::parse("BCN-001").expect("code");
        let order = || PlaceCart {
            customer_id: CustomerId::parse("cust-cart").expect("id"),
            lines: vec![
                CartLine {
                    product_id: products[7].id,
                    store_id: madrid.clone(),
                    quantity: Quantity::new(1).expect("one"),
                },
                CartLine {
                    product_id: products[7].id,
                    store_id: barcelona.clone(),
                    quantity: Quantity::new(2).expect("two"),
                },
            ],
            ttl: ReservationTtl::default(),
            limits: None,
        };
        let kept = shop.carts().place(order(), &ctx).expect("cart");
        carts.push(kept.id());
        let first_line = kept.lines()[0].id();
        shop.carts()
            .confirm(kept.id(), Some(vec![first_line]), &ctx)
            .expect("confirm part");
        let dropped = shop.carts().place(order(), &ctx).expect("cart");
        carts.push(dropped.id());
        shop.carts()
            .cancel(dropped.id(), &ctx)
            .expect("cancel cart");
        let transfer = |mode| SendTransfer {
            product_id: products[3].id,
            from_store: barcelona.clone(),
            to_store: madrid.clone(),
            quantity: Quantity::new(2).expect("two"),
            mode,
            by: ChangedBy::default(),
        };
        shop.transfers()
            .send(transfer(TransferMode::Immediate), &ctx)
            .expect("immediate");
        let received = shop
            .transfers()
            .send(transfer(TransferMode::Shipped), &ctx)
            .expect("shipped");
        shop.transfers()
            .receive(received.id(), ChangedBy::default(), &ctx)
            .expect("received");
        shop.transfers()
            .send(transfer(TransferMode::Shipped), &ctx)
            .expect("in transit");
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
    let page = inventory::Page::new(Some(50), None).expect("page");
    let transfers = |inventory: &Inventory| {
        inventory
            .transfers()
            .list(Default::default(), page)
            .expect("transfers")
            .data
    };
    assert_eq!(transfers(&source).len(), 3);
    for cart in &carts {
        assert_eq!(
            source.carts().get(*cart),
            copied.carts().get(*cart),
            "the same cart and lines"
        );
    }
    assert_eq!(transfers(&source), transfers(&copied), "the same transfers");
    for product in source
        .products()
        .list(Default::default(), None, page)
        .expect("products")
        .data
    {
        assert_eq!(
            source.availability().of_product(product.id, None),
            copied.availability().of_product(product.id, None),
            "the same availability, in transit included"
        );
    }

    let (ok, _, stderr) = copy(&[]);
    assert!(!ok, "a second copy into the same database is refused");
    assert!(stderr.contains("not empty"), "{stderr}");
    copied.close();
    source.close();
}
