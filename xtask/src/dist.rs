//! `cargo xtask dist`: one self-contained `denytrace` file for CI jobs to fetch: statically linked
//! (no dynamic loader, no shared library), with the eBPF object embedded, checked by running it
//! from an empty directory with an empty environment.
//!
//! Three ways, the first that works (`DENYTRACE_DIST_WAY=musl|musl-build-std|glibc-static` forces
//! one):
//! - `musl`: the toolchain has the `x86_64-unknown-linux-musl` standard library installed
//!   (`rustup target add x86_64-unknown-linux-musl` where rustup's server is reachable): a plain
//!   `cargo build --target x86_64-unknown-linux-musl`.
//! - `musl-build-std`: the standard library for musl is built from the rust-src component of the
//!   eBPF toolchain (rustup `nightly`, or `stable` with `RUSTC_BOOTSTRAP=1`) with
//!   `-Z build-std`, linked by Debian's `musl-gcc` (package musl-tools) against Debian's musl and
//!   LLVM's static libunwind (package libunwind-14-dev), as a static non-PIE executable.
//! - `glibc-static`: the GNU target with `-C target-feature=+crt-static` (Debian's libc6-dev has
//!   the static libc). The file runs anywhere, but glibc's user database lookups (`run --user
//!   NAME`) need the same glibc's NSS modules at run time: use a numeric `--user UID[:GID]` then.
//!
//! `musl-build-std` also links a few C definitions that Debian's musl 1.2.3 and Debian's LLVM
//! libunwind lack (see [`MUSL_COMPAT_C`]).
//!
//! The file goes to `target/dist/denytrace` (or `--out DIR`), with `denytrace.sha256` beside it.
//! The build uses its own target directory (`target/dist-build`), so the flags of a static build
//! never invalidate the ordinary debug build.

use std::{
    fs,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context as _, Result};

use crate::{
    apt::{self, Apt},
    cmd::Cmd,
    setup::{self, EbpfEnv},
    toolchain::Way,
    workspace,
};

/// The musl target.
const MUSL: &str = "x86_64-unknown-linux-musl";
/// The GNU target (for `glibc-static`).
const GNU: &str = "x86_64-unknown-linux-gnu";
/// Debian packages of `musl-build-std`: musl-gcc and musl's static libc; LLVM's static libunwind
/// (the standard library's backtraces and panics call `_Unwind_*`; rustup ships it with the musl
/// standard library, which is what this way has not got).
const MUSL_PACKAGES: &[&str] = &["musl-tools", "libunwind-14-dev"];
/// C definitions that `musl-build-std` links in: Debian's musl 1.2.3 has no `statx` wrapper (musl
/// 1.2.5 added it; the `libc` crate declares it), and Debian's LLVM libunwind was built against
/// glibc with `_FORTIFY_SOURCE`, so its error messages call glibc's `__fprintf_chk`.
const MUSL_COMPAT_C: &str = r"/* Written by `cargo xtask dist` (way musl-build-std); see xtask/src/dist.rs. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

struct statx;

int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf) {
    return (int)syscall(SYS_statx, dirfd, path, flags, mask, buf);
}

int __fprintf_chk(FILE *stream, int flag, const char *format, ...) {
    (void)flag;
    va_list ap;
    va_start(ap, format);
    int n = vfprintf(stream, format, ap);
    va_end(ap);
    return n;
}
";
/// The environment variable that forces a way.
const FORCE_VAR: &str = "DENYTRACE_DIST_WAY";

/// A way to make one static file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DistWay {
    Musl,
    MuslBuildStd,
    GlibcStatic,
}

impl DistWay {
    const ALL: [Self; 3] = [Self::Musl, Self::MuslBuildStd, Self::GlibcStatic];

    fn name(self) -> &'static str {
        match self {
            Self::Musl => "musl",
            Self::MuslBuildStd => "musl-build-std",
            Self::GlibcStatic => "glibc-static",
        }
    }

    fn target(self) -> &'static str {
        match self {
            Self::Musl | Self::MuslBuildStd => MUSL,
            Self::GlibcStatic => GNU,
        }
    }
}

pub fn run(out: Option<&Path>) -> Result<()> {
    let env = setup::run()?;
    build_checked(&env, out)
}

