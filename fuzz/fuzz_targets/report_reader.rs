//! Fuzz target `report_reader`: a saved JSON report (`denytrace.report/v1`), as arbitrary bytes.
//!
//! Reading gives a report or an error, never a panic. A report that reads is rendered as the
//! human summary, which must hold no control or format character but line breaks, whatever
//! strings the file carries; written back as JSON it must read back equal.

#![no_main]

use denytrace::{model::Report, render, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(report) = serde_json::from_slice::<Report>(data) else {
        return;
    };
    let summary = render::summary(&report);
    for line in summary.lines() {
        assert!(!line.chars().any(text::needs_escape), "raw control or format character in {line:?}");
    }
    for d in &report.denials {
        assert!(!render::line(d).chars().any(text::needs_escape));
    }
    let json = serde_json::to_vec(&report).expect("a report serializes");
    let back: Report = serde_json::from_slice(&json).expect("a written report reads back");
    assert_eq!(back, report);
});
