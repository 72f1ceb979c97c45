//! The `inventory` binary itself: its commands, and a served process that stops cleanly on
//! SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use inventory_adapter_http::{Auth, Caller};

use crate::support::SECRET;

pub fn inventory() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_inventory"));
    command
        .env_remove("INVENTORY_JWT_SECRET")
        .env_remove("INVENTORY_DB")
        .env_remove("INVENTORY_DATABASE_URL")
        .env_remove("INVENTORY_DATABASE_SCHEMA")
        .env_remove("INVENTORY_BIND")
        .env("INVENTORY_LOG", "info");
    command
}

pub fn run(command: &mut Command) -> (bool, String, String) {
    let output = command.output().expect("the binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn token_mints_a_token_the_server_accepts() {
    let (ok, stdout, stderr) = run(inventory()
        .args([
            "token",
            "--role",
            "vendor",
            "--store",
            "mad-001",
            "--sub",
            "vendor-789",
            "--ttl",
            "2h",
        ])
        .env("INVENTORY_JWT_SECRET", SECRET));
    assert!(ok, "{stderr}");
    let caller = Auth::new(SECRET)
        .expect("secret")
        .verify(stdout.trim())
        .expect("a valid token");
    assert_eq!(
        caller,
        Caller::Vendor {
            subject: "vendor-789".into(),
            store: inventory::StoreId::parse("MAD-001").expect("valid"),
        }
    );
}

#[test]
fn token_without_a_secret_says_how_to_get_one() {
    let (ok, _, stderr) = run(inventory().args(["token", "--role", "admin"]));
    assert!(!ok);
    assert!(stderr.contains("INVENTORY_JWT_SECRET"), "{stderr}");
    let (ok, _, stderr) = run(inventory()
        .args(["token", "--role", "admin"])
        .env("INVENTORY_JWT_SECRET", ""));
    assert!(!ok, "an empty secret is no secret");
    assert!(stderr.contains("no secret to sign with"), "{stderr}");
    let (ok, _, stderr) = run(inventory()
        .args(["token", "--role", "vendor"])
        .env("INVENTORY_JWT_SECRET", SECRET));
    assert!(!ok, "a vendor token needs a store");
    assert!(stderr.contains("store"), "{stderr}");
}

#[test]
fn migrate_and_seed_demo_prepare_a_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("demo.db");
    let (ok, stdout, stderr) = run(inventory().args(["migrate", "--db"]).arg(&db));
    assert!(ok, "{stderr}");
    assert!(stdout.contains("is migrated"), "{stdout}");
    assert!(db.exists());
    let (ok, stdout, stderr) = run(inventory().arg("seed-demo").env("INVENTORY_DB", &db));
    assert!(ok, "{stderr}");
    assert!(stdout.contains("8 products created"), "{stdout}");
    let (ok, stdout, _) = run(inventory().arg("seed-demo").env("INVENTORY_DB", &db));
    assert!(
        ok && stdout.contains("0 products created"),
        "seeding twice adds nothing: {stdout}"
    );
    let inventory = inventory::Inventory::open(&db).expect("open");
    let availability = inventory
        .products()
        .get_by_sku(&inventory::Sku::parse("HP-PAV-15").expect("sku"))
        .and_then(|p| inventory.availability().of_product(p.id, None))
        .expect("a seeded product");
    assert_eq!(availability.total_available, 50);
}

#[test]
fn help_documents_every_setting() {
    let (ok, stdout, _) = run(inventory().arg("--help"));
    assert!(ok);
    for setting in [
        "INVENTORY_BIND",
        "INVENTORY_DB",
        "INVENTORY_SYNCHRONOUS",
        "INVENTORY_JWT_SECRET",
        "INVENTORY_CORS_ORIGINS",
        "INVENTORY_MAX_BODY_BYTES",
        "INVENTORY_WORKERS",
        "INVENTORY_LOG_FORMAT",
        "INVENTORY_LOG",
        "INVENTORY_SHUTDOWN_TIMEOUT",
        "INVENTORY_EXPIRY_BATCH",
    ] {
        assert!(
            stdout.contains(setting),
            "--help mentions {setting}:\n{stdout}"
        );
    }
}

