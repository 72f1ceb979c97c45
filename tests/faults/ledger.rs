//! What the clients were told, and the check of the stored data against it (the way Jepsen
//! checks a bank): an acknowledged change must be there; a change nobody was told about may be
//! there only if its request was in flight when the fault struck.
//!
//! The stored side is read through the API after the fault: the outbox (every event, in seq
//! order, checked for gaps and duplicates) gives each reservation's creation and resolutions;
//! the stock of each pair must agree with the acknowledged restocks and confirmations and with
//! the pending reservations the events describe.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::client::Api;

/// A (product, store) pair.
pub type Pair = (String, String);

/// What a client did, and what it learnt.
#[derive(Debug, Clone)]
pub enum Op {
    Restock(Pair),
    Reserve(Pair, Option<String>),
    Confirm(Pair, String),
    Cancel(String),
}

/// How a request ended for its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx: it must be stored.
    Acknowledged,
    /// A 4xx: it must have changed nothing.
    Refused,
    /// No answer, or a 503 after which the outcome is unknown: either way is right.
    InFlight,
}

/// What the ledger expects of a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Pending,
    Confirmed,
    Cancelled,
    Expired,
    /// A confirmation or cancellation was in flight.
    PendingOr(&'static str),
    /// Nobody was told of it (its creation was in flight): any state is right.
    Unknown,
}

/// A reservation as the outbox tells it.
#[derive(Debug, Clone)]
struct Stored {
    pair: Pair,
    units: i64,
    status: String,
}

/// The clients' view and the outbox's, kept across faults.
#[derive(Default)]
pub struct Ledger {
    /// Known bounds of each pair's quantity.
    quantity: BTreeMap<Pair, (i64, i64)>,
    expected: BTreeMap<String, Expect>,
    reserve_in_flight: usize,
    /// Every event seen so far: (seq, event id).
    pub seen: Vec<(u64, String)>,
    stored: BTreeMap<String, Stored>,
    pub operations: u64,
    pub acknowledged: u64,
    pub in_flight: u64,
}

impl Ledger {
    /// Starts tracking a pair whose quantity is known.
    pub fn track(&mut self, pair: Pair, quantity: i64) {
        self.quantity.insert(pair, (quantity, quantity));
    }

    /// The reservations known to be pending, to confirm or cancel next.
    pub fn pending(&self) -> Vec<(Pair, String)> {
        self.expected
            .iter()
            .filter(|(_, expect)| **expect == Expect::Pending)
            .filter_map(|(id, _)| Some((self.stored.get(id)?.pair.clone(), id.clone())))
            .collect()
    }

    /// A reservation the expiry worker released.
    pub fn expired(&mut self, id: &str) {
        self.expected.insert(id.to_owned(), Expect::Expired);
    }

    /// Records one request and how it ended.
    pub fn record(&mut self, op: Op, outcome: Outcome) {
        self.operations += 1;
        match outcome {
            Outcome::Acknowledged => self.acknowledged += 1,
            Outcome::InFlight => self.in_flight += 1,
            Outcome::Refused => return,
        }
        let acknowledged = outcome == Outcome::Acknowledged;
        match op {
            Op::Restock(pair) => {
                let bounds = self.quantity.entry(pair).or_default();
                bounds.1 += 1;
                if acknowledged {
                    bounds.0 += 1;
                }
            }
            Op::Reserve(_, Some(id)) if acknowledged => {
                self.expected.insert(id, Expect::Pending);
            }
            Op::Reserve(..) => self.reserve_in_flight += 1,
            Op::Confirm(pair, id) => {
                let bounds = self.quantity.entry(pair).or_default();
                bounds.0 -= 1;
                if acknowledged {
                    bounds.1 -= 1;
                    self.expected.insert(id, Expect::Confirmed);
                } else {
                    self.expected.insert(id, Expect::PendingOr("CONFIRMED"));
                }
            }
            Op::Cancel(id) => {
                let expect = if acknowledged {
                    Expect::Cancelled
                } else {
                    Expect::PendingOr("CANCELLED")
                };
                self.expected.insert(id, expect);
            }
        }
    }

    /// Checks what `api` stores against the ledger, then takes what it stores as the new
    /// known state (the requests in flight are settled one way or the other). Returns the
    /// violations.
    pub fn verify(&mut self, api: &Api) -> Vec<String> {
        let mut violations = Vec::new();
        self.read_new_events(api, &mut violations);
        self.check_reservations(&mut violations);
        self.check_stock(api, &mut violations);
        self.reserve_in_flight = 0;
        violations
    }

