# Everyday commands. `just` is optional: each recipe is the plain cargo command it runs.
# (Install with `cargo install just`.)

# Run the server on ./inventory.db (SQLite only; set REDIS_URL to publish events).
run *ARGS:
    cargo run --bin inventory -- {{ARGS}}

# Run every test (needs a Redis on 127.0.0.1:6379 or INVENTORY_TEST_REDIS_URL).
test:
    cargo test --workspace

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
# database (with Redis when one answers on REDIS_URL or 127.0.0.1:6379), prints a markdown
# table and writes target/bench/latest.json. Options: -- --duration 8 --connections 64.
bench *ARGS:
    cargo build --release --bin inventory --bin inventory-bench
    target/release/inventory-bench {{ARGS}}
