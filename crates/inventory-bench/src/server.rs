//! The server under test: the release `inventory` binary, started on a free port on the
//! benchmark's database, so its memory and CPU can be read from /proc.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The secret the bench and the server share.
pub const SECRET: &str = "benchmark-secret-0123456789abcdef";

/// Where a server keeps its data.
#[derive(Debug, Clone)]
pub enum Database {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A schema of a PostgreSQL database, shared by every instance started on it.
    Postgres {
        /// `postgres://…`.
        url: String,
        /// The schema.
        schema: String,
    },
}

/// A running server process, stopped when dropped.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub address: SocketAddr,
}

impl Server {
    /// Starts `binary` on `database`, publishing to Redis when `redis` is given.
    ///
    /// # Errors
    /// When it does not start or answer within 30 s.
    pub fn start(
        binary: &Path,
        database: &Database,
        redis: Option<(&str, &str)>,
    ) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let address: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .env("INVENTORY_BIND", address.to_string())
            .env("INVENTORY_JWT_SECRET", SECRET)
            .env("INVENTORY_LOG", "warn")
            .env_remove("REDIS_URL")
            .env_remove("INVENTORY_DATABASE_URL")
            .env_remove("INVENTORY_DATABASE_SCHEMA")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        match database {
            Database::Sqlite(path) => command.env("INVENTORY_DB", path),
            Database::Postgres { url, schema } => command
                .env("INVENTORY_DATABASE_URL", url)
                .env("INVENTORY_DATABASE_SCHEMA", schema),
        };
        if let Some((url, stream)) = redis {
            command
                .env("REDIS_URL", url)
                .env("INVENTORY_REDIS_STREAM", stream);
        }
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let server = Self { child, address };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(address).is_err() {
            if Instant::now() > deadline {
                bail!("the server did not start listening on {address}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `inventory` binary next to this one (both built by the same `cargo build --release`).
///
/// # Errors
/// When it is not there.
pub fn sibling_binary() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let binary = me.with_file_name("inventory");
    if !binary.exists() {
        bail!(
            "{} not found: build both with `cargo build --release --bin inventory --bin inventory-bench`",
            binary.display()
        );
    }
    Ok(binary)
}

/// Peak resident memory (MiB) and CPU seconds used so far by a process, from /proc.
///
/// # Errors
/// When /proc cannot be read (not Linux).
pub fn resources(pid: u32) -> anyhow::Result<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let peak_kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|value| value.parse().ok())
        .context("VmHWM")?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("stat")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|v| v.parse::<f64>().ok())
        .context("utime")?
        + fields
            .get(12)
            .and_then(|v| v.parse::<f64>().ok())
            .context("stime")?;
    let per_second: f64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
        .unwrap_or(100.0);
    Ok((peak_kib / 1024.0, ticks / per_second))
}