    fn read_new_events(&mut self, api: &Api, violations: &mut Vec<String>) {
        // What was seen before the fault must still be there, unchanged.
        let after = match self.seen.last() {
            Some((seq, id)) => {
                let again = api.events_after(seq - 1);
                match again.first() {
                    Some(event) if event["event_id"] == id.as_str() => {}
                    other => violations.push(format!(
                        "event {seq} ({id}) was seen before the fault and is now {other:?}"
                    )),
                }
                *seq
            }
            None => 0,
        };
        let mut expected_seq = after + 1;
        let mut unknown_created = 0;
        for event in api.events_after(after) {
            let seq = event["seq"].as_u64().unwrap_or(0);
            if seq != expected_seq {
                violations.push(format!(
                    "the event log jumps from {} to {seq}: a gap or a duplicate",
                    expected_seq - 1
                ));
            }
            expected_seq = seq + 1;
            let id = event["event_id"].as_str().unwrap_or_default().to_owned();
            self.seen.push((seq, id));
            let kind = event["event_type"].as_str().unwrap_or_default();
            let Some(reservation) = kind
                .strip_prefix("reservation.")
                .map(|_| &event["payload"]["reservation"])
            else {
                continue;
            };
            let id = reservation["id"].as_str().unwrap_or_default().to_owned();
            let status = reservation["status"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if kind == "reservation.created" {
                if self.stored.contains_key(&id) {
                    violations.push(format!("reservation {id} was created twice (seq {seq})"));
                }
                if !self.expected.contains_key(&id) {
                    unknown_created += 1;
                    self.expected.insert(id.clone(), Expect::Unknown);
                }
                self.stored.insert(id, stored_of(reservation, status));
            } else {
                match self.stored.get_mut(&id) {
                    Some(stored) if stored.status == "PENDING" => stored.status = status,
                    Some(stored) => violations.push(format!(
                        "reservation {id} resolved twice: {} then {kind} (seq {seq})",
                        stored.status
                    )),
                    None => violations.push(format!(
                        "{kind} for reservation {id}, which has no creation event (seq {seq})"
                    )),
                }
            }
        }
        if unknown_created > self.reserve_in_flight {
            violations.push(format!(
                "{unknown_created} reservations nobody was told about, but only {} were in flight",
                self.reserve_in_flight
            ));
        }
    }

    fn check_reservations(&mut self, violations: &mut Vec<String>) {
        for (id, expect) in &mut self.expected {
            let Some(stored) = self.stored.get(id) else {
                violations.push(format!("acknowledged reservation {id} is gone"));
                continue;
            };
            let fits = match *expect {
                Expect::Pending => stored.status == "PENDING",
                Expect::Confirmed => stored.status == "CONFIRMED",
                Expect::Cancelled => stored.status == "CANCELLED",
                Expect::Expired => stored.status == "EXPIRED",
                Expect::Unknown => true,
                Expect::PendingOr(other) => stored.status == "PENDING" || stored.status == other,
            };
            if !fits {
                violations.push(format!(
                    "reservation {id} is {} but the client was told {expect:?}",
                    stored.status
                ));
            }
            *expect = match stored.status.as_str() {
                "PENDING" => Expect::Pending,
                "CONFIRMED" => Expect::Confirmed,
                "EXPIRED" => Expect::Expired,
                _ => Expect::Cancelled,
            };
        }
    }

    fn check_stock(&mut self, api: &Api, violations: &mut Vec<String>) {
        let mut pending: BTreeMap<&Pair, i64> = BTreeMap::new();
        for stored in self.stored.values().filter(|s| s.status == "PENDING") {
            *pending.entry(&stored.pair).or_default() += stored.units;
        }
        for (pair, bounds) in &mut self.quantity {
            let (quantity, reserved) = api.stock(&pair.0, &pair.1);
            if !(bounds.0..=bounds.1).contains(&quantity) {
                violations.push(format!(
                    "{}/{} holds {quantity} units; the acknowledged changes allow {} to {}",
                    pair.0, pair.1, bounds.0, bounds.1
                ));
            }
            let held = pending.get(pair).copied().unwrap_or(0);
            if reserved != held {
                violations.push(format!(
                    "{}/{} has {reserved} reserved but its pending reservations hold {held}",
                    pair.0, pair.1
                ));
            }
            if !(0..=quantity).contains(&reserved) {
                violations.push(format!(
                    "{}/{} is oversold: reserved {reserved} of {quantity}",
                    pair.0, pair.1
                ));
            }
            *bounds = (quantity, quantity);
        }
    }

    /// The pairs of reservations whose creation the outbox holds.
    pub fn reservation_count(&self) -> usize {
        self.stored.len()
    }
}

fn stored_of(reservation: &Value, status: String) -> Stored {
    Stored {
        pair: (
            reservation["product_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            reservation["store_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ),
        units: reservation["quantity"].as_i64().unwrap_or(0),
        status,
    }
}
