# Everyday commands. `just` is optional: each recipe is the plain cargo command it runs.
# (Install with `cargo install just`.)

# Run the server on ./inventory.db (SQLite only; set REDIS_URL to publish events).
run *ARGS:
    cargo run --bin inventory -- {{ARGS}}

# Run every test (needs Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432, or
# INVENTORY_TEST_REDIS_URL and INVENTORY_TEST_DATABASE_URL).
test:
    cargo test --workspace

# Fuzz the real server from its OpenAPI document with schemathesis, as every role (CI runs
# it with 10 examples). A longer run: just fuzz 200, or FUZZ_SEED=<n> for other cases.
fuzz EXAMPLES="10":
    FUZZ_EXAMPLES={{EXAMPLES}} bash tests/fuzz/schemathesis.sh

# The fault suite (FAULTS.md): kill -9, power cuts, Redis outages, storage and PostgreSQL
# faults, clock jumps. `just faults --long` for the long form, `-- --seed N kill9` to replay.
faults *ARGS:
    cargo test -p inventory-app --test faults -- {{ARGS}}

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Format the code.
fmt:
    cargo fmt --all

# Add the demo catalogue to ./inventory.db.
seed:
    cargo run --bin inventory -- seed-demo

# The embedding example.
example:
    cargo run --example embedded

# Crate documentation.
doc:
    cargo doc --workspace --no-deps

# The benchmark suite: builds in release mode, starts the real server on a temporary
# database (with Redis when one answers on REDIS_URL or 127.0.0.1:6379), then one and two
# instances on PostgreSQL beside pgbench (when one answers on INVENTORY_BENCH_DATABASE_URL or
# 127.0.0.1:5432), prints a markdown table and writes target/bench/latest.json.
# Options: -- --duration 8 --connections 64 --no-postgres --only-postgres.
bench *ARGS:
    cargo build --release --bin inventory --bin inventory-bench
    target/release/inventory-bench {{ARGS}}

# The two-instance cluster on PostgreSQL behind nginx (needs both secrets set; see README).
cluster:
    docker compose --profile cluster up -d --build
