//! A test server and a small HTTP client.

use std::path::Path;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use inventory_adapter_http::{Auth, Role};
use inventory_app::{Application, Settings};
use serde_json::Value;
use tempfile::TempDir;

/// The secret every test server signs tokens with.
pub const SECRET: &str = "end-to-end-tests-secret-0123456789";

/// The real server, in this process, on a port the OS chose, with its own database.
pub struct TestServer {
    pub base: String,
    /// The database file.
    pub db: std::path::PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
    agent: ureq::Agent,
    /// The folder of the database; kept across [`TestServer::restart_with`].
    dir: Option<TempDir>,
}

/// An HTTP answer: status, headers we look at, and the body as JSON (or `Value::Null`).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: ureq::http::HeaderMap,
}

impl Reply {
    /// The error code of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"]
            .as_str()
            .unwrap_or("<no error code>")
    }

    /// Asserts our error shape: a code, a message, and the request id of the response.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "status of {}", self.text);
        assert_eq!(self.code(), code, "code of {}", self.text);
        assert!(
            self.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "an error has a message: {}",
            self.text
        );
        let header_id = self
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok());
        assert!(header_id.is_some(), "every response has X-Request-Id");
        assert_eq!(
            self.body["error"]["request_id"].as_str(),
            header_id,
            "the body carries the request id"
        );
    }
}

impl TestServer {
    pub fn start() -> Self {
        Self::start_with(|settings| settings)
    }

    pub fn start_with(adjust: impl FnOnce(Settings) -> Settings) -> Self {
        Self::start_in(tempfile::tempdir().expect("temp dir"), adjust)
    }

    /// Stops the server gracefully and starts a new one on the same database file.
    pub fn restart_with(mut self, adjust: impl FnOnce(Settings) -> Settings) -> Self {
        self.stop_and_wait();
        let dir = self.dir.take().expect("the database folder");
        Self::start_in(dir, adjust)
    }

    /// Stops the server gracefully, runs `while_stopped` on its database file, and starts it
    /// again on the same port (so that a browser's page keeps its address).
    pub fn restart_on_same_port(mut self, while_stopped: impl FnOnce(&Path)) -> Self {
        let port = self.port();
        self.stop_and_wait();
        while_stopped(&self.db);
        let dir = self.dir.take().expect("the database folder");
        Self::start_in(dir, move |mut settings| {
            settings.bind = format!("127.0.0.1:{port}");
            settings
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.base
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("the base URL ends with the port")
    }

    fn start_in(dir: TempDir, adjust: impl FnOnce(Settings) -> Settings) -> Self {
        let db = dir.path().join("inventory.db");
        let mut settings = Settings::for_tests(db.clone());
        settings.jwt_secret = Some(SECRET.to_owned());
        settings.fault_injection = true;
        let settings = adjust(settings);
        let (port_tx, port_rx) = mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let application = Application::build(&settings)?;
                port_tx
                    .send(application.port())
                    .expect("the test waits for the port");
                application
                    .run_until(async {
                        let _ = stopped.await;
                    })
                    .await
            })
        });
        let port = port_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server starts");
        Self {
            base: format!("http://127.0.0.1:{port}"),
            db,
            stop: Some(stop),
            thread: Some(thread),
            agent: agent(),
            dir: Some(dir),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut request = self.agent.get(self.url(path));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        reply(request.call())
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(
            "POST",
            path,
            token,
            Some(("application/json", body.to_string())),
        )
    }

    pub fn post_empty(&self, path: &str, token: Option<&str>) -> Reply {
        self.send("POST", path, token, None)
    }

    pub fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(
            "PUT",
            path,
            token,
            Some(("application/json", body.to_string())),
        )
    }

    pub fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.send("DELETE", path, token, None)
    }

    /// Any request, with a raw body and content type.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, String)>,
    ) -> Reply {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(self.url(path));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let result = match body {
            Some((content_type, body)) => {
                let request = request
                    .header("Content-Type", content_type)
                    .body(body)
                    .expect("request");
                self.agent.run(request)
            }
            None => self.agent.run(request.body(()).expect("request")),
        };
        reply(result)
    }

    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop_and_wait();
    }
}

impl TestServer {
    fn stop_and_wait(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            match thread.join() {
                Ok(Ok(())) => {}
                Ok(Err(error)) if !thread::panicking() => panic!("the server failed: {error:#}"),
                _ => {}
            }
        }
    }
}

/// An HTTP client that returns error statuses as answers (the tests look at them) and gives
/// up after 30 s.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

pub fn reply(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = result.expect("the server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        body,
        text,
        headers,
    }
}

/// A token signed with [`SECRET`].
pub fn token(role: Role, store: Option<&str>, subject: &str) -> String {
    let store = store.map(|s| inventory::StoreId::parse(s).expect("store code"));
    Auth::new(SECRET)
        .expect("secret")
        .issue(subject, role, store.as_ref(), Duration::from_secs(3600))
        .expect("token")
}

pub fn admin() -> String {
    token(Role::Admin, None, "admin")
}

pub fn vendor(store: &str) -> String {
    token(Role::Vendor, Some(store), &format!("vendor-{store}"))
}

pub fn customer(id: &str) -> String {
    token(Role::Customer, None, id)
}

/// Creates a product (as admin) and returns its id.
pub fn create_product(server: &TestServer, sku: &str) -> String {
    let reply = server.post(
        "/api/v1/products",
        Some(&admin()),
        &serde_json::json!({"sku": sku, "name": format!("Product {sku}"), "price": "10.00"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["id"].as_str().expect("id").to_owned()
}

/// Moves the stock of a pair (as admin).
pub fn restock(server: &TestServer, product: &str, store: &str, units: i64) -> Reply {
    server.post(
        "/api/v1/stock",
        Some(&admin()),
        &serde_json::json!({
            "product_id": product, "store_id": store, "quantity_change": units,
            "reason": if units > 0 { "RESTOCK" } else { "SALE" }, "user_id": "tests"
        }),
    )
}

/// The stock of a pair (as admin): (quantity, reserved, version).
pub fn stock_of(server: &TestServer, product: &str, store: &str) -> (u64, u64, u64) {
    let reply = server.get(&format!("/api/v1/stock/{product}/{store}"), Some(&admin()));
    assert_eq!(reply.status, 200, "{}", reply.text);
    let n = |field: &str| reply.body[field].as_u64().expect("a count");
    (n("quantity"), n("reserved"), n("version"))
}

/// How many events the outbox holds.
pub fn event_count(server: &TestServer) -> usize {
    let reply = server.get("/api/v1/events?limit=1000", Some(&admin()));
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["data"].as_array().expect("data").len()
}

/// The PostgreSQL the tests use: `INVENTORY_TEST_DATABASE_URL`, or the machine's.
pub fn database_url() -> String {
    std::env::var("INVENTORY_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A schema name of a test's own, dropped (with everything made in it) when the test ends.
pub struct TestSchema(pub String);

impl TestSchema {
    pub fn new() -> Self {
        Self(format!("inventory_test_{}", uuid::Uuid::new_v4().simple()))
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&database_url(), postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.0));
        }
    }
}
