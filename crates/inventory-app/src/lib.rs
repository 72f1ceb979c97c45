//! # inventory-app
//!
//! The `inventory` binary's library: settings and CLI ([`settings`]), the server with its
//! workers ([`application`]), and the small commands (`token`, `seed-demo`). `main.rs` only
//! parses the command line and calls in here, so tests can start the real server in process.
//!
//! Wiring, from the outside in: [`settings::Settings`] → [`application::Application::build`]
//! opens the inventory (`inventory` crate), builds the HTTP server (`inventory-adapter-http`)
//! on a bound listener, and [`application::Application::run_until`] runs it with the
//! library's workers (expiry, outbox relay) and the live feed until a shutdown signal. No
//! logic lives here that the library or an adapter could own.

pub mod application;
pub mod check;
pub mod events;
pub mod healthcheck;
pub mod import;
pub mod operations;
pub mod seed_demo;
pub mod settings;
pub mod telemetry;
pub mod token;

pub use application::{Application, open_inventory, shutdown_signal};
pub use settings::{Cli, Command, Settings};
