//! Many customers racing for the last units over HTTP: exactly the stock is sold.

use std::sync::{Arc, Barrier};
use std::thread;

use serde_json::json;

use crate::support::{TestServer, create_product, customer, restock, stock_of};

#[test]
fn sixty_four_clients_race_for_ten_units_and_exactly_ten_win() {
    let server = Arc::new(TestServer::start());
    let product = create_product(&server, "HOT-1");
    restock(&server, &product, "BCN-001", 10);
    let start = Arc::new(Barrier::new(64));
    let clients: Vec<_> = (0..64)
        .map(|n| {
            let (server, start, product) = (server.clone(), start.clone(), product.clone());
            thread::spawn(move || {
                let token = customer(&format!("racer-{n}"));
                let body = json!({"product_id": product, "store_id": "BCN-001", "quantity": 1});
                start.wait();
                let reply = server.post("/api/v1/reservations", Some(&token), &body);
                (reply.status, reply.code().to_owned())
            })
        })
        .collect();
    let results: Vec<(u16, String)> = clients
        .into_iter()
        .map(|c| c.join().expect("client"))
        .collect();
    let created = results.iter().filter(|(status, _)| *status == 201).count();
    let refused = results
        .iter()
        .filter(|(status, code)| *status == 409 && code == "INSUFFICIENT_STOCK")
        .count();
    assert_eq!((created, refused), (10, 54), "{results:?}");
    assert_eq!(
        stock_of(&server, &product, "BCN-001"),
        (10, 10, 11),
        "reserved == 10, one version per win"
    );
}
