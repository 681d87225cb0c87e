//! Fuzzing on the stable toolchain, inside the one test binary so that `.ci/run` runs it:
//! the handshake parser, every `wire.rs` decoder and the admin API's JSON bodies, each for
//! a fixed budget (`WSS_FUZZ_SECS`, default 60 s) from the seed corpus in `tests/corpus/`.
//! See RELIABILITY.md, "Fuzzing".

mod admin_api;
mod engine;
mod handshake;
mod wire;
