//! Marker library so that `tracer/build.rs` can depend on this crate; the programs are in `main.rs`.
#![no_std]
