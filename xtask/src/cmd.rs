//! Running external commands: every command line is echoed (`+ KEY=VALUE program args`) before
//! it runs, so a log shows exactly what xtask did and can be replayed by hand.

use std::{
    ffi::{OsStr, OsString},
    fmt::Write as _,
    io::ErrorKind,
    path::Path,
    process::{Command, ExitStatus, Output, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, Context as _, Result};

/// A command to run, with the text that is echoed for it.
pub struct Cmd {
    inner: Command,
    /// The shell-like line echoed before running: environment overrides first, then the words.
    line: String,
    env_prefix: String,
    timeout: Option<Duration>,
}

impl Cmd {
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        let program = program.as_ref();
        Self {
            inner: Command::new(program),
            line: quote(program),
            env_prefix: String::new(),
            timeout: None,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        let arg = arg.as_ref();
        self.line.push(' ');
        self.line.push_str(&quote(arg));
        self.inner.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for arg in args {
            self = self.arg(arg);
        }
        self
    }

    /// Sets an environment variable for the command (echoed as `KEY=VALUE`).
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        let value = value.as_ref();
        let _ = write!(self.env_prefix, "{key}={} ", quote(value));
        self.inner.env(key, value);
        self
    }

    /// Sets several environment variables, in order.
    pub fn envs<'a>(mut self, vars: impl IntoIterator<Item = &'a (String, String)>) -> Self {
        for (key, value) in vars {
            self = self.env(key, value);
        }
        self
    }

    /// Sets an environment variable without echoing it: for settings that only keep a probe quiet
    /// or non-interactive and that a person replaying the line would not need.
    pub fn env_silent(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.inner.env(key, value);
        self
    }

    /// Puts `dir` in front of `PATH` (echoed as `PATH=dir:$PATH`).
    pub fn path_prefix(mut self, dir: &Path) -> Self {
        let mut path = OsString::from(dir);
        if let Some(old) = std::env::var_os("PATH") {
            path.push(":");
            path.push(old);
        }
        let _ = write!(self.env_prefix, "PATH={}:$PATH ", quote(dir.as_os_str()));
        self.inner.env("PATH", path);
        self
    }

    pub fn current_dir(mut self, dir: &Path) -> Self {
        self.inner.current_dir(dir);
        self
    }

    /// Kills the command if it runs longer than `limit` (only for [`Cmd::status`]/[`Cmd::run`]).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Gives the command no standard input, so nothing can wait for a person to type.
    pub fn no_stdin(mut self) -> Self {
        self.inner.stdin(Stdio::null());
        self
    }

    /// The echoed form of this command line.
    pub fn line(&self) -> String {
        format!("{}{}", self.env_prefix, self.line)
    }

    fn echo(&self) {
        eprintln!("+ {}", self.line());
    }

    /// Echoes and runs the command with inherited output; returns how it ended.
    pub fn status(mut self) -> Result<ExitStatus> {
        self.echo();
        let line = self.line();
        let mut child = self.inner.spawn().map_err(|e| spawn_error(&line, &e))?;
        let Some(limit) = self.timeout else {
            return child
                .wait()
                .with_context(|| format!("waiting for `{line}`"));
        };
        let start = Instant::now();
        loop {
            if let Some(status) = child
                .try_wait()
                .with_context(|| format!("waiting for `{line}`"))?
            {
                return Ok(status);
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "`{line}` took longer than {} s and was stopped",
                    limit.as_secs()
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Echoes and runs the command with inherited output; fails unless it exits 0.
    pub fn run(self) -> Result<()> {
        let line = self.line();
        let status = self.status()?;
        if !status.success() {
            bail!("`{line}` failed ({})", describe(status));
        }
        Ok(())
    }

    /// Echoes and runs the command, capturing its output; any exit status is returned as is.
    pub fn output(mut self) -> Result<Output> {
        self.echo();
        let line = self.line();
        if self.timeout.is_some() {
            bail!(
                "internal: a timeout is only supported for commands whose output is not captured"
            );
        }
        self.inner.stdin(Stdio::null());
        self.inner.output().map_err(|e| spawn_error(&line, &e))
    }

    /// Echoes and runs the command, capturing its output; fails unless it exits 0, with the last
    /// line it wrote to stderr in the error. Returns its standard output.
    pub fn stdout(self) -> Result<String> {
        let line = self.line();
        let out = self.output()?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim();
            bail!("`{line}` failed ({}): {last}", describe(out.status));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

fn spawn_error(line: &str, err: &std::io::Error) -> anyhow::Error {
    if err.kind() == ErrorKind::NotFound {
        anyhow::anyhow!("could not run `{line}`: the program was not found")
    } else {
        anyhow::anyhow!("could not run `{line}`: {err}")
    }
}

/// "exit code 3" or "killed by signal 9".
pub fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => status.to_string(),
    }
}

/// Quotes a word for a POSIX shell, only when it needs it.
pub fn quote(word: &OsStr) -> String {
    let word = word.to_string_lossy();
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if plain {
        word.into_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote(OsStr::new("--rw")), "--rw");
        assert_eq!(quote(OsStr::new("/dev/null")), "/dev/null");
        assert_eq!(
            quote(OsStr::new("import os; os.openpty()")),
            "'import os; os.openpty()'"
        );
        assert_eq!(quote(OsStr::new("it's")), r"'it'\''s'");
        assert_eq!(quote(OsStr::new("")), "''");
    }

    #[test]
    fn echoed_line() {
        let cmd = Cmd::new("cargo")
            .env("A", "b c")
            .args(["build", "--release"]);
        assert_eq!(cmd.line(), "A='b c' cargo build --release");
    }
}
