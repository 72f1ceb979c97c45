//! The processes and files a scenario makes, and the guarantee that none outlives it: every
//! child is killed when its guard drops (a failing scenario included), every file lives under
//! the suite's one temporary folder, and after each scenario the suite looks for leftovers.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::shim::Shim;

/// The secret every server of the suite signs tokens with.
pub const SECRET: &str = "fault-suite-secret-0123456789abcdef";

/// The suite's temporary folder, the shim built into it, and the children it started.
pub struct Workspace {
    root: TempDir,
    shim: Option<Shim>,
}

impl Workspace {
    pub fn new() -> Self {
        let root = tempfile::Builder::new()
            .prefix("inventory-faults-")
            .tempdir()
            .expect("a temporary folder");
        let shim = Shim::build(root.path());
        Self { root, shim }
    }

    /// A fresh folder for one scenario, removed when the returned guard drops.
    pub fn folder(&self, name: &str) -> TempDir {
        tempfile::Builder::new()
            .prefix(&format!("{name}-"))
            .tempdir_in(self.root.path())
            .expect("a scenario folder")
    }

    /// The preload shim, when the machine could build it.
    pub fn shim(&self) -> Option<&Shim> {
        self.shim.as_ref()
    }

    /// What a scenario left behind: a child process still running, or a file.
    pub fn leftovers(&self) -> Vec<String> {
        let mut found: Vec<String> = children_of(std::process::id())
            .into_iter()
            .map(|(pid, name)| {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
                format!("process {pid} ({name}) was still running after the scenario")
            })
            .collect();
        if let Ok(entries) = std::fs::read_dir(self.root.path()) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !name.starts_with("shim") {
                    found.push(format!("{name} was left in the suite's folder"));
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        found
    }
}

/// The processes whose parent is `parent` (from /proc), with their names.
fn children_of(parent: u32) -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
            let (head, tail) = stat.rsplit_once(')')?;
            let name = head.split_once('(')?.1.to_owned();
            let mut fields = tail.split_whitespace();
            let state = fields.next()?;
            let ppid: u32 = fields.next()?.parse().ok()?;
            (ppid == parent && state != "Z").then_some((pid, name))
        })
        .collect()
}

/// Sends `signal` (`KILL`, `STOP`, `CONT`, `TERM`) to `pid`.
pub fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status();
}

/// An `inventory serve` process on a free port, killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    /// The last lines it logged, shown when a scenario fails.
    log: Arc<Mutex<VecDeque<String>>>,
}

/// How to start a server: its environment (the database included), and whether the shim is
/// preloaded into it.
#[derive(Clone, Default)]
pub struct ServerSpec {
    pub env: Vec<(String, String)>,
    pub preload: Option<PathBuf>,
}

impl ServerSpec {
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_owned(), value.into()));
        self
    }

    /// Customers may hold as much as the load asks (the limits are tested elsewhere; here
    /// they would only turn reservations into refusals).
    pub fn without_hold_limits(self) -> Self {
        [
            "INVENTORY_CUSTOMER_MAX_RESERVATIONS",
            "INVENTORY_CUSTOMER_MAX_UNITS",
            "INVENTORY_CUSTOMER_MAX_RESERVATIONS_PER_PRODUCT",
            "INVENTORY_CUSTOMER_MAX_UNITS_PER_PRODUCT",
        ]
        .into_iter()
        .fold(self, |spec, limit| spec.with(limit, "1000000"))
    }
}

impl Server {
    /// Starts it and waits until it listens (30 s at most).
    pub fn start(spec: &ServerSpec) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_inventory"));
        command
            .arg("serve")
            .env_remove("INVENTORY_DB")
            .env_remove("INVENTORY_DATABASE_URL")
            .env_remove("INVENTORY_DATABASE_SCHEMA")
            .env_remove("REDIS_URL")
            .env("INVENTORY_BIND", "127.0.0.1:0")
            .env("INVENTORY_JWT_SECRET", SECRET)
            .env("INVENTORY_LOG_FORMAT", "json")
            .env("INVENTORY_LOG", "warn,inventory_app=info")
            .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(shim) = &spec.preload {
            command.env("LD_PRELOAD", shim);
        }
        let mut child = command.spawn().expect("the server starts");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let kept = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent && let Some(port) = listening_port(&line) {
                    let _ = port_tx.send(port);
                    sent = true;
                }
                if std::env::var("FAULTS_VERBOSE").is_ok() {
                    eprintln!("[server] {line}");
                }
                let mut kept = kept
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if kept.len() == 200 {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
        });
        let mut server = Self {
            child,
            base: String::new(),
            log,
        };
        match port_rx.recv_timeout(Duration::from_secs(30)) {
            Ok(port) => server.base = format!("http://127.0.0.1:{port}"),
            Err(_) => panic!(
                "the server did not start within 30 s:\n{}",
                server.last_log_lines(30)
            ),
        }
        server
    }

    /// kill -9, and waits for it to be gone.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, and waits (15 s at most, then kill -9); true when it exited 0.
    pub fn terminate(&mut self) -> bool {
        signal(self.child.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill9();
        false
    }

    /// How many of the lines it logged (of the last 200) contain `text`.
    pub fn logged(&self, text: &str) -> usize {
        let log = self
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        log.iter().filter(|line| line.contains(text)).count()
    }

    /// The last `n` lines it logged, for a failure's report.
    pub fn last_log_lines(&self, n: usize) -> String {
        let log = self
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let skip = log.len().saturating_sub(n);
        log.iter()
            .skip(skip)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill9();
        }
    }
}

fn listening_port(line: &str) -> Option<u16> {
    let log: serde_json::Value = serde_json::from_str(line).ok()?;
    (log["message"] == "inventory server listening")
        .then(|| log["port"].as_u64())?
        .and_then(|p| u16::try_from(p).ok())
}

/// Runs `inventory check --json` on the database `env` names; the report when it finds
/// something (or cannot run).
pub fn inventory_check(env: &[(String, String)]) -> Option<String> {
    let output = Command::new(env!("CARGO_BIN_EXE_inventory"))
        .args(["check", "--json"])
        .env_remove("INVENTORY_DB")
        .env_remove("INVENTORY_DATABASE_URL")
        .env_remove("INVENTORY_DATABASE_SCHEMA")
        .env("INVENTORY_LOG", "error")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("inventory check runs");
    (!output.status.success()).then(|| {
        format!(
            "inventory check found problems: {}{}",
            String::from_utf8_lossy(&output.stdout).trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        )
    })
}

/// A small tmpfs mounted for a scenario (root only), unmounted when dropped.
pub struct SmallDisk {
    pub path: PathBuf,
}

impl SmallDisk {
    /// Mounts `megabytes` of tmpfs at `path`; `None` when this process may not mount.
    pub fn mount(path: &Path, megabytes: u32) -> Option<Self> {
        std::fs::create_dir_all(path).ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m")])
            .arg("tmpfs")
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        mounted.then(|| Self {
            path: path.to_path_buf(),
        })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        let _ = std::fs::remove_dir(&self.path);
    }
}
