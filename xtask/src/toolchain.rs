//! The Rust toolchain that builds the eBPF crate for `bpfel-unknown-none`, in three ways (see
//! docs/development.md): rustup `nightly` + rust-src, rustup `stable` + rust-src with
//! `RUSTC_BOOTSTRAP=1`, or Debian's `rustc-web` with a prebuilt `core` for bpfel, linked into rustup
//! as `denytrace-debian`. Whatever the way, rustc's LLVM major must equal bpf-linker's (22).

use std::{
    fmt, fs,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{bail, Context as _, Result};

use crate::{apt, apt::Apt, cmd::Cmd, linker, workspace};

/// The LLVM major of bpf-linker 0.13.0 as built by `setup` (rustc 1.95 to 1.98 use LLVM 22).
pub const LLVM_MAJOR: u32 = 22;

/// The name under which Debian's rustc and cargo are linked into rustup.
pub const DEBIAN_TOOLCHAIN: &str = "denytrace-debian";

/// Debian's rustc 1.96 (LLVM 22), its cargo, and `core` prebuilt for bpfel/bpfeb.
const DEBIAN_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "libstd-rust-web-dev-bpf"];

/// The environment variable that forces one way (`nightly`, `stable` or `debian`).
pub const FORCE_VAR: &str = "DENYTRACE_TOOLCHAIN_WAY";

/// Downloads from rustup's server may hang rather than fail; give up after this long.
const RUSTUP_INSTALL_LIMIT: Duration = Duration::from_secs(10 * 60);
const RUSTUP_COMPONENT_LIMIT: Duration = Duration::from_secs(5 * 60);

/// One way to get a toolchain that builds the eBPF crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// rustup's `nightly` with rust-src: aya-build adds `-Z build-std=core`.
    Nightly,
    /// rustup's `stable` with rust-src and `RUSTC_BOOTSTRAP=1` (which makes aya-build add
    /// `-Z build-std=core`).
    Stable,
    /// Debian's rustc-web/cargo-web with the prebuilt `core` for bpfel, linked into rustup as
    /// `denytrace-debian`; `RUSTC_BOOTSTRAP=aya_ebpf,denytrace_ebpf` lets only aya-ebpf and our eBPF crate (inline `asm!` for atomic adds) use unstable features.
    Debian,
}

impl Way {
    /// In the order they are tried.
    pub const ALL: [Self; 3] = [Self::Nightly, Self::Stable, Self::Debian];

    /// The name used by `DENYTRACE_TOOLCHAIN_WAY`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Nightly => "nightly",
            Self::Stable => "stable",
            Self::Debian => "debian",
        }
    }

    /// The rustup toolchain that aya-build runs (`rustup run <toolchain> cargo build ...`).
    pub fn toolchain(self) -> &'static str {
        match self {
            Self::Nightly => "nightly",
            Self::Stable => "stable",
            Self::Debian => DEBIAN_TOOLCHAIN,
        }
    }

    /// The way whose toolchain is `toolchain`.
    pub fn from_toolchain(toolchain: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|way| way.toolchain() == toolchain)
    }

    /// The environment for cargo, and through it for `tracer/build.rs` and aya-build.
    pub fn env(self) -> Vec<(String, String)> {
        let mut env = vec![(
            "DENYTRACE_EBPF_TOOLCHAIN".to_owned(),
            self.toolchain().to_owned(),
        )];
        match self {
            Self::Nightly => {}
            Self::Stable => env.push(("RUSTC_BOOTSTRAP".to_owned(), "1".to_owned())),
            Self::Debian => env.push(("RUSTC_BOOTSTRAP".to_owned(), "aya_ebpf,denytrace_ebpf".to_owned())),
        }
        env
    }

    /// The way forced by `DENYTRACE_TOOLCHAIN_WAY`, if it is set.
    pub fn forced() -> Result<Option<Self>> {
        let Some(value) = std::env::var_os(FORCE_VAR).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let value = value.to_string_lossy();
        Self::ALL
            .into_iter()
            .find(|way| way.name() == value)
            .map(Some)
            .with_context(|| format!("{FORCE_VAR}={value}: expected nightly, stable or debian"))
    }
}

