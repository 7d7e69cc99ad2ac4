//! Snapshot tests of `denytrace report` and `denytrace diff` on saved reports.
//!
//! The reports under tests/fixtures/reports/ were made by running denytrace for real
//! (tests/fixtures/make-reports.sh); each rendering (human, Markdown, JSON) and each diff is
//! compared byte for byte with its expected file under tests/fixtures/snapshots/. After an
//! intended change of the output, refresh them with
//! `UPDATE_SNAPSHOTS=1 cargo test -p denytrace-tests --test report_diff` and review the change
//! with `git diff tests/fixtures/snapshots`. No root needed: nothing is traced here.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use denytrace_tests::bin;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn updating() -> bool {
    std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1")
}

/// `denytrace ARGS` from tests/fixtures, so the file names in the output are relative and the
/// same on every checkout.
fn denytrace(args: &[&str]) -> Output {
    Command::new(bin("denytrace")).args(args).current_dir(fixtures()).output().expect("running denytrace")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// The saved reports, by name, sorted.
fn reports() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures().join("reports"))
        .expect("tests/fixtures/reports")
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    assert!(names.len() >= 6, "the saved reports are missing: {names:?}");
    names
}

/// Compares `actual` with the snapshot `name` (or writes it under `UPDATE_SNAPSHOTS=1`); returns a
/// description of the difference.
fn check(name: &str, actual: &str) -> Option<String> {
    let path = fixtures().join("snapshots").join(name);
    if updating() {
        std::fs::write(&path, actual).expect("writing a snapshot");
        return None;
    }
    let Ok(expected) = std::fs::read_to_string(&path) else {
        return Some(format!("{name}: no snapshot (run with UPDATE_SNAPSHOTS=1 to write it)"));
    };
    if expected == actual {
        return None;
    }
    let line = expected.lines().zip(actual.lines()).position(|(e, a)| e != a).unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    Some(format!(
        "{name}: differs from line {}:\n  expected: {:?}\n  actual:   {:?}",
        line + 1,
        expected.lines().nth(line).unwrap_or("<end>"),
        actual.lines().nth(line).unwrap_or("<end>")
    ))
}

fn report_path(name: &str) -> String {
    format!("reports/{name}.json")
}

#[test]
fn report_renders_each_saved_report_as_its_snapshot() {
    let mut problems = Vec::new();
    for name in reports() {
        for (format, ext) in [("human", "human.txt"), ("markdown", "md"), ("json", "json")] {
            let out = denytrace(&["report", &report_path(&name), "--format", format]);
            assert_eq!(out.status.code(), Some(0), "report {name} --format {format}: {}", String::from_utf8_lossy(&out.stderr));
            assert!(out.stderr.is_empty(), "nothing on stderr: {}", String::from_utf8_lossy(&out.stderr));
            problems.extend(check(&format!("{name}.{ext}"), &stdout(&out)));
        }
    }
    assert!(problems.is_empty(), "snapshots differ (UPDATE_SNAPSHOTS=1 refreshes them):\n{}", problems.join("\n"));
}

/// `--format json` keeps every field of the saved report, and is a fixed point: rendering its own
/// output again gives the same bytes.
#[test]
fn json_rendering_is_lossless_and_stable() {
    let tmp = denytrace_tests::TempDir::new("report-json");
    for name in reports() {
        let saved: Value =
            serde_json::from_str(&std::fs::read_to_string(fixtures().join(report_path(&name))).expect("fixture")).expect("JSON");
        let once = stdout(&denytrace(&["report", &report_path(&name), "--format", "json"]));
        assert_eq!(serde_json::from_str::<Value>(&once).expect("JSON output"), saved, "{name}: a field changed");
        let again_path = tmp.join(&format!("{name}.json"));
        std::fs::write(&again_path, &once).expect("write");
        let twice = stdout(&denytrace(&["report", again_path.to_str().expect("UTF-8"), "--format", "json"]));
        assert_eq!(once, twice, "{name}: not a fixed point");
    }
}

