//! bpf-linker, which links the eBPF object: checks for version 0.13.0 and otherwise builds it
//! from crates.io against Debian's LLVM 22 (statically linked, so it needs no libLLVM at run time).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};

use crate::{apt::Apt, cmd::Cmd, toolchain::LLVM_MAJOR, workspace};

/// The bpf-linker version this project is built with; its LLVM major is [`LLVM_MAJOR`].
pub const VERSION: &str = "0.13.0";

/// Debian's LLVM 22 installation (keep in step with [`LLVM_MAJOR`]), which bpf-linker's build script finds through `LLVM_PREFIX`.
const LLVM_PREFIX: &str = "/usr/lib/llvm-22";

/// What building bpf-linker against LLVM 22 needs.
const BUILD_PACKAGES: &[&str] = &[
    "llvm-22-dev",
    "libpolly-22-dev",
    "libzstd-dev",
    "zlib1g-dev",
    "libxml2-dev",
];

/// Makes sure `bpf-linker` 0.13.0 is the one found on `PATH`, installing it if needed.
pub fn ensure(apt: &mut Apt) -> Result<()> {
    match find()? {
        Some((path, version)) if version == VERSION => {
            eprintln!(
                "setup: bpf-linker {VERSION} already installed ({})",
                path.display()
            );
            return Ok(());
        }
        Some((path, version)) => eprintln!(
            "setup: bpf-linker at {} is version {version}, not {VERSION}: installing {VERSION}",
            path.display()
        ),
        None => {
            eprintln!("setup: bpf-linker not found: installing {VERSION} (takes about a minute)");
        }
    }
    apt.install(BUILD_PACKAGES)
        .context("installing what building bpf-linker needs")?;
    Cmd::new("cargo")
        .env("LLVM_PREFIX", LLVM_PREFIX)
        .path_prefix(&Path::new(LLVM_PREFIX).join("bin"))
        .args([
            "install",
            &format!("bpf-linker@{VERSION}"),
            "--locked",
            "--no-default-features",
        ])
        .args(["--features", &format!("llvm-{LLVM_MAJOR},llvm-link-static")])
        .no_stdin()
        .run()
        .context("installing bpf-linker")?;
    match find()? {
        Some((path, version)) if version == VERSION => {
            eprintln!("setup: bpf-linker {VERSION} installed ({})", path.display());
            Ok(())
        }
        Some((path, version)) => bail!(
            "bpf-linker {VERSION} was installed, but the bpf-linker found first is {} (version \
             {version}): remove it or put cargo's bin directory first in PATH",
            path.display()
        ),
        None => bail!("bpf-linker {VERSION} was installed but is not found"),
    }
}

/// The `bpf-linker` that rustc will run and its version. If it is not on `PATH` but cargo's bin
/// directory has one (a `PATH` without `~/.cargo/bin`), that directory is put in front of `PATH`.
/// If the one on `PATH` is not 0.13.0 but cargo's bin directory has 0.13.0, likewise.
fn find() -> Result<Option<(PathBuf, String)>> {
    let on_path = match workspace::which("bpf-linker") {
        Some(path) => Some((version(&path)?, path)),
        None => None,
    };
    if matches!(&on_path, Some((v, _)) if v == VERSION) {
        return Ok(on_path.map(|(v, p)| (p, v)));
    }
    if let Some(bin) = workspace::cargo_home_bin() {
        let candidate = bin.join("bpf-linker");
        if candidate.is_file() && on_path.as_ref().is_none_or(|(_, p)| *p != candidate) {
            let v = version(&candidate)?;
            if v == VERSION || on_path.is_none() {
                eprintln!(
                    "setup: putting {} in front of PATH (it has bpf-linker {v})",
                    bin.display()
                );
                workspace::prepend_path(&bin);
                return Ok(Some((candidate, v)));
            }
        }
    }
    Ok(on_path.map(|(v, p)| (p, v)))
}

/// `bpf-linker --version` prints `bpf-linker 0.13.0`; an unreadable answer is reported as such.
fn version(path: &Path) -> Result<String> {
    let out = Cmd::new(path).arg("--version").output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .split_whitespace()
        .nth(1)
        .filter(|_| out.status.success())
        .map_or_else(|| "unknown (`--version` failed)".to_owned(), str::to_owned))
}
