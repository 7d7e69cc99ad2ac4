//! Writing to stdout without dying or panicking when the reader goes away (`denytrace watch |
//! head`): after a broken pipe, further lines are dropped; tracing and the final report go on.

use std::{
    io::{ErrorKind, Write as _},
    sync::atomic::{AtomicBool, Ordering},
};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes one line to stdout (and flushes it, so live output is live).
pub fn line(text: &str) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(err) = writeln!(out, "{text}").and_then(|()| out.flush()) {
        CLOSED.store(true, Ordering::Relaxed);
        if err.kind() != ErrorKind::BrokenPipe {
            eprintln!("denytrace: stdout: {err}; no more output there");
        }
    }
}

/// For commands that only print (doctor, report, diff, suggest): let a closed pipe end the
/// process quietly, as usual for Unix filters.
pub fn default_sigpipe() {
    // SAFETY: restoring the default disposition of SIGPIPE has no preconditions.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}
