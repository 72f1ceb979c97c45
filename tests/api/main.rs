//! End-to-end tests of the `inventory` server: the real server on a free port with a
//! temporary database (started in this process, or as the `inventory` binary), talked to over
//! HTTP like a till, a web shop or an operator would.
//!
//! One test binary with modules, so the workspace links it once.

mod abuse;
mod auth;
mod bad_input;
mod binary;
mod carts;
mod cluster;
mod concurrency;
mod copy;
mod dashboard;
mod events;
mod expiry;
mod flows;
mod history;
mod idempotency;
mod imports;
mod odd_requests;
mod operations;
mod support;
mod transfers;
mod webhooks;
