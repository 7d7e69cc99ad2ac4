//! Debian packages: which are missing (`dpkg-query`), and installing them with `apt-get`, running
//! `apt-get update` at most once per xtask run.

use anyhow::{Context as _, Result};

use crate::cmd::Cmd;

/// Installs Debian packages; remembers whether the package lists were already updated.
#[derive(Default)]
pub struct Apt {
    updated: bool,
}

impl Apt {
    /// Installs `packages` unless all of them are installed already. Never removes a package:
    /// `--no-remove` makes apt-get stop instead (for example, `rustc-web` conflicts with Debian's
    /// `rustup` and `rustc` packages).
    pub fn install(&mut self, packages: &[&str]) -> Result<()> {
        let missing = missing(packages)?;
        if missing.is_empty() {
            eprintln!(
                "setup: Debian packages already installed: {}",
                packages.join(" ")
            );
            return Ok(());
        }
        eprintln!(
            "setup: installing Debian packages (missing: {})",
            missing.join(" ")
        );
        if !self.updated {
            Cmd::new("apt-get")
                .arg("update")
                .no_stdin()
                .run()
                .context("updating the Debian package lists")?;
            self.updated = true;
        }
        Cmd::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "--no-remove"])
            .args(packages)
            .no_stdin()
            .run()
            .with_context(|| format!("installing the Debian packages {}", missing.join(" ")))
    }
}

/// The packages of `packages` that dpkg does not list as installed.
pub fn missing<'a>(packages: &[&'a str]) -> Result<Vec<&'a str>> {
    // dpkg-query exits 1 when it knows nothing of a package; that package is then missing.
    let out = Cmd::new("dpkg-query")
        .args(["-W", "-f=${Package} ${db:Status-Status}\\n"])
        .args(packages)
        .output()
        .context("asking dpkg which packages are installed (is this a Debian system?)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let installed: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.split_once(' '))
        .filter(|(_, status)| *status == "installed")
        .map(|(name, _)| name.split(':').next().unwrap_or(name))
        .collect();
    Ok(packages
        .iter()
        .copied()
        .filter(|p| !installed.contains(p))
        .collect())
}

/// Files that the installed `packages` put on the system (`dpkg -L`).
pub fn files(packages: &[&str]) -> Result<Vec<String>> {
    let out = Cmd::new("dpkg")
        .arg("-L")
        .args(packages)
        .stdout()
        .context("listing the files of the Debian packages")?;
    Ok(out.lines().map(str::to_owned).collect())
}

/// Whether this is Debian (where the `rustc-web` packages exist), from `/etc/os-release`.
pub fn is_debian() -> bool {
    std::fs::read_to_string("/etc/os-release").is_ok_and(|text| {
        text.lines()
            .any(|line| line.trim() == "ID=debian" || line.trim() == "ID=\"debian\"")
    })
}
