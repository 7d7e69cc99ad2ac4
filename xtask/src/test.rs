//! `cargo xtask test`: the whole test suite as phases run in order, each with a banner; the first
//! failing phase stops the run and makes it exit non-zero. A phase is one function in [`PHASES`].

use anyhow::{bail, Result};

use crate::{
    build,
    cmd::Cmd,
    fuzz,
    setup::{self, EbpfEnv},
    workspace,
};

/// What the phases share.
pub struct Ctx {
    /// Arguments after `--`, appended to `cargo test`.
    pub cargo_test_args: Vec<String>,
    /// Set by the setup phase.
    pub env: EbpfEnv,
}

/// One phase of the suite.
struct Phase {
    name: &'static str,
    run: fn(&mut Ctx) -> Result<()>,
}

/// The phases, in order. To add one, write a `fn(&mut Ctx) -> Result<()>` and list it here.
const PHASES: &[Phase] = &[
    Phase {
        name: "setup",
        run: phase_setup,
    },
    Phase {
        name: "build",
        run: phase_build,
    },
    Phase {
        name: "dist",
        run: phase_dist,
    },
    Phase {
        name: "cargo test",
        run: phase_cargo_test,
    },
    Phase {
        name: "fuzz smoke",
        run: phase_fuzz_smoke,
    },
];

pub fn run(cargo_test_args: Vec<String>) -> Result<()> {
    let mut ctx = Ctx {
        cargo_test_args,
        env: Vec::new(),
    };
    let total = PHASES.len();
    let mut passed: Vec<&str> = Vec::new();
    for (i, phase) in PHASES.iter().enumerate() {
        banner(&format!("phase {}/{total}: {}", i + 1, phase.name));
        if let Err(e) = (phase.run)(&mut ctx) {
            let skipped: Vec<&str> = PHASES[i + 1..].iter().map(|p| p.name).collect();
            banner(&format!("phase `{}` FAILED", phase.name));
            eprintln!("xtask test: phase `{}` failed: {e:#}", phase.name);
            if !passed.is_empty() {
                eprintln!("xtask test: phases that passed: {}", passed.join(", "));
            }
            if !skipped.is_empty() {
                eprintln!("xtask test: phases not run: {}", skipped.join(", "));
            }
            bail!("the test suite failed in phase `{}`", phase.name);
        }
        passed.push(phase.name);
    }
    banner(&format!("all {total} phases ok: {}", passed.join(", ")));
    Ok(())
}

fn banner(text: &str) {
    eprintln!("\n==================== xtask test: {text} ====================");
}

fn phase_setup(ctx: &mut Ctx) -> Result<()> {
    ctx.env = setup::run()?;
    Ok(())
}

/// The integration tests run the built `denytrace` binary, which `cargo test` alone would not
/// build (it belongs to another package than the tests).
fn phase_build(ctx: &mut Ctx) -> Result<()> {
    build::cargo_build(&ctx.env, false)
}

/// The static single-file binary, which tests/tests/dist.rs runs alone from an empty directory.
fn phase_dist(ctx: &mut Ctx) -> Result<()> {
    crate::dist::build_checked(&ctx.env, None)
}

fn phase_cargo_test(ctx: &mut Ctx) -> Result<()> {
    let mut cmd = Cmd::new("cargo").envs(&ctx.env).arg("test");
    if !selects_packages(&ctx.cargo_test_args) {
        cmd = cmd.args(["--workspace", "--exclude", workspace::EBPF_PACKAGE]);
    }
    cmd.args(&ctx.cargo_test_args)
        .current_dir(workspace::root())
        .no_stdin()
        .run()
}

/// Every fuzz target for [`fuzz::SMOKE_SECONDS`] seconds. cargo-fuzz comes from the registry on
/// first use and needs no toolchain beyond the default one (see `fuzz.rs`), so it is expected
/// everywhere: under `CI=true` a failure to install it fails the phase; elsewhere it is skipped
/// with a loud note. Skipped when the extra `cargo test` arguments choose packages (a narrowed run).
fn phase_fuzz_smoke(ctx: &mut Ctx) -> Result<()> {
    if selects_packages(&ctx.cargo_test_args) {
        eprintln!("xtask test: packages were chosen: fuzz smoke run left out");
        return Ok(());
    }
    if let Err(e) = fuzz::ensure_cargo_fuzz() {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            return Err(e.context("cargo-fuzz is required under CI=true"));
        }
        eprintln!("\n*** SKIPPED (not in CI): fuzz smoke run: {e:#} ***\n");
        return Ok(());
    }
    fuzz::run_targets(&fuzz::targets()?, fuzz::SMOKE_SECONDS)
}

/// Whether the extra `cargo test` arguments choose packages themselves (`-p`/`--package`), in
/// which case `--workspace`, which would override them, is left out.
fn selects_packages(args: &[String]) -> bool {
    args.iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "--package" || a.starts_with("--package=") || a.starts_with("-p"))
}

#[cfg(test)]
mod tests {
    use super::selects_packages;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|&a| a.to_owned()).collect()
    }

    #[test]
    fn package_selection() {
        assert!(!selects_packages(&args(&[])));
        assert!(!selects_packages(&args(&["--release", "--", "-p"])));
        assert!(selects_packages(&args(&["-p", "xtask"])));
        assert!(selects_packages(&args(&["-pxtask"])));
        assert!(selects_packages(&args(&[
            "--package=xtask",
            "--",
            "--nocapture"
        ])));
    }
}