/// An `inventory serve` process, killed when dropped so a failing test leaves none behind.
pub struct ServerProcess {
    child: std::process::Child,
}

impl ServerProcess {
    /// Waits up to `limit` for it to exit by itself.
    pub fn wait_for_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(exit) = self.child.try_wait().expect("wait") {
                return exit;
            }
            assert!(
                started.elapsed() < limit,
                "the server did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Asks it to stop (SIGTERM) and waits, up to 15 s.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        self.wait_for_exit(Duration::from_secs(15))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Starts `inventory serve` on the SQLite file `db`, on a free port, and returns it with its
/// port.
pub fn serve(db: &Path, extra_env: &[(&str, &str)]) -> (ServerProcess, u16) {
    let mut env = vec![("INVENTORY_DB", db.to_str().expect("a UTF-8 path"))];
    env.extend_from_slice(extra_env);
    serve_with(&env)
}

/// Starts `inventory serve` configured by `env` alone (the database included), on a free
/// port, and returns it with its port.
pub fn serve_with(env: &[(&str, &str)]) -> (ServerProcess, u16) {
    let mut child = inventory()
        .arg("serve")
        .env("INVENTORY_BIND", "127.0.0.1:0")
        .env("INVENTORY_JWT_SECRET", SECRET)
        .env("INVENTORY_LOG_FORMAT", "json")
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let stderr = child.stderr.take().expect("stderr");
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent && let Some(port) = listening_port(&line) {
                let _ = port_tx.send(port);
                sent = true;
            }
            eprintln!("[server] {line}");
        }
    });
    let child = ServerProcess { child };
    let port = port_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server logs its port");
    (child, port)
}

fn listening_port(line: &str) -> Option<u16> {
    let log: serde_json::Value = serde_json::from_str(line).ok()?;
    (log["message"] == "inventory server listening")
        .then(|| log["port"].as_u64())?
        .and_then(|p| u16::try_from(p).ok())
}

#[test]
fn sigterm_stops_the_server_cleanly_and_closes_the_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("served.db");
    let (mut child, port) = serve(&db, &[]);
    let agent = crate::support::agent();
    let health = agent
        .get(format!("http://127.0.0.1:{port}/health"))
        .call()
        .expect("health");
    assert_eq!(health.status().as_u16(), 200);
    assert!(
        dir.path().join("served.db-wal").exists(),
        "WAL is in use while serving"
    );

    let exit = child.terminate();
    assert!(exit.success(), "a graceful stop exits 0: {exit}");
    assert!(
        !dir.path().join("served.db-wal").exists(),
        "the last connection closed and checkpointed the WAL"
    );
}