impl fmt::Display for Way {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Nightly => "rustup nightly + rust-src",
            Self::Stable => "rustup stable + rust-src + RUSTC_BOOTSTRAP=1",
            Self::Debian => "Debian rustc-web linked as denytrace-debian",
        })
    }
}

/// A way that works, with what its rustc said about itself.
pub struct Ready {
    pub way: Way,
    /// For example `rustc 1.97.0-nightly (4d91de4e4 2026-04-02)`.
    pub rustc: String,
    /// For example `22.1.4`.
    pub llvm: String,
}

/// What `rustc -vV` says.
struct RustcInfo {
    first_line: String,
    llvm: String,
}

/// Checks, without installing anything, that `way` can build the eBPF crate now.
pub fn verify(way: Way) -> Result<Ready> {
    let toolchain = way.toolchain();
    let info = rustc_info(toolchain)?;
    check_llvm(toolchain, &info)?;
    match way {
        Way::Nightly | Way::Stable => {
            if !has_rust_src(toolchain)? {
                bail!("rustup toolchain `{toolchain}` has no rust-src component");
            }
        }
        Way::Debian => {
            rustup_run(toolchain, "cargo").arg("--version").stdout()?;
            check_prebuilt_core(toolchain)?;
        }
    }
    Ok(Ready {
        way,
        rustc: info.first_line,
        llvm: info.llvm,
    })
}

/// Gets `way` working, installing what it lacks, then verifies it.
pub fn provide(way: Way, apt: &mut Apt) -> Result<Ready> {
    if workspace::which("rustup").is_none() {
        bail!("rustup is not on PATH (aya-build runs `rustup run <toolchain> cargo build`)");
    }
    match way {
        Way::Nightly | Way::Stable => provide_rustup(way)?,
        Way::Debian => provide_debian(apt)?,
    }
    verify(way)
}

fn provide_rustup(way: Way) -> Result<()> {
    let toolchain = way.toolchain();
    let info = match rustc_info(toolchain) {
        Ok(info) => info,
        Err(_) if way == Way::Nightly => {
            eprintln!("setup: rustup has no working `nightly` toolchain: installing it");
            rustup()
                .args(["toolchain", "install", "nightly", "--profile", "minimal"])
                .timeout(RUSTUP_INSTALL_LIMIT)
                .no_stdin()
                .run()?;
            rustc_info(toolchain)?
        }
        Err(e) => return Err(e),
    };
    // Before downloading rust-src: a toolchain with another LLVM major is no use anyway.
    check_llvm(toolchain, &info)?;
    if has_rust_src(toolchain)? {
        eprintln!("setup: rustup `{toolchain}` already has rust-src");
    } else {
        eprintln!("setup: adding rust-src to rustup `{toolchain}`");
        rustup()
            .args(["component", "add", "rust-src", "--toolchain", toolchain])
            .timeout(RUSTUP_COMPONENT_LIMIT)
            .no_stdin()
            .run()?;
    }
    Ok(())
}

fn provide_debian(apt: &mut Apt) -> Result<()> {
    if !apt::is_debian() {
        bail!("not Debian (/etc/os-release), and the rustc-web packages are Debian's");
    }
    apt.install(DEBIAN_PACKAGES)?;
    let prefix = debian_prefix()?;
    if let Ok(sysroot) = rustup_run(DEBIAN_TOOLCHAIN, "rustc")
        .args(["--print", "sysroot"])
        .stdout()
    {
        if prefix.as_path() == Path::new(sysroot.trim()) {
            eprintln!(
                "setup: rustup toolchain {DEBIAN_TOOLCHAIN} already links {}",
                prefix.display()
            );
            return Ok(());
        }
    }
    let listed = rustup().args(["toolchain", "list"]).stdout()?;
    if listed
        .lines()
        .any(|line| line.split_whitespace().next() == Some(DEBIAN_TOOLCHAIN))
    {
        rustup()
            .args(["toolchain", "uninstall", DEBIAN_TOOLCHAIN])
            .no_stdin()
            .run()?;
    }
    eprintln!(
        "setup: linking Debian's rustc and cargo in {} as {DEBIAN_TOOLCHAIN}",
        prefix.display()
    );
    rustup()
        .args(["toolchain", "link", DEBIAN_TOOLCHAIN])
        .arg(&prefix)
        .no_stdin()
        .run()
}

