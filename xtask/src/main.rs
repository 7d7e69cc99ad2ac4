//! `cargo xtask`: denytrace's developer commands (set-up, build, test, demo). Every command sets
//! up what it needs first, echoes each command line it runs, and exits non-zero on failure.

mod apt;
mod build;
mod cmd;
mod demo;
mod envfile;
mod linker;
mod mounts;
mod setup;
mod test;
mod toolchain;
mod workspace;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Developer commands for denytrace. They need root: setup installs packages, and the tracer
/// loads eBPF programs.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
#[expect(
    clippy::doc_markdown,
    reason = "these doc comments are the --help text, read without markdown"
)]
enum Command {
    /// Install and check what building and testing denytrace needs (idempotent, fast when done).
    ///
    /// Installs bpf-linker 0.13.0 (built against Debian's LLVM 22) if missing; picks the toolchain
    /// for the eBPF crate, the first that works of rustup nightly + rust-src, rustup stable +
    /// rust-src + RUSTC_BOOTSTRAP=1, and Debian's rustc-web linked as `denytrace-debian`
    /// (DENYTRACE_TOOLCHAIN_WAY=nightly|stable|debian forces one); mounts tracefs and securityfs;
    /// saves the toolchain's environment in target/xtask/ebpf-toolchain.env.
    Setup,
    /// Set up, then build the denytrace binary and the test fixtures.
    Build {
        /// Build with the release profile.
        #[arg(long)]
        release: bool,
    },
    /// Set up, build, then run the whole test suite (`cargo test --workspace`).
    ///
    /// Arguments after `--` are passed to `cargo test`, for example
    /// `cargo xtask test -- --package denytrace-tests -- --nocapture` (with `-p`/`--package`
    /// among them, `--workspace` is left out).
    Test {
        /// Extra arguments for `cargo test`.
        #[arg(last = true, value_name = "CARGO_TEST_ARGS")]
        cargo_test_args: Vec<String>,
    },
    /// Set up, build, then show denytrace explaining why python's `os.openpty()` fails in a
    /// Landlock sandbox like NVIDIA OpenShell's.
    Demo,
    // More commands (bench, fuzz, soak, dist) are added here, one module each.
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Setup => setup::run().map(|_| ExitCode::SUCCESS),
        Command::Build { release } => build::run(release).map(|()| ExitCode::SUCCESS),
        Command::Test { cargo_test_args } => test::run(cargo_test_args).map(|()| ExitCode::SUCCESS),
        Command::Demo => demo::run(),
    };
    result.unwrap_or_else(|e| {
        eprintln!("xtask: error: {e:#}");
        ExitCode::FAILURE
    })
}
