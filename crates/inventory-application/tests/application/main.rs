//! The use cases and workers on the in-memory reference store (storage is not what these
//! tests are about; the contract suite checks every adapter): what each use case refuses and
//! with which error, what it asks of the clock and the id generator, availability across
//! stores, and the workers' logic with mocked ports.

mod availability;
mod expiry_worker;
mod imports;
mod mocked_ports;
mod refusals;
mod relay;
mod support;
mod webhook_worker;
