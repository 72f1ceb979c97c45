//! The Redis adapter against a real Redis, driven by the application's outbox relay: the
//! stream's contents, a relay that died after publishing, outages and a Redis restarted
//! empty, the lease, and the consumer API. Each test uses its own stream on the shared Redis
//! (never flushed), or its own `redis-server` when it must stop Redis.

mod consumer;
mod relay;
mod support;
