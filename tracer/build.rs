//! Builds the kernel-side crate (`tracer-ebpf`) for `bpfel-unknown-none` and leaves the object in
//! `OUT_DIR/denytrace`, which `src/loader.rs` embeds.
//!
//! The toolchain comes from `DENYTRACE_EBPF_TOOLCHAIN` (set by `cargo xtask setup`/`build`; default
//! `nightly`). With `AYA_BUILD_SKIP=1` an empty object is written instead, so the user-space code can
//! be checked without the eBPF toolchain; such a binary refuses to load with a clear error.

use std::{env, fs, path::PathBuf};

use anyhow::{Context as _, anyhow};
use aya_build::{Package, Toolchain};

fn main() -> anyhow::Result<()> {
    println!("cargo:rerun-if-env-changed=DENYTRACE_EBPF_TOOLCHAIN");
    println!("cargo:rerun-if-env-changed=AYA_BUILD_SKIP");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or_else(|| anyhow!("OUT_DIR not set"))?);
    let object = out_dir.join("denytrace");
    let skip = env::var("AYA_BUILD_SKIP").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    if skip {
        if !object.exists() {
            fs::write(&object, b"").context("writing the empty placeholder object")?;
        }
        return Ok(());
    }
    let toolchain = env::var("DENYTRACE_EBPF_TOOLCHAIN").unwrap_or_else(|_| "nightly".to_owned());
    let toolchain: &'static str = Box::leak(toolchain.into_boxed_str());
    let ebpf_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tracer-ebpf");
    let root_dir = ebpf_dir
        .to_str()
        .ok_or_else(|| anyhow!("the tracer-ebpf path is not UTF-8"))?;
    let toolchain = if toolchain == "nightly" { Toolchain::Nightly } else { Toolchain::Custom(toolchain) };
    aya_build::build_ebpf(
        [Package { name: "denytrace-ebpf", root_dir, ..Package::default() }],
        toolchain,
    )
    .context("building the eBPF programs (run `cargo xtask setup` first)")
}
