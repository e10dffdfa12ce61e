//! The integration test binary: the public API only (`use capgate::*`), data-driven.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::missing_panics_doc,
    reason = "tests fail by panicking"
)]

mod alternatives;
mod changes;
mod corpus;
mod diff;
mod explain;
mod guarantees;
mod hostile;
mod oracle;
mod properties;
mod public_api;
mod ruletest;
mod schema;
mod sensitive;
