//! `cargo xtask demo`: set-up, a debug build, then denytrace explaining why python's
//! `os.openpty()` fails inside a Landlock sandbox like NVIDIA's `OpenShell`.

use std::{os::unix::process::ExitStatusExt as _, process::ExitCode};

use anyhow::{bail, Result};

use crate::{build, cmd::Cmd, setup, workspace};

/// What `dt-landlock` grants: read-write /dev/null and /dev/urandom (but not /dev/pts or
/// /dev/ptmx), read-only system directories (those that exist); then the command after `--`.
const SANDBOX_ARGS: &[&str] = &[
    "--rw",
    "/dev/null",
    "--rw",
    "/dev/urandom",
    "--ro-opt",
    "/usr",
    "--ro-opt",
    "/lib",
    "--ro-opt",
    "/lib64",
    "--ro-opt",
    "/bin",
    "--ro-opt",
    "/etc",
    "--",
];
const SANDBOXED: &[&str] = &["python3", "-c", "import os; os.openpty()"];

pub fn run() -> Result<ExitCode> {
    let env = setup::run()?;
    build::cargo_build(&env, false)?;
    let debug = workspace::target_dir().join("debug");
    let denytrace = debug.join("denytrace");
    let landlock = debug.join("dt-landlock");
    for (binary, package) in [(&denytrace, "tracer/"), (&landlock, "tests/")] {
        if !binary.is_file() {
            bail!(
                "{} was not built: the demo needs it from {package}",
                workspace::display(binary)
            );
        }
    }
    eprintln!(
        "demo: dt-landlock sandboxes python like NVIDIA OpenShell does (Landlock grants /dev/null \
         but not /dev/pts), so os.openpty() fails; denytrace explains why:"
    );
    let status = Cmd::new(workspace::display(&denytrace))
        .args(["run", "--"])
        .arg(workspace::display(&landlock))
        .args(SANDBOX_ARGS)
        .args(SANDBOXED)
        .current_dir(workspace::root())
        .status()?;
    Ok(match (status.code(), status.signal()) {
        (Some(1), _) => {
            eprintln!("demo: the sandboxed command failed as expected (exit code 1); the report above says why");
            ExitCode::SUCCESS
        }
        (Some(0), _) => {
            eprintln!(
                "demo: note: denytrace run exited 0, but the sandboxed python was expected to fail \
                 with exit code 1"
            );
            ExitCode::SUCCESS
        }
        (Some(code), _) => {
            eprintln!("demo: denytrace run exited with code {code}");
            ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
        (None, signal) => {
            let signal = signal.unwrap_or(0);
            eprintln!("demo: denytrace run was killed by signal {signal}");
            ExitCode::from(u8::try_from(128 + signal).unwrap_or(1))
        }
    })
}
