//! A small HTTP client for the suite: every call either gets an answer (status and JSON body)
//! or fails in transport, which the suite counts as "in flight" (the server may or may not
//! have applied it).

use std::time::Duration;

use inventory_adapter_http::{Auth, Role};
use serde_json::{Value, json};

use crate::process::SECRET;

/// An answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    /// The `Retry-After` header, when there is one.
    pub retry_after: Option<String>,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// What a call came to.
pub type Answer = Result<Reply, String>;

/// A client of one server.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    agent: ureq::Agent,
}

pub fn token(role: Role, subject: &str) -> String {
    Auth::new(SECRET)
        .expect("secret")
        .issue(subject, role, None, Duration::from_secs(3600))
        .expect("token")
}

pub fn admin() -> String {
    token(Role::Admin, "fault-admin")
}

pub fn customer(n: usize) -> String {
    token(Role::Customer, &format!("fault-customer-{n}"))
}

impl Api {
    /// A client of `base`; calls give up after `timeout` (a server that blocks is a finding,
    /// not a hang).
    pub fn new(base: &str, timeout: Duration) -> Self {
        Self {
            base: base.to_owned(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(timeout))
                .build()
                .into(),
        }
    }

    pub fn post(&self, path: &str, token: &str, body: &Value) -> Answer {
        let request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/json");
        read(request.send(body.to_string()))
    }

    pub fn get(&self, path: &str, token: &str) -> Answer {
        let request = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {token}"));
        read(request.call())
    }

    /// A GET that must answer 200.
    pub fn get_ok(&self, path: &str) -> Value {
        match self.get(path, &admin()) {
            Ok(reply) if reply.status == 200 => reply.body,
            other => panic!("GET {path}: {other:?}"),
        }
    }

    /// Creates a product and returns its id.
    pub fn create_product(&self, sku: &str) -> String {
        let reply = self
            .post(
                "/api/v1/products",
                &admin(),
                &json!({"sku": sku, "name": format!("Fault {sku}"), "price": "9.99"}),
            )
            .expect("the server answers");
        assert_eq!(reply.status, 201, "create {sku}: {:?}", reply.body);
        reply.body["id"].as_str().expect("id").to_owned()
    }

    /// Adds `units` to a pair as a restock.
    pub fn restock(&self, product: &str, store: &str, units: i64) -> Answer {
        self.post(
            "/api/v1/stock",
            &admin(),
            &json!({"product_id": product, "store_id": store,
                    "quantity_change": units, "reason": "RESTOCK"}),
        )
    }

    /// (quantity, reserved) of a pair; (0, 0) for one never stocked.
    pub fn stock(&self, product: &str, store: &str) -> (i64, i64) {
        match self.get(&format!("/api/v1/stock/{product}/{store}"), &admin()) {
            Ok(reply) if reply.status == 200 => (
                reply.body["quantity"].as_i64().expect("quantity"),
                reply.body["reserved"].as_i64().expect("reserved"),
            ),
            Ok(reply) if reply.status == 404 => (0, 0),
            other => panic!("GET stock {product}/{store}: {other:?}"),
        }
    }

    /// The outbox after `after`, in seq order, read page by page.
    pub fn events_after(&self, after: u64) -> Vec<Value> {
        let mut events = Vec::new();
        let mut after = after;
        loop {
            let page = self.get_ok(&format!("/api/v1/events?after_seq={after}&limit=1000"));
            let data = page["data"].as_array().cloned().unwrap_or_default();
            if data.is_empty() {
                return events;
            }
            after = page["next_after_seq"].as_u64().expect("next_after_seq");
            events.extend(data);
        }
    }
}

fn read(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut response = result.map_err(|error| error.to_string())?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|error| error.to_string())?;
    Ok(Reply {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        retry_after,
    })
}