#[test]
fn token_refuses_a_lifetime_beyond_the_maximum_without_panicking() {
    for ttl in ["48h", "99999999999d", "99999999999999999999d"] {
        let (ok, _, stderr) = run(inventory()
            .args(["token", "--role", "admin", "--ttl", ttl])
            .env("INVENTORY_JWT_SECRET", SECRET));
        assert!(!ok, "--ttl {ttl} is refused");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let (ok, _, stderr) = run(inventory()
        .args(["token", "--role", "admin", "--ttl", "2h"])
        .env("INVENTORY_JWT_SECRET", SECRET)
        .env("INVENTORY_TOKEN_MAX_LIFETIME", "1h"));
    assert!(!ok, "the maximum is configurable");
    assert!(stderr.contains("at most 3600"), "{stderr}");
}

#[test]
fn without_a_secret_the_server_serves_only_this_machine_with_a_short_lived_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("nosecret.db");
    let (ok, _, stderr) = run(inventory()
        .arg("serve")
        .env("INVENTORY_DB", &db)
        .env("INVENTORY_BIND", "0.0.0.0:0"));
    assert!(!ok, "no made-up secret on an address other hosts can reach");
    assert!(
        stderr.contains("INVENTORY_JWT_SECRET is required to listen on 0.0.0.0:0"),
        "{stderr}"
    );
    for weak in ["too-short-secret", &" ".repeat(40)] {
        let (ok, _, stderr) = run(inventory()
            .arg("serve")
            .env("INVENTORY_DB", &db)
            .env("INVENTORY_BIND", "127.0.0.1:0")
            .env("INVENTORY_JWT_SECRET", weak));
        assert!(!ok, "a weak secret is refused: {weak:?}");
        assert!(stderr.contains("at least 32 bytes"), "{stderr}");
    }

    // On loopback a newcomer gets a server at once, and a token on the terminal only.
    let mut child = inventory()
        .arg("serve")
        .env("INVENTORY_DB", &db)
        .env("INVENTORY_BIND", "127.0.0.1:0")
        .env("INVENTORY_LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut port = None;
    let mut token = None;
    let mut logged = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while (port.is_none() || token.is_none()) && Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if line.starts_with('{') {
            port = port.or_else(|| listening_port(&line));
            logged.push(line);
        } else if line.starts_with("ey") {
            token = Some(line.trim().to_owned());
        }
    }
    let _stop = ServerProcess { child };
    let (port, token) = (port.expect("a port"), token.expect("a token printed"));
    assert!(
        logged.iter().all(|line| !line.contains(&token)),
        "the token is never in the logs: {logged:?}"
    );
    let agent = crate::support::agent();
    let reply = agent
        .get(format!("http://127.0.0.1:{port}/api/v1/events?limit=1"))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .expect("answer");
    assert_eq!(reply.status().as_u16(), 200, "the printed token works");
    // The test does not know the secret: it only reads the lifetime.
    let claims: serde_json::Value =
        jsonwebtoken::dangerous::insecure_decode_claims(&token).expect("claims");
    let lifetime = claims["exp"].as_u64().expect("exp") - claims["iat"].as_u64().expect("iat");
    assert_eq!(lifetime, 15 * 60, "a short-lived demo token");
}

#[test]
fn healthcheck_passes_on_a_serving_server_and_fails_without_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut server, port) = serve(&dir.path().join("health.db"), &[]);
    let (ok, stdout, stderr) = run(inventory()
        .arg("healthcheck")
        .env("INVENTORY_BIND", format!("0.0.0.0:{port}")));
    assert!(ok, "{stderr}");
    assert!(stdout.contains("\"status\""), "the health body: {stdout}");
    assert!(server.terminate().success());
    let (ok, _, stderr) = run(inventory()
        .arg("healthcheck")
        .env("INVENTORY_BIND", format!("127.0.0.1:{port}")));
    assert!(!ok, "nothing serves any more");
    assert!(stderr.contains("nothing answers"), "{stderr}");
}

#[test]
fn on_postgres_the_server_refuses_to_start_without_a_shared_secret() {
    // Refused before connecting: the URL need not answer.
    let (ok, _, stderr) = run(inventory()
        .arg("serve")
        .env("INVENTORY_BIND", "127.0.0.1:0")
        .env(
            "INVENTORY_DATABASE_URL",
            "postgres://inventory@127.0.0.1:1/nowhere",
        ));
    assert!(!ok, "no made-up secret when instances must share one");
    assert!(
        stderr.contains("INVENTORY_JWT_SECRET is required"),
        "{stderr}"
    );
    let (ok, _, stderr) = run(inventory()
        .arg("migrate")
        .env("INVENTORY_DATABASE_SCHEMA", "inventory"));
    assert!(!ok, "a schema without a PostgreSQL URL is a mistake");
    assert!(stderr.contains("PostgreSQL only"), "{stderr}");
}

