//! The clients: threads that restock, reserve, confirm and cancel through the API until told
//! to stop or until their server stops answering, and report every request's outcome.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};

use serde_json::json;

use crate::client::{Answer, Api, admin, customer};
use crate::ledger::{Ledger, Op, Outcome, Pair};
use crate::rng::Rng;

/// The chain's stores.
pub const STORES: [&str; 4] = ["MAD-001", "BCN-001", "VAL-001", "SEV-001"];

/// Creates `products` products (SKUs `<prefix>-<n>`), gives each store `units` of each, and
/// tracks every pair in `ledger`. The pairs, the first product's first.
pub fn catalogue(
    api: &Api,
    prefix: &str,
    products: usize,
    units: i64,
    ledger: &mut Ledger,
) -> Vec<Pair> {
    let mut pairs = Vec::new();
    for n in 0..products {
        let product = api.create_product(&format!("{prefix}-{n}"));
        for store in STORES {
            let reply = api.restock(&product, store, units).expect("an answer");
            assert!(matches!(reply.status, 200 | 201), "{:?}", reply.body);
            let pair = (product.clone(), store.to_owned());
            ledger.track(pair.clone(), units);
            pairs.push(pair);
        }
    }
    pairs
}

/// What one client did.
#[derive(Default)]
pub struct ClientLog {
    pub ops: Vec<(Op, Outcome)>,
    /// Answers no fault excuses (a 500, an unknown status).
    pub violations: Vec<String>,
    /// 503 answers.
    pub unavailable: u64,
}

/// Starts `clients` threads against `apis` (client `n` talks to `apis[n % len]`), working on
/// `pairs` (the first is the hot one) and on the pending reservations `pending`.
pub fn start(
    apis: &[Api],
    pairs: &[Pair],
    pending: Vec<(Pair, String)>,
    clients: usize,
    rng: &mut Rng,
    stop: &Arc<AtomicBool>,
) -> Vec<JoinHandle<ClientLog>> {
    let mut shares: Vec<Vec<(Pair, String)>> = vec![Vec::new(); clients];
    for (n, reservation) in pending.into_iter().enumerate() {
        shares[n % clients].push(reservation);
    }
    shares
        .into_iter()
        .enumerate()
        .map(|(n, own)| {
            let api = apis[n % apis.len()].clone();
            let (pairs, stop, rng) = (pairs.to_vec(), Arc::clone(stop), rng.fork());
            thread::spawn(move || client(n, &api, &pairs, own, rng, &stop))
        })
        .collect()
}

fn client(
    n: usize,
    api: &Api,
    pairs: &[Pair],
    mut own: Vec<(Pair, String)>,
    mut rng: Rng,
    stop: &AtomicBool,
) -> ClientLog {
    let (admin, shopper) = (admin(), customer(n));
    let mut log = ClientLog::default();
    while !stop.load(Ordering::Relaxed) {
        let pair = if rng.chance(50) {
            pairs[0].clone()
        } else {
            pairs[rng.index(pairs.len())].clone()
        };
        let roll = rng.range(0, 100);
        let (op, answer) = if roll < 40 || (roll >= 75 && own.is_empty()) {
            let answer = api.restock(&pair.0, &pair.1, 1);
            (Op::Restock(pair), answer)
        } else if roll < 75 {
            let answer = api.post(
                "/api/v1/reservations",
                &shopper,
                &json!({"product_id": pair.0, "store_id": pair.1, "quantity": 1, "ttl": 600}),
            );
            let id = answer
                .as_ref()
                .ok()
                .and_then(|reply| reply.body["reservation_id"].as_str())
                .map(str::to_owned);
            (Op::Reserve(pair, id), answer)
        } else {
            let (pair, id) = own.swap_remove(rng.index(own.len()));
            let confirm = roll < 88;
            let path = format!(
                "/api/v1/reservations/{id}/{}",
                if confirm { "confirm" } else { "cancel" }
            );
            let answer = api.post(&path, &admin, &json!({}));
            let op = if confirm {
                Op::Confirm(pair, id)
            } else {
                Op::Cancel(id)
            };
            (op, answer)
        };
        let outcome = classify(&answer, &op, &mut log);
        if let (Op::Reserve(pair, Some(id)), Outcome::Acknowledged) = (&op, outcome) {
            own.push((pair.clone(), id.clone()));
        }
        log.ops.push((op, outcome));
        if answer.is_err() {
            // The server is gone (killed, or cut off): this client's work ends here.
            break;
        }
    }
    log
}

fn classify(answer: &Answer, op: &Op, log: &mut ClientLog) -> Outcome {
    match answer {
        Err(_) => Outcome::InFlight,
        Ok(reply) if (200..300).contains(&reply.status) => Outcome::Acknowledged,
        Ok(reply) if reply.status == 409 || reply.status == 429 => Outcome::Refused,
        Ok(reply) if reply.status == 503 => {
            log.unavailable += 1;
            Outcome::InFlight
        }
        Ok(reply) => {
            log.violations.push(format!(
                "{op:?} was answered {} {}",
                reply.status, reply.body
            ));
            Outcome::InFlight
        }
    }
}
