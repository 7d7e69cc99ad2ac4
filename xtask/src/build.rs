//! `cargo xtask build`: set-up, then `cargo build` of every host binary (the denytrace tracer and
//! the test fixtures) with the eBPF toolchain's environment.

use anyhow::{Context as _, Result};

use crate::{
    cmd::Cmd,
    setup::{self, EbpfEnv},
    workspace,
};

pub fn run(release: bool) -> Result<()> {
    let env = setup::run()?;
    cargo_build(&env, release)
}

/// `cargo build --workspace --exclude denytrace-ebpf --bins [--release]`: the eBPF crate is left
/// out because it builds only for bpfel (`tracer/build.rs` builds it through aya-build); built for
/// the host, its `denytrace` binary would also collide with the tracer's.
pub fn cargo_build(env: &EbpfEnv, release: bool) -> Result<()> {
    let mut cmd = Cmd::new("cargo").envs(env).args([
        "build",
        "--workspace",
        "--exclude",
        workspace::EBPF_PACKAGE,
        "--bins",
    ]);
    if release {
        cmd = cmd.arg("--release");
    }
    cmd.current_dir(workspace::root()).run().context(
        "building the workspace failed; if the `denytrace` build script failed, the eBPF \
             crate did not build and its errors are among the warnings above",
    )
}
