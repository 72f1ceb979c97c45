# Multi-stage build of the `inventory` server: build with the Rust toolchain, run on a slim
# Debian as an unprivileged user. SQLite is bundled into the binary; nothing else is needed.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin inventory \
    && cp target/release/inventory /usr/local/bin/inventory

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home inventory
COPY --from=build /usr/local/bin/inventory /usr/local/bin/inventory
USER inventory
WORKDIR /data
VOLUME ["/data"]
ENV INVENTORY_BIND=0.0.0.0:8080 \
    INVENTORY_DB=/data/inventory.db \
    INVENTORY_LOG_FORMAT=json
EXPOSE 8080
# Asks the server on INVENTORY_BIND for /health (200 while the database answers).
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD ["inventory", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/inventory"]
CMD ["serve"]
