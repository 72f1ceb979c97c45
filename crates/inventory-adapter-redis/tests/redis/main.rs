//! The Redis adapter against a real Redis: the relay's stream contents, crash recovery,
//! outages, the lease, and the consumer API. Each test uses its own stream on the shared
//! Redis (never flushed), or its own `redis-server` when it must stop Redis.

mod consumer;
mod relay;
mod relay_logic;
mod support;