/// The Markdown of the hostile file name keeps the table's shape, and the events-cap and
/// repeated-denial reports say what they must.
#[test]
fn markdown_of_saved_reports_is_well_formed() {
    let md = |name: &str| stdout(&denytrace(&["report", &report_path(name), "--format", "markdown"]));
    let hostile = md("hostile-dac");
    let rows: Vec<&str> = hostile.lines().skip_while(|l| !l.starts_with("|---:|")).skip(1).take_while(|l| l.starts_with('|')).collect();
    assert_eq!(rows.len(), 1, "{hostile}");
    let b = rows[0].as_bytes();
    let separators = (0..b.len()).filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\')).count();
    assert_eq!(separators, 8, "{}", rows[0]);
    assert!(!hostile.contains('\x1b'));
    let capped = md("events-capped");
    assert!(capped.contains("The events file reached its cap of 100000 lines: 12345 further line(s) were not written"), "{capped}");
    let repeat = md("repeat-dac");
    assert!(repeat.contains("| certain | 1000 |"), "{repeat}");
    let killed = md("seccomp-kill");
    assert!(killed.contains("was killed by SIGSYS"), "{killed}");
    let died = killed.split("## Processes that died").nth(1).expect("the section");
    assert!(died.contains("| `dt-workload` ") && died.contains("| SIGSYS | seccomp"), "{died}");
}

#[test]
fn diff_shows_what_disappeared_and_appeared() {
    let mut problems = Vec::new();
    for (before, after, snapshot, code) in [
        ("landlock-pty", "landlock-pty-partial", "diff-pty-partial", 1),
        ("landlock-pty", "landlock-pty-fixed", "diff-pty-fixed", 1),
        ("landlock-pty-fixed", "landlock-pty", "diff-fixed-pty", 1),
        ("repeat-dac", "events-capped", "diff-same", 0),
    ] {
        for (json, ext) in [(false, "txt"), (true, "json")] {
            let mut args = vec!["diff".to_owned(), report_path(before), report_path(after)];
            if json {
                args.push("--json".into());
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = denytrace(&args);
            assert_eq!(out.status.code(), Some(code), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
            problems.extend(check(&format!("{snapshot}.{ext}"), &stdout(&out)));
        }
    }
    assert!(problems.is_empty(), "snapshots differ (UPDATE_SNAPSHOTS=1 refreshes them):\n{}", problems.join("\n"));
    // What the snapshots hold, checked in words.
    let d: Value = serde_json::from_str(&stdout(&denytrace(&["diff", &report_path("landlock-pty"), &report_path("landlock-pty-partial"), "--json"])))
        .expect("JSON");
    assert_eq!(d["schema"], "denytrace.diff/v1");
    assert_eq!(d["disappeared"].as_array().map(Vec::len), Some(1));
    assert_eq!(d["disappeared"][0]["key"]["path"], "/dev/ptmx");
    assert_eq!(d["disappeared"][0]["count_after"], Value::Null);
    assert!(d["appeared"].as_array().expect("appeared").iter().any(|i| i["key"]["path"].as_str().is_some_and(|p| p.starts_with("/dev/pts/"))));
    let fixed = stdout(&denytrace(&["diff", &report_path("landlock-pty"), &report_path("landlock-pty-fixed")]));
    assert!(fixed.starts_with("denytrace diff: 1 disappeared, 0 appeared, 0 remained"), "{fixed}");
    let same = stdout(&denytrace(&["diff", &report_path("repeat-dac"), &report_path("events-capped")]));
    assert!(same.contains("0 disappeared, 0 appeared, 1 remained") && same.contains("x1000  [dac certain]"), "{same}");
}

#[test]
fn unreadable_reports_fail_clearly() {
    let tmp = denytrace_tests::TempDir::new("report-bad");
    let other = tmp.join("other.json");
    std::fs::write(&other, r#"{"schema": "something/v9"}"#).expect("write");
    let out = denytrace(&["report", other.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&out.stderr).contains("schema \"something/v9\", expected \"denytrace.report/v1\""));
    let missing = tmp.join("missing.json");
    let out = denytrace(&["diff", missing.to_str().expect("UTF-8"), &report_path("repeat-dac")]);
    assert_eq!(out.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&out.stderr).contains("reading the report"), "{}", String::from_utf8_lossy(&out.stderr));
}