/// Builds, checks and writes the file (set-up already done).
pub fn build_checked(env: &EbpfEnv, out: Option<&Path>) -> Result<()> {
    let out_dir = out.map_or_else(|| workspace::target_dir().join("dist"), Path::to_path_buf);
    let ebpf_way = crate::envfile::way_of(env);
    let mut apt = Apt::default();
    let way = choose(ebpf_way, &mut apt)?;
    eprintln!("dist: way `{}` (target {})", way.name(), way.target());
    let built = build(way, ebpf_way, env)?;
    fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let file = out_dir.join("denytrace");
    // Replace, never write through: a running copy of the old file stays intact.
    let tmp = out_dir.join(".denytrace.new");
    fs::copy(&built, &tmp).with_context(|| format!("copying {}", built.display()))?;
    if workspace::which("strip").is_some() {
        Cmd::new("strip").arg(&tmp).run()?;
    }
    fs::rename(&tmp, &file)?;
    check_static(&file)?;
    smoke(&file)?;
    let sum = Cmd::new("sha256sum")
        .arg("denytrace")
        .current_dir(&out_dir)
        .stdout()?;
    fs::write(out_dir.join("denytrace.sha256"), &sum)?;
    let size = fs::metadata(&file)?.len();
    eprintln!(
        "dist: {} ({} KiB, static, eBPF object embedded, way `{}`)\ndist: sha256 {}",
        workspace::display(&file),
        size / 1024,
        way.name(),
        sum.split_whitespace().next().unwrap_or("")
    );
    Ok(())
}

/// The forced way, else the first that can work here.
fn choose(ebpf_way: Option<Way>, apt: &mut Apt) -> Result<DistWay> {
    if let Some(value) = std::env::var_os(FORCE_VAR).filter(|v| !v.is_empty()) {
        let value = value.to_string_lossy();
        let way = DistWay::ALL
            .into_iter()
            .find(|w| w.name() == value)
            .with_context(|| {
                format!("{FORCE_VAR}={value}: expected musl, musl-build-std or glibc-static")
            })?;
        if way == DistWay::MuslBuildStd {
            build_std_toolchain(ebpf_way)?;
            apt.install(MUSL_PACKAGES)?;
        }
        return Ok(way);
    }
    if has_target_std(MUSL)? {
        return Ok(DistWay::Musl);
    }
    eprintln!("dist: the toolchain has no standard library for {MUSL} (rustup's server is not reachable from here)");
    match build_std_toolchain(ebpf_way) {
        Ok(toolchain) => match apt.install(MUSL_PACKAGES) {
            Ok(()) => return Ok(DistWay::MuslBuildStd),
            Err(e) => eprintln!("dist: cannot build it from rust-src with `{toolchain}`: {e:#}"),
        },
        Err(e) => eprintln!("dist: cannot build it from rust-src: {e:#}"),
    }
    eprintln!("dist: falling back to a static glibc build");
    apt.install(&["libc6-dev"])?;
    Ok(DistWay::GlibcStatic)
}

/// Whether the default toolchain has the standard library for `target`.
fn has_target_std(target: &str) -> Result<bool> {
    let sysroot = Cmd::new("rustc").args(["--print", "sysroot"]).stdout()?;
    Ok(Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(target)
        .join("lib")
        .is_dir())
}

/// The rustup toolchain with rust-src that `setup` chose for the eBPF crate.
fn build_std_toolchain(ebpf_way: Option<Way>) -> Result<&'static str> {
    match ebpf_way {
        Some(way @ (Way::Nightly | Way::Stable)) => Ok(way.toolchain()),
        Some(Way::Debian) => {
            bail!("the eBPF toolchain is Debian's rustc-web, which has no rust-src")
        }
        None => bail!("setup saved no eBPF toolchain"),
    }
}

/// Builds and returns the path of the binary.
fn build(way: DistWay, ebpf_way: Option<Way>, env: &EbpfEnv) -> Result<PathBuf> {
    let target_dir = workspace::target_dir().join("dist-build");
    let target = way.target();
    let rustflags_var = format!(
        "CARGO_TARGET_{}_RUSTFLAGS",
        target.to_uppercase().replace('-', "_")
    );
    let mut cmd = match way {
        DistWay::Musl | DistWay::GlibcStatic => Cmd::new("cargo"),
        DistWay::MuslBuildStd => {
            let toolchain = build_std_toolchain(ebpf_way)?;
            Cmd::new("rustup").args(["run", toolchain, "cargo"])
        }
    };
    cmd = cmd.envs(env);
    cmd = match way {
        // Not a static PIE: no dynamic section at all, which `check_static` can verify.
        DistWay::Musl | DistWay::GlibcStatic => cmd.env(
            &rustflags_var,
            "-C target-feature=+crt-static -C relocation-model=static",
        ),
        DistWay::MuslBuildStd => {
            let unwind_dir = libunwind_dir()?;
            let compat = musl_compat(&target_dir)?;
            let mut c = cmd
                .env("CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER", "musl-gcc")
                .env("CC_x86_64_unknown_linux_musl", "musl-gcc")
                .env(
                    &rustflags_var,
                    format!(
                        "-C target-feature=+crt-static -C link-self-contained=no -C relocation-model=static -L {} \
                         -C link-arg={}",
                        unwind_dir.display(),
                        compat.display()
                    ),
                );
            if ebpf_way == Some(Way::Stable) && !env.iter().any(|(k, _)| k == "RUSTC_BOOTSTRAP") {
                c = c.env("RUSTC_BOOTSTRAP", "1");
            }
            c
        }
    };
    cmd = cmd.args([
        "build",
        "--release",
        "--package",
        "denytrace",
        "--bin",
        "denytrace",
        "--target",
        target,
    ]);
    cmd = cmd.arg("--target-dir").arg(&target_dir);
    if way == DistWay::MuslBuildStd {
        cmd = cmd.args(["-Z", "build-std=std,panic_abort"]);
    }
    cmd.current_dir(workspace::root())
        .no_stdin()
        .run()
        .context("building the static denytrace")?;
    Ok(target_dir.join(target).join("release").join("denytrace"))
}