#[test]
fn a_graceful_stop_lets_in_flight_requests_finish() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("draining.db");
    let (mut server, port) = serve(&db, &[("INVENTORY_FAULT_INJECTION", "true")]);
    let in_flight = std::thread::spawn(move || {
        let agent = crate::support::agent();
        let mut reply = agent
            .get(format!("http://127.0.0.1:{port}/__fault/slow"))
            .call()
            .expect("the slow request is answered");
        (
            reply.status().as_u16(),
            reply.body_mut().read_to_string().unwrap_or_default(),
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    let exit = server.terminate();
    assert_eq!(
        in_flight.join().expect("client"),
        (200, "finished".to_owned())
    );
    assert!(exit.success(), "{exit}");
}

#[test]
fn an_operator_runs_transfers_carts_and_extensions_from_the_shell() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("ops.db");
    let cli = |args: &[&str]| run(inventory().args(args).env("INVENTORY_DB", &db));
    let (ok, _, stderr) = cli(&["seed-demo"]);
    assert!(ok, "{stderr}");

    // NIKE-AIR-42: 30 in Madrid, 18 in Barcelona.
    let (ok, stdout, stderr) = cli(&[
        "transfer",
        "send",
        "--sku",
        "NIKE-AIR-42",
        "--from",
        "MAD-001",
        "--to",
        "BCN-001",
        "--quantity",
        "5",
        "--shipped",
        "--by",
        "warehouse-7",
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("SHIPPED") && stdout.contains("IN_TRANSIT"),
        "{stdout}"
    );
    let transfer = stdout.split_whitespace().nth(1).expect("an id").to_owned();
    let (ok, stdout, stderr) = cli(&["transfer", "receive", &transfer]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("RECEIVED"), "{stdout}");
    let (ok, _, stderr) = cli(&["transfer", "receive", &transfer]);
    assert!(!ok && stderr.contains("not in transit"), "{stderr}");

    let (ok, stdout, stderr) = cli(&[
        "cart",
        "place",
        "--customer",
        "cust-9",
        "--line",
        "NIKE-AIR-42@BCN-001=2",
        "--line",
        "HP-PAV-15@MAD-001=1",
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("PENDING"), "{stdout}");
    let cart = stdout.split_whitespace().nth(1).expect("an id").to_owned();
    let line = stdout
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(1))
        .expect("a line id")
        .to_owned();
    let (ok, _, stderr) = cli(&["reservation", "extend", &line, "--ttl", "1200"]);
    assert!(!ok && stderr.contains("line of a cart"), "{stderr}");
    let (ok, stdout, stderr) = cli(&["cart", "confirm", &cart, "--line", &line]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("CONFIRMED") && stdout.contains("CANCELLED"),
        "{stdout}"
    );
    let (ok, _, stderr) = cli(&["cart", "place", "--customer", "c", "--line", "nonsense"]);
    assert!(!ok && stderr.contains("SKU@STORE=QUANTITY"), "{stderr}");

    let inventory = inventory::Inventory::open(&db).expect("open");
    let shoes = inventory
        .products()
        .get_by_sku(&inventory::Sku::parse("NIKE-AIR-42").expect("sku"))
        .expect("shoes");
    let stock = |store: &str| {
        inventory
            .stock()
            .get(shoes.id, &inventory::StoreId::parse(store).expect("code"))
            .expect("stock")
            .quantity()
    };
    assert_eq!((stock("MAD-001"), stock("BCN-001")), (25, 23));
    let (ok, stdout, _) = cli(&["transfer", "list", "--store", "BCN-001"]);
    assert!(ok && stdout.lines().count() == 1, "{stdout}");
    inventory.close();
}

#[test]
fn inventory_check_finds_a_corrupted_count_and_a_seq_gap_and_repairs_the_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("check.db");
    let cli = |args: &[&str]| run(inventory().args(args).env("INVENTORY_DB", &db));
    let (ok, _, stderr) = cli(&["seed-demo"]);
    assert!(ok, "{stderr}");
    let (ok, stdout, stderr) = cli(&["check"]);
    assert!(ok, "a fresh database is clean: {stdout}{stderr}");
    assert!(stdout.contains("nothing"), "{stdout}");

    // Corrupt the file behind the service's back: a reserved count no reservation backs
    // (within the row's CHECKs), and an event taken out of the middle of the outbox.
    let conn = rusqlite::Connection::open(&db).expect("open the file");
    let corrupted = conn
        .execute(
            "UPDATE stock SET reserved = reserved + 2 WHERE store_id = 'MAD-001' \
             AND product_id = (SELECT id FROM products WHERE sku = 'NIKE-AIR-42')",
            [],
        )
        .expect("corrupt reserved");
    assert_eq!(corrupted, 1);
    conn.execute("DELETE FROM events WHERE seq = 5", [])
        .expect("make a gap");
    drop(conn);

    let (ok, stdout, _) = cli(&["check", "--json"]);
    assert!(!ok, "findings exit non-zero");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    assert!(codes.contains(&"RESERVED_DRIFT"), "{stdout}");
    assert!(codes.contains(&"SEQ_GAP"), "{stdout}");
    assert!(
        codes.contains(&"MOVEMENT_DRIFT"),
        "the ledger disagrees too: {stdout}"
    );

    let (ok, stdout, _) = cli(&["check", "--repair"]);
    assert!(
        !ok,
        "the gap cannot be repaired, so findings remain: {stdout}"
    );
    assert!(stdout.contains("repaired 1 finding"), "{stdout}");
    let (_, stdout, _) = cli(&["check", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes, ["SEQ_GAP"], "the count is repaired: {stdout}");
    let inventory = inventory::Inventory::open(&db).expect("open");
    let product = inventory
        .products()
        .get_by_sku(&inventory::Sku::parse("NIKE-AIR-42").expect("sku"))
        .expect("product");
    let stock = inventory
        .stock()
        .get(
            product.id,
            &inventory::StoreId::parse("MAD-001").expect("store"),
        )
        .expect("stock");
    assert_eq!(stock.reserved(), 0);
    inventory.close();
}

#[test]
fn import_streams_a_file_of_ten_thousand_rows_and_a_second_run_replays() {
    const SKUS: [&str; 8] = [
        "HP-PAV-15",
        "IPH-15-128",
        "SAM-TV-55",
        "SONY-WH1000",
        "NIKE-AIR-42",
        "LEGO-TECH-01",
        "DELONGHI-MAG",
        "KINDLE-PW",
    ];
    const STORES: [&str; 4] = ["MAD-001", "BCN-001", "VAL-001", "SEV-001"];
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("import.db");
    let cli = |args: &[&str]| run(inventory().args(args).env("INVENTORY_DB", &db));
    let (ok, _, stderr) = cli(&["seed-demo"]);
    assert!(ok, "{stderr}");
    let stock = |sku: &str, store: &str| {
        let inventory = inventory::Inventory::open(&db).expect("open");
        let product = inventory
            .products()
            .get_by_sku(&inventory::Sku::parse(sku).expect("sku"))
            .expect("a seeded product");
        let quantity = inventory
            .stock()
            .get(product.id, &inventory::StoreId::parse(store).expect("code"))
            .expect("stock")
            .quantity();
        inventory.close();
        quantity
    };
    let before = stock("HP-PAV-15", "MAD-001");

    // Row i restocks i % 3 + 1 units of one of the 32 pairs, in turn.
    let mut file = String::from("sku,store_id,quantity,quantity_change,reason\n");
    let mut expected = 0;
    for i in 0..10_000_usize {
        let (sku, store) = (SKUS[i % 8], STORES[(i / 8) % 4]);
        let units = i % 3 + 1;
        if (sku, store) == ("HP-PAV-15", "MAD-001") {
            expected += units as u32;
        }
        file.push_str(&format!("{sku},{store},,{units},RESTOCK\n"));
    }
    let path = dir.path().join("restock.csv");
    std::fs::write(&path, &file).expect("write the file");
    let path = path.to_str().expect("a UTF-8 path");

    let (ok, stdout, stderr) = cli(&["import", path]);
    assert!(ok, "{stderr}");
    for line in [
        "rows         10000",
        "applied      10000",
        "invalid      0",
        "rows/s",
    ] {
        assert!(stdout.contains(line), "the summary has {line:?}:\n{stdout}");
    }
    assert_eq!(stock("HP-PAV-15", "MAD-001"), before + expected);

    // The same file again: the default key is its SHA-256, so the first report is replayed.
    let (ok, stdout, stderr) = cli(&["import", path]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("already imported"), "{stdout}");
    assert_eq!(
        stock("HP-PAV-15", "MAD-001"),
        before + expected,
        "applied once"
    );

    // A file with a bad row: every row reported, nothing changed, a failing exit.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"sku\":\"HP-PAV-15\",\"store_id\":\"MAD-001\",\"quantity\":1}\n\
         {\"sku\":\"NO-SUCH\",\"store_id\":\"MAD-001\",\"quantity\":1}\n",
    )
    .expect("write the file");
    let (ok, stdout, stderr) = cli(&["import", bad.to_str().expect("a UTF-8 path")]);
    assert!(!ok, "invalid rows fail the command: {stdout}");
    assert!(stderr.contains("1 rows were invalid"), "{stderr}");
    assert!(stdout.contains("line 2: PRODUCT_NOT_FOUND"), "{stdout}");
    assert!(stdout.contains("nothing applied"), "{stdout}");
    assert_eq!(stock("HP-PAV-15", "MAD-001"), before + expected);
}

#[test]
fn import_products_refuses_duplicates_and_bad_rows_and_applies_all_or_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("products.db");
    let file = dir.path().join("products.csv");
    std::fs::write(
        &file,
        "sku,name,price,category\n\
         TOY-001,Camión de bomberos,19.99,toys\n\
         TOY-002,Pelota,4.50,\n\
         TOY-001,The same SKU again,1.00,\n\
         TOY-003,,3.00,\n\
         TOY-004,Muñeca,not-a-price,\n",
    )
    .expect("write the file");
    let cli = |args: &[&str]| {
        run(inventory()
            .args(["import", "--products"])
            .args(args)
            .arg(&file)
            .env("INVENTORY_DB", &db))
    };
    let (ok, stdout, _) = cli(&[]);
    assert!(!ok, "refused rows exit non-zero: {stdout}");
    assert!(stdout.contains("nothing applied"), "{stdout}");
    for expected in [
        "line 4: DUPLICATE_SKU",
        "line 5: VALIDATION_FAILED",
        "line 6: VALIDATION_FAILED",
    ] {
        assert!(stdout.contains(expected), "{expected}: {stdout}");
    }
    let inventory = inventory::Inventory::open(&db).expect("open");
    let page = inventory::Page::new(Some(10), None).expect("page");
    assert_eq!(
        inventory
            .products()
            .list(None, None, page)
            .expect("list")
            .total,
        0,
        "all or nothing: nothing created"
    );
    inventory.close();

    let (ok, stdout, _) = cli(&["--mode", "per-row"]);
    assert!(!ok, "{stdout}");
    assert!(stdout.contains("applied      2"), "{stdout}");
    let inventory = inventory::Inventory::open(&db).expect("open");
    let found = inventory
        .products()
        .list(None, Some("camion"), page)
        .expect("search");
    assert_eq!(found.total, 1);
    assert_eq!(found.data[0].details.sku.as_str(), "TOY-001");
    assert_eq!(
        inventory
            .products()
            .list(None, None, page)
            .expect("list")
            .total,
        2
    );
    inventory.close();
}
