//! Redis for tests: the shared instance (never flushed, never stopped: each test uses its own
//! stream name), or a private `redis-server` on a free port for tests that must stop Redis.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How to get a Redis when none is reachable.
const HOW_TO_GET_REDIS: &str = "these tests need Redis: run `redis-server` (or \
`docker compose up -d redis`), or set INVENTORY_TEST_REDIS_URL to one; `redis-server` must be \
on the PATH for the tests that start their own";

/// The URL of a Redis the tests may share: `INVENTORY_TEST_REDIS_URL`, or
/// `redis://127.0.0.1:6379`, or, when neither answers, a `redis-server` started for this test
/// process.
///
/// # Panics
/// When no Redis can be reached or started, with a message saying how to get one.
pub fn shared_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let url = std::env::var("INVENTORY_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        if ping(&address_of(&url)) {
            return url;
        }
        // Leaked on purpose: it serves every test of this process and dies with it.
        let own = Box::leak(Box::new(RedisProcess::start()));
        own.url()
    })
    .clone()
}

/// A stream name no other test uses.
pub fn unique_stream(test: &str) -> String {
    format!("inventory:test:{test}:{}", uuid::Uuid::new_v4().simple())
}

/// `host:port` of a `redis://host:port[/db]` URL.
fn address_of(url: &str) -> String {
    let rest = url.trim_start_matches("redis://");
    let host_port = rest.split('/').next().unwrap_or(rest);
    let host_port = host_port.rsplit('@').next().unwrap_or(host_port);
    if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:6379")
    }
}

/// True when a Redis at `address` answers PING.
pub fn ping(address: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(address) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

/// A private `redis-server` (no persistence) on a free port, killed when dropped.
pub struct RedisProcess {
    port: u16,
    child: Option<Child>,
}

impl RedisProcess {
    /// Starts one.
    ///
    /// # Panics
    /// When `redis-server` cannot be started.
    pub fn start() -> Self {
        let port = free_port();
        let mut process = Self { port, child: None };
        process.restart();
        process
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Its process id while it runs (to pause it with SIGSTOP).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills it (Redis is then unreachable; nothing it held survives).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    ///
    /// # Panics
    /// When `redis-server` cannot be started or does not answer within 10 s.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start redis-server ({error}): {HOW_TO_GET_REDIS}")
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        let address = format!("127.0.0.1:{}", self.port);
        while !ping(&address) {
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer on {address}: {HOW_TO_GET_REDIS}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A TCP port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}
