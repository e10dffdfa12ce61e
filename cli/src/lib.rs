//! The pure parts of the `capgate` command, as a library so they can be tested and fuzzed
//! without a process: everything here works on readers and writers, never on files, the
//! clock or the standard streams.
//!
//! The `capgate` binary (`src/main.rs`) is the only user besides the tests and the fuzz
//! targets (`fuzz/`).

pub mod stream;
