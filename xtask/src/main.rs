//! `cargo xtask`: denytrace's developer commands (set-up, build, test, demo, fuzz, soak). Every
//! command sets up what it needs first, echoes each command line it runs, and exits non-zero on
//! failure.

mod apt;
mod bench;
mod build;
mod cmd;
mod demo;
mod dist;
mod envfile;
mod fuzz;
mod linker;
mod mounts;
mod setup;
mod soak;
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
    /// Run every cargo-fuzz target of fuzz/ (or those named) for N seconds each.
    ///
    /// Installs cargo-fuzz if missing; builds with rustup's nightly when installed, else with the
    /// default toolchain and RUSTC_BOOTSTRAP=1. Seeds come from fuzz/corpus/TARGET, new inputs go
    /// to target/fuzz-corpus/TARGET, crashes to fuzz/artifacts/TARGET/.
    Fuzz {
        /// Seconds per target.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Targets to run (default: all).
        targets: Vec<String>,
    },
    /// Set up, build (release), then trace a mixed workload with periodic denials of every cause
    /// for N minutes and check that RSS stays flat, counts match the workload's own tally and
    /// nothing is lost.
    Soak {
        /// How long the workload runs.
        #[arg(long, default_value_t = 10)]
        minutes: u64,
        /// Also write the figures as JSON to this file.
        #[arg(long, value_name = "FILE")]
        json: Option<std::path::PathBuf>,
    },
    /// The traced side of `soak` (run by it under denytrace; not for direct use).
    #[command(hide = true)]
    SoakWorker(soak::WorkerArgs),
    /// Set up, then build one static `denytrace` file (eBPF object embedded) for CI jobs to
    /// fetch, and check that it runs alone from an empty directory.
    ///
    /// Uses the musl standard library when the toolchain has it, else builds it from rust-src
    /// with musl-gcc (Debian's musl-tools, libunwind-14-dev), else links glibc statically;
    /// DENYTRACE_DIST_WAY=musl|musl-build-std|glibc-static forces one. Writes
    /// target/dist/denytrace and denytrace.sha256 (or into --out DIR).
    Dist {
        /// Where to put the file.
        #[arg(long, value_name = "DIR")]
        out: Option<std::path::PathBuf>,
    },
    /// Set up, build (release), then measure denytrace's cost against an empty-program floor,
    /// the bpftrace one-liner and `strace -f -Z`, interleaved in one session, and print the table
    /// of docs/performance.md (also written to target/xtask/bench-latest.md).
    ///
    /// Installs bpftrace and strace when missing. Run it on a quiet machine: it takes about ten
    /// minutes (--quick: two, for checking the harness, not for numbers). Exits non-zero only when
    /// the storm's count is not exact; missed speed targets are reported in the table.
    Bench {
        /// Repetitions of the interleaved part (medians are taken over them).
        #[arg(long, default_value_t = 5)]
        reps: usize,
        /// Smaller loops, two repetitions and five start-ups.
        #[arg(long)]
        quick: bool,
    },
    // More commands are added here, one module each.
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Setup => setup::run().map(|_| ExitCode::SUCCESS),
        Command::Build { release } => build::run(release).map(|()| ExitCode::SUCCESS),
        Command::Test { cargo_test_args } => test::run(cargo_test_args).map(|()| ExitCode::SUCCESS),
        Command::Demo => demo::run(),
        Command::Bench { reps, quick } => bench::run(&bench::Options { reps, quick }),
        Command::Dist { out } => dist::run(out.as_deref()).map(|()| ExitCode::SUCCESS),
        Command::Fuzz { seconds, targets } => fuzz::run(seconds, &targets).map(|()| ExitCode::SUCCESS),
        Command::Soak { minutes, json } => soak::run(minutes, json.as_deref()).map(|()| ExitCode::SUCCESS),
        Command::SoakWorker(args) => soak::worker(&args).map(|()| ExitCode::SUCCESS),
    };
    result.unwrap_or_else(|e| {
        eprintln!("xtask: error: {e:#}");
        ExitCode::FAILURE
    })
}
