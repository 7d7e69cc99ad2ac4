//! `cargo xtask setup`: checks for root, installs bpf-linker 0.13.0, finds (or installs) a
//! toolchain that builds the eBPF crate, mounts tracefs and securityfs, and saves the toolchain's
//! environment. Idempotent, and fast once done: every other command runs it first.

use std::fs;

use anyhow::{bail, Result};

use crate::{
    apt::Apt,
    envfile, linker, mounts,
    toolchain::{self, Ready, Way},
    workspace,
};

/// What the integration tests run besides the workspace's binaries: `bpftool` (checking that
/// nothing stays loaded), `python3` (the `os.openpty()` case), `util-linux` (`prlimit`, `setpriv`,
/// `mount`) and `dash` (`sh`).
const TEST_PACKAGES: &[&str] = &["bpftool", "python3", "util-linux", "mount", "dash"];

/// The environment that cargo needs to build the eBPF crate (`KEY`, `VALUE`).
pub type EbpfEnv = Vec<(String, String)>;

/// Runs every set-up step and returns the environment for cargo.
pub fn run() -> Result<EbpfEnv> {
    let forced = Way::forced()?;
    check_root()?;
    let mut apt = Apt::default();
    linker::ensure(&mut apt)?;
    let ready = choose_toolchain(forced, &mut apt)?;
    apt.install(TEST_PACKAGES)?;
    mounts::ensure();
    envfile::write(ready.way)?;
    let env = ready.way.env();
    let shown: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!(
        "setup: done: eBPF toolchain `{}` ({}, LLVM {}), build env: {}",
        ready.way.toolchain(),
        ready.rustc,
        ready.llvm,
        shown.join(" ")
    );
    Ok(env)
}

/// Installing packages, building bpf-linker into root's cargo and mounting need root; so do
/// loading the eBPF programs in the demo and the tests.
fn check_root() -> Result<()> {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    // "Uid:	real	effective	saved	fs"
    let euid = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .map(str::to_owned);
    match euid.as_deref() {
        Some("0") => {
            eprintln!("setup: running as root");
            Ok(())
        }
        Some(uid) => bail!(
            "setup needs root (uid 0), this is uid {uid}: it installs Debian packages and mounts \
             tracefs, and denytrace loads eBPF programs; run it with sudo or as root"
        ),
        None => bail!("could not read the effective uid from /proc/self/status"),
    }
}

/// The saved way if it still works (and is not overridden), else the first way that works.
fn choose_toolchain(forced: Option<Way>, apt: &mut Apt) -> Result<Ready> {
    let file = workspace::display(&envfile::path());
    match envfile::read()?.as_deref().map(envfile::way_of) {
        None => eprintln!("setup: no {file} yet: finding an eBPF toolchain"),
        Some(None) => eprintln!("setup: {file} names no known toolchain: finding one again"),
        Some(Some(saved)) if forced.is_some_and(|f| f != saved) => eprintln!(
            "setup: {}={} overrides way `{}` saved in {file}",
            toolchain::FORCE_VAR,
            forced.map_or("", Way::name),
            saved.name()
        ),
        Some(Some(saved)) => match toolchain::verify(saved) {
            Ok(ready) => {
                eprintln!(
                    "setup: eBPF toolchain from {file} still works: way `{}` ({saved})",
                    saved.name()
                );
                return Ok(ready);
            }
            Err(e) => eprintln!(
                "setup: way `{}` from {file} no longer works ({e:#}): probing again",
                saved.name()
            ),
        },
    }
    let ways: Vec<Way> = match forced {
        Some(way) => {
            eprintln!(
                "setup: {}={} forces that way alone",
                toolchain::FORCE_VAR,
                way.name()
            );
            vec![way]
        }
        None => Way::ALL.to_vec(),
    };
    let count = ways.len();
    for (i, way) in ways.into_iter().enumerate() {
        eprintln!("setup: trying way `{}` ({way})", way.name());
        match toolchain::provide(way, apt) {
            Ok(ready) => {
                eprintln!(
                    "setup: way `{}` works: {}, LLVM {}",
                    way.name(),
                    ready.rustc,
                    ready.llvm
                );
                return Ok(ready);
            }
            Err(e) if i + 1 < count => {
                eprintln!(
                    "setup: way `{}` did not work, trying the next: {e:#}",
                    way.name()
                );
            }
            Err(e) => {
                eprintln!("setup: way `{}` did not work: {e:#}", way.name());
            }
        }
    }
    if let Some(way) = forced {
        bail!(
            "way `{}`, forced by {}, did not work (see above); unset it to try every way",
            way.name(),
            toolchain::FORCE_VAR
        );
    }
    bail!(
        "no way to build the eBPF crate worked (see the notes above and docs/development.md); \
         rustc's LLVM major must be {} like bpf-linker {}'s",
        toolchain::LLVM_MAJOR,
        linker::VERSION
    )
}
