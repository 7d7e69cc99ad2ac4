//! The pseudo file systems that the tracer's tooling reads: tracefs (bpftool, tracepoint ids) and
//! securityfs (the list of active LSMs). Mounted by `setup` when missing.

use std::fs;

use crate::cmd::Cmd;

/// (file system type, mount point, what needs it)
const MOUNTS: &[(&str, &str, &str)] = &[
    (
        "tracefs",
        "/sys/kernel/tracing",
        "bpftool and tracepoint ids",
    ),
    (
        "securityfs",
        "/sys/kernel/security",
        "reading the list of active LSMs",
    ),
];

/// Mounts what is missing. A failure is reported but does not stop set-up: only the features
/// that read these file systems suffer.
pub fn ensure() {
    let mounted = fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    for &(fstype, target, why) in MOUNTS {
        let present = mounted.lines().any(|line| {
            let mut fields = line.split_whitespace();
            let _source = fields.next();
            fields.next() == Some(target) && fields.next() == Some(fstype)
        });
        if present {
            eprintln!("setup: {fstype} already mounted at {target}");
            continue;
        }
        eprintln!("setup: mounting {fstype} at {target} (for {why})");
        if let Err(e) = Cmd::new("mount")
            .args(["-t", fstype, fstype, target])
            .no_stdin()
            .run()
        {
            eprintln!("setup: warning: {e:#}; {why} will not work");
        }
    }
}
