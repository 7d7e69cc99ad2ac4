//! `cargo xtask fuzz [--seconds N] [TARGET...]`: runs the cargo-fuzz targets of `fuzz/` (every one,
//! or those named) for N seconds each, and the short smoke run of `cargo xtask test`.
//!
//! cargo-fuzz needs unstable compiler flags: the rustup `nightly` toolchain when it is installed,
//! else the default toolchain with `RUSTC_BOOTSTRAP=1` (a fresh machine has only that one, and
//! nothing else can be fetched). cargo-fuzz itself is installed from the registry on first use.
//! The committed seeds in `fuzz/corpus/TARGET` are read; what the fuzzer finds goes to
//! `target/fuzz-corpus/TARGET`, and crashes to `fuzz/artifacts/TARGET/` (see docs/reliability.md).

use std::{fs, path::PathBuf};

use anyhow::{bail, Context as _, Result};

use crate::{cmd::Cmd, workspace};

/// The cargo-fuzz release that is installed when none is.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Seconds per target in the smoke phase of `cargo xtask test`.
pub const SMOKE_SECONDS: u64 = 10;

/// How the fuzz targets are built.
pub struct Toolchain {
    /// `+nightly` or `+stable`-like argument for the rustup cargo proxy, if any.
    plus: Option<String>,
    /// Whether `RUSTC_BOOTSTRAP=1` is needed.
    bootstrap: bool,
}

impl Toolchain {
    /// The rustup `nightly` toolchain when installed (nothing is downloaded), else the default
    /// toolchain with `RUSTC_BOOTSTRAP=1`.
    fn pick() -> Self {
        let nightly = Cmd::new("rustup")
            .args(["toolchain", "list"])
            .stdout()
            .is_ok_and(|list| list.lines().any(|l| l.starts_with("nightly")));
        if nightly {
            Self { plus: Some("+nightly".to_owned()), bootstrap: false }
        } else {
            eprintln!("fuzz: no rustup nightly toolchain: using the default one with RUSTC_BOOTSTRAP=1");
            Self { plus: None, bootstrap: true }
        }
    }

    /// `cargo [+toolchain] fuzz`, from the repository root, with the environment the targets need.
    fn cargo_fuzz(&self) -> Cmd {
        let mut cmd = Cmd::new("cargo");
        if let Some(plus) = &self.plus {
            cmd = cmd.arg(plus);
        }
        cmd = cmd.arg("fuzz");
        if self.bootstrap {
            cmd = cmd.env("RUSTC_BOOTSTRAP", "1");
        }
        // The targets exercise user-space code only: no eBPF object is built into them.
        cmd.env("AYA_BUILD_SKIP", "1").current_dir(workspace::root()).no_stdin()
    }
}

/// Whether `cargo fuzz` runs.
fn cargo_fuzz_installed() -> bool {
    Cmd::new("cargo").args(["fuzz", "--version"]).stdout().is_ok()
}

/// Installs cargo-fuzz when it is missing.
pub fn ensure_cargo_fuzz() -> Result<()> {
    if cargo_fuzz_installed() {
        return Ok(());
    }
    eprintln!("fuzz: cargo-fuzz not found: installing {CARGO_FUZZ_VERSION} (takes about a minute)");
    Cmd::new("cargo")
        .args(["install", &format!("cargo-fuzz@{CARGO_FUZZ_VERSION}"), "--locked"])
        .no_stdin()
        .run()
        .context("installing cargo-fuzz")?;
    if !cargo_fuzz_installed() {
        bail!("cargo-fuzz was installed but `cargo fuzz --version` still fails (is ~/.cargo/bin on PATH?)");
    }
    Ok(())
}

/// The targets: `fuzz/fuzz_targets/*.rs`, sorted.
pub fn targets() -> Result<Vec<String>> {
    let dir = workspace::root().join("fuzz/fuzz_targets");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    if names.is_empty() {
        bail!("no fuzz targets in {}", dir.display());
    }
    Ok(names)
}

/// `cargo xtask fuzz`.
pub fn run(seconds: u64, only: &[String]) -> Result<()> {
    ensure_cargo_fuzz()?;
    let all = targets()?;
    for name in only {
        if !all.contains(name) {
            bail!("no fuzz target `{name}` (there are: {})", all.join(", "));
        }
    }
    let chosen = if only.is_empty() { all } else { only.to_vec() };
    run_targets(&chosen, seconds)
}

/// Builds the targets once, then runs each for `seconds`; every target runs even when one fails.
pub fn run_targets(targets: &[String], seconds: u64) -> Result<()> {
    let toolchain = Toolchain::pick();
    toolchain.cargo_fuzz().arg("build").run().context("building the fuzz targets")?;
    let mut failed = Vec::new();
    for target in targets {
        let seeds = workspace::root().join("fuzz/corpus").join(target);
        let found: PathBuf = workspace::target_dir().join("fuzz-corpus").join(target);
        fs::create_dir_all(&found).with_context(|| format!("creating {}", found.display()))?;
        fs::create_dir_all(&seeds).with_context(|| format!("creating {}", seeds.display()))?;
        eprintln!("fuzz: {target}: {seconds} s");
        let status = toolchain
            .cargo_fuzz()
            .args(["run", target])
            .arg(&found)
            .arg(&seeds)
            .args([
                "--",
                &format!("-max_total_time={seconds}"),
                "-timeout=10",
                "-rss_limit_mb=2048",
                "-print_final_stats=1",
            ])
            .status()?;
        if !status.success() {
            eprintln!(
                "fuzz: {target} FAILED ({}); the input is in fuzz/artifacts/{target}/; replay it with \
                 `cargo fuzz run {target} fuzz/artifacts/{target}/<file>`",
                crate::cmd::describe(status)
            );
            failed.push(target.as_str());
        }
    }
    if !failed.is_empty() {
        bail!("fuzz targets failed: {}", failed.join(", "));
    }
    eprintln!("fuzz: {} target(s) ran {seconds} s each without a failure", targets.len());
    Ok(())
}
