//! Fuzz target `report_reader`: a saved JSON report (`denytrace.report/v1`), as arbitrary bytes,
//! read the way `denytrace report`, `diff` and `suggest` read it (`commands::report::load`).
//!
//! Reading gives a report or an error, never a panic. A report that reads is rendered as the human
//! summary and as Markdown, which must hold no control or format character but line breaks,
//! whatever strings the file carries; its normalised JSON must read back equal.

#![no_main]

use std::{path::PathBuf, sync::OnceLock};

use denytrace::{commands::report, markdown, render, text};
use libfuzzer_sys::fuzz_target;

/// A file of this fuzzing process, rewritten for each input.
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| std::env::temp_dir().join(format!("denytrace-fuzz-report-{}.json", std::process::id())))
}

fn assert_plain(out: &str, what: &str) {
    for line in out.lines() {
        assert!(!line.chars().any(text::needs_escape), "{what}: raw control or format character in {line:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    std::fs::write(scratch(), data).expect("writing the scratch report");
    let loaded = report::load(scratch());
    // Nothing is left behind when the fuzzer stops.
    let _ = std::fs::remove_file(scratch());
    let Ok(r) = loaded else {
        return;
    };
    assert_plain(&render::summary(&r), "summary");
    assert_plain(&markdown::summary(&r), "markdown");
    for d in &r.denials {
        assert!(!render::line(d).chars().any(text::needs_escape));
    }
    let json = report::json(&r).expect("a report serializes");
    std::fs::write(scratch(), json).expect("writing the scratch report");
    let back = report::load(scratch()).expect("a written report reads back");
    let _ = std::fs::remove_file(scratch());
    assert_eq!(back, r);
});