/// Compiles [`MUSL_COMPAT_C`] with musl-gcc; returns the object's path.
fn musl_compat(target_dir: &Path) -> Result<PathBuf> {
    let dir = target_dir.join("musl-compat");
    fs::create_dir_all(&dir)?;
    let source = dir.join("compat.c");
    let object = dir.join("compat.o");
    fs::write(&source, MUSL_COMPAT_C)?;
    Cmd::new("musl-gcc")
        .args(["-O2", "-c", "-o"])
        .arg(&object)
        .arg(&source)
        .run()?;
    Ok(object)
}

/// The directory of LLVM's static libunwind from libunwind-14-dev.
fn libunwind_dir() -> Result<PathBuf> {
    apt::files(&["libunwind-14-dev"])?
        .into_iter()
        .map(PathBuf::from)
        .find(|p| {
            p.file_name().is_some_and(|n| n == "libunwind.a")
                && p.to_string_lossy().contains("/llvm-")
        })
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .context("libunwind-14-dev has no llvm-*/lib/libunwind.a")
}

/// Fails unless the file is an x86-64 ELF executable with no program interpreter (`PT_INTERP`)
/// and no dynamic section (`PT_DYNAMIC`): nothing is loaded besides the file itself.
fn check_static(file: &Path) -> Result<()> {
    const PT_DYNAMIC: u32 = 2;
    const PT_INTERP: u32 = 3;
    let bytes = fs::read(file)?;
    let u16_at = |o: usize| {
        bytes
            .get(o..o + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |o: usize| {
        bytes
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let u64_at = |o: usize| {
        bytes
            .get(o..o + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes)
    };
    if bytes.get(..5) != Some(b"\x7fELF\x02".as_slice()) || u16_at(18) != Some(62) {
        bail!("{}: not an x86-64 ELF64 file", file.display());
    }
    let phoff = usize::try_from(u64_at(32).unwrap_or(0))?;
    let phentsize = usize::from(u16_at(54).unwrap_or(0));
    let phnum = usize::from(u16_at(56).unwrap_or(0));
    for i in 0..phnum {
        match u32_at(phoff + i * phentsize) {
            Some(PT_INTERP) => bail!("{}: has a program interpreter: not static", file.display()),
            Some(PT_DYNAMIC) => bail!("{}: has a dynamic section: not static", file.display()),
            Some(_) => {}
            None => bail!("{}: truncated program headers", file.display()),
        }
    }
    eprintln!(
        "dist: {}: no interpreter, no dynamic section",
        workspace::display(file)
    );
    Ok(())
}

/// Runs the file alone in an empty directory with an empty environment: `--version`, then a real
/// traced run of `/bin/true` (which loads and attaches the embedded eBPF programs).
fn smoke(file: &Path) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("denytrace-dist-smoke-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    let result = (|| -> Result<()> {
        fs::copy(file, dir.join("denytrace"))?;
        let alone = |args: &[&str]| {
            Cmd::new("env")
                .args(["-i", "PATH=/usr/bin:/bin", "./denytrace"])
                .args(args)
                .current_dir(&dir)
                .no_stdin()
        };
        let version = alone(&["--version"]).stdout()?;
        if !version.starts_with("denytrace ") {
            bail!("unexpected --version output {version:?}");
        }
        alone(&["run", "--", "/bin/true"])
            .run()
            .context("tracing /bin/true with the dist binary")?;
        let left: Vec<_> = fs::read_dir(&dir)?
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        if left.len() != 1 {
            bail!("the dist binary left files beside it: {left:?}");
        }
        Ok(())
    })();
    let _ = fs::remove_dir_all(&dir);
    result.context("the dist binary does not run on its own")?;
    eprintln!("dist: ran alone from an empty directory: --version and `run -- /bin/true` ok");
    Ok(())
}