/// The directory whose `bin/` has both the rustc of `rustc-web` and the cargo of `cargo-web`
/// (`/usr` on Debian 12), from the packages' file lists.
fn debian_prefix() -> Result<PathBuf> {
    let files = apt::files(&["rustc-web", "cargo-web"])?;
    let prefixes_of = |program: &str| -> Vec<PathBuf> {
        let suffix = format!("/bin/{program}");
        files
            .iter()
            .filter_map(|f| f.strip_suffix(&suffix))
            .map(PathBuf::from)
            .filter(|prefix| prefix.join("bin").join(program).is_file())
            .collect()
    };
    let cargo_prefixes = prefixes_of("cargo");
    prefixes_of("rustc")
        .into_iter()
        .find(|prefix| cargo_prefixes.contains(prefix))
        .context("rustc-web and cargo-web have no bin/rustc and bin/cargo in one directory")
}

/// `rustup`, never installing a missing toolchain on the way, and without the stack backtraces
/// that it would print for a failed download when `RUST_BACKTRACE` is set.
fn rustup() -> Cmd {
    Cmd::new("rustup")
        .env_silent("RUSTUP_AUTO_INSTALL", "0")
        .env_silent("RUST_BACKTRACE", "0")
}

/// `rustup run <toolchain> <program>`.
fn rustup_run(toolchain: &str, program: &str) -> Cmd {
    rustup().args(["run", toolchain, program])
}

fn rustc_info(toolchain: &str) -> Result<RustcInfo> {
    let text = rustup_run(toolchain, "rustc").arg("-vV").stdout()?;
    let first_line = text.lines().next().unwrap_or_default().trim().to_owned();
    let llvm = text
        .lines()
        .find_map(|line| line.strip_prefix("LLVM version:"))
        .map(|v| v.trim().to_owned())
        .with_context(|| {
            format!("`{first_line}` (toolchain `{toolchain}`) names no LLVM version")
        })?;
    Ok(RustcInfo { first_line, llvm })
}

fn check_llvm(toolchain: &str, info: &RustcInfo) -> Result<()> {
    let major: Option<u32> = info.llvm.split('.').next().and_then(|m| m.parse().ok());
    if major != Some(LLVM_MAJOR) {
        bail!(
            "{} (toolchain `{toolchain}`) uses LLVM {}, but bpf-linker {} uses LLVM {LLVM_MAJOR}",
            info.first_line,
            info.llvm,
            linker::VERSION
        );
    }
    Ok(())
}

fn has_rust_src(toolchain: &str) -> Result<bool> {
    let list = rustup()
        .args(["component", "list", "--installed", "--toolchain", toolchain])
        .stdout()?;
    Ok(list
        .lines()
        .any(|line| line.trim() == "rust-src" || line.starts_with("rust-src-")))
}

/// Debian's `libstd-rust-web-dev-bpf` puts `libcore-*.rlib` in rustc's target-libdir for bpfel.
fn check_prebuilt_core(toolchain: &str) -> Result<()> {
    let libdir = rustup_run(toolchain, "rustc")
        .args(["--print", "target-libdir", "--target", "bpfel-unknown-none"])
        .stdout()?;
    let libdir = PathBuf::from(libdir.trim());
    let has_core = fs::read_dir(&libdir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libcore-") && name.ends_with(".rlib")
        })
    });
    if !has_core {
        bail!(
            "{} has no prebuilt core for bpfel (package libstd-rust-web-dev-bpf)",
            libdir.display()
        );
    }
    Ok(())
}
