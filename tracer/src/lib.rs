//! denytrace's user side: loads the kernel programs, follows the traced processes, decodes what the
//! kernel reports, explains each refused syscall and renders reports.
//!
//! The `denytrace` binary (`main.rs`) is a thin front over [`cli::main`].

pub mod artifacts;
pub mod attribution;
pub mod btf;
pub mod cli;
pub mod clock;
pub mod collect;
pub mod commands;
pub mod decode;
pub mod describe;
pub mod fate;
pub mod kernel;
pub mod loader;
pub mod markdown;
pub mod model;
pub mod names;
pub mod out;
pub mod procinfo;
pub mod render;
pub mod suggest;
pub mod syscalls;
pub mod text;
