//! `target/xtask/ebpf-toolchain.env`: the environment that builds the eBPF crate, as `KEY=VALUE`
//! lines (and `#` comments), written by `setup` so later commands reuse it without probing again.

use std::{fmt::Write as _, fs, io::ErrorKind, path::PathBuf};

use anyhow::{Context as _, Result};

use crate::{toolchain::Way, workspace};

/// `<target dir>/xtask/ebpf-toolchain.env`.
pub fn path() -> PathBuf {
    workspace::target_dir()
        .join("xtask")
        .join("ebpf-toolchain.env")
}

/// The saved environment, or `None` when there is no file.
pub fn read() -> Result<Option<Vec<(String, String)>>> {
    let path = path();
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    Ok(Some(parse(&text)))
}

fn parse(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// The way that the saved environment names through `DENYTRACE_EBPF_TOOLCHAIN`.
pub fn way_of(env: &[(String, String)]) -> Option<Way> {
    env.iter()
        .find(|(k, _)| k == "DENYTRACE_EBPF_TOOLCHAIN")
        .and_then(|(_, v)| Way::from_toolchain(v))
}

/// Writes `way`'s environment, unless the file already says exactly that.
pub fn write(way: Way) -> Result<()> {
    let path = path();
    let mut text = format!(
        "# Written by `cargo xtask setup` (way: {}, {way}); delete it to probe again.\n",
        way.name()
    );
    for (key, value) in way.env() {
        let _ = writeln!(text, "{key}={value}");
    }
    if fs::read_to_string(&path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    let dir = path.parent().expect("the env file has a parent directory");
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("setup: wrote {}", workspace::display(&path));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_writes() {
        let env = parse(
            "# comment\nDENYTRACE_EBPF_TOOLCHAIN=denytrace-debian\nRUSTC_BOOTSTRAP=aya_ebpf\n\n",
        );
        assert_eq!(
            env,
            vec![
                (
                    "DENYTRACE_EBPF_TOOLCHAIN".to_owned(),
                    "denytrace-debian".to_owned()
                ),
                ("RUSTC_BOOTSTRAP".to_owned(), "aya_ebpf".to_owned()),
            ]
        );
        assert_eq!(way_of(&env), Some(Way::Debian));
        assert_eq!(way_of(&Way::Stable.env()), Some(Way::Stable));
        assert_eq!(way_of(&[]), None);
    }
}
