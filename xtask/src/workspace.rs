//! Where things are: the repository root, cargo's target directory, and how to show a path
//! relative to the root.

use std::{
    env,
    path::{Path, PathBuf},
};

/// The eBPF crate, which builds only for `bpfel-unknown-none` (through `tracer/build.rs`), so
/// host-side `cargo build --workspace`/`cargo test --workspace` must leave it out.
pub const EBPF_PACKAGE: &str = "denytrace-ebpf";

/// The repository (Cargo workspace) root: the parent of this crate's directory.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` when set (relative to the current directory, as
/// cargo reads it), else `target/` in the root.
pub fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                env::current_dir().map_or(dir.clone(), |cwd| cwd.join(&dir))
            }
        }
        None => root().join("target"),
    }
}

/// `path` relative to the root when it is inside it (for messages and echoed command lines).
pub fn display(path: &Path) -> String {
    path.strip_prefix(root()).map_or_else(
        |_| path.display().to_string(),
        |rel| rel.display().to_string(),
    )
}

/// Cargo's bin directory (`$CARGO_HOME/bin`, default `~/.cargo/bin`), where `cargo install` puts
/// bpf-linker.
pub fn cargo_home_bin() -> Option<PathBuf> {
    let home = env::var_os("CARGO_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    Some(home.join("bin"))
}

/// The first `name` on `PATH` that is a file.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Puts `dir` in front of this process's `PATH` (and so of every command it runs).
pub fn prepend_path(dir: &Path) {
    let mut dirs = vec![dir.to_path_buf()];
    if let Some(old) = env::var_os("PATH") {
        dirs.extend(env::split_paths(&old).filter(|d| d != dir));
    }
    if let Ok(joined) = env::join_paths(dirs) {
        // xtask runs single-threaded, so changing its environment is sound.
        env::set_var("PATH", joined);
    }
}
