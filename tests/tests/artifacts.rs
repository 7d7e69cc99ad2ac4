//! `run --artifacts DIR [--on-failure]` for real: a failing wrapped command leaves report.json,
//! events.jsonl and summary.md (naming the cause, and the fix when `--suggest` asks for one); a
//! succeeding one with `--on-failure` leaves nothing; `GITHUB_STEP_SUMMARY` is appended to;
//! denytrace's exit code stays the command's even when an artifact cannot be written; a hostile
//! file name cannot break summary.md's table; a repeated denial is one row with its count.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use denytrace_tests::{PLAIN_PATH, TempDir, bin, nobody_bin, open_dir, require, require_root, root_secret, s};
use serde_json::Value;

/// Read-only system directories a dynamically linked program needs, as `--ro-opt` arguments.
const SYSTEM_RO: [&str; 10] = ["--ro-opt", "/usr", "--ro-opt", "/lib", "--ro-opt", "/lib64", "--ro-opt", "/bin", "--ro-opt", "/etc"];

/// `denytrace run <args> -- <command>` with a plain environment plus `env`.
fn denytrace(args: &[&str], command: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(bin("denytrace"))
        .arg("run")
        .args(args)
        .arg("--")
        .args(command)
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("PATH", PLAIN_PATH)
        .envs(env.iter().copied())
        .output()
        .expect("running denytrace")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn landlock_abi() -> i64 {
    // SAFETY: landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) only returns a number.
    unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, std::ptr::null::<u8>(), 0usize, 1u32) }
}

/// `dt-landlock` granting /dev/null, /proc and the system directories, running `dt-workload openpty`:
/// opening /dev/ptmx is refused by Landlock (EACCES), and dt-workload exits 1.
fn pty_in_landlock(dir: &TempDir) -> Vec<String> {
    let landlock = nobody_bin("dt-landlock", dir);
    let workload = nobody_bin("dt-workload", dir);
    // /proc readable: Rust's runtime reads /proc/self/maps at start-up.
    let mut cmd = vec![s(&landlock).to_owned(), "--rw".into(), "/dev/null".into(), "--ro".into(), "/proc".into()];
    cmd.extend(SYSTEM_RO.iter().map(|a| (*a).to_owned()));
    cmd.extend(["--ro".into(), s(workload.parent().expect("a directory")).to_owned()]);
    cmd.extend(["--".into(), s(&workload).to_owned(), "openpty".into()]);
    cmd
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// The rows of summary.md's denial table (lines after its header separator).
fn table_rows(summary: &str) -> Vec<&str> {
    summary
        .lines()
        .skip_while(|l| !l.starts_with("|---:|"))
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .collect()
}

/// Cells separators of a Markdown table line: `|` not preceded by a backslash.
fn separators(line: &str) -> usize {
    let b = line.as_bytes();
    (0..b.len()).filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\')).count()
}

#[test]
fn failing_command_leaves_every_artifact_and_the_summary_names_the_cause() {
    if !require_root() || !require(landlock_abi() >= 1, "Landlock enabled") {
        return;
    }
    let tmp = TempDir::new("artifacts-fail");
    let dir = tmp.join("artifacts");
    let cmd = pty_in_landlock(&tmp);
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    let out = denytrace(&["--artifacts", s(&dir)], &cmd, &[]);
    assert_eq!(out.status.code(), Some(1), "dt-workload's own exit code; stderr:\n{}", stderr(&out));
    assert_eq!(names(&dir), ["events.jsonl", "report.json", "summary.md"], "stderr:\n{}", stderr(&out));

    let report: Value = serde_json::from_str(&read(&dir.join("report.json"))).expect("report.json is JSON");
    assert_eq!(report["schema"], "denytrace.report/v1");
    assert_eq!(report["exit"]["code"], 1);
    let ptmx = report["denials"]
        .as_array()
        .and_then(|a| a.iter().find(|d| d["path"] == "/dev/ptmx"))
        .expect("the /dev/ptmx denial in report.json");
    assert_eq!(ptmx["cause"]["kind"], "landlock");
    assert_eq!(ptmx["cause"]["confidence"], "certain");

    let events = read(&dir.join("events.jsonl"));
    let lines: Vec<Value> = events.lines().map(|l| serde_json::from_str(l).expect("each events line is JSON")).collect();
    assert!(lines.iter().all(|l| l["schema"] == "denytrace.event/v1"), "{events}");
    assert!(
        lines.iter().any(|l| l["event"] == "denial" && l["denial"]["path"] == "/dev/ptmx"),
        "events.jsonl has the /dev/ptmx denial:\n{events}"
    );
    assert!(lines.iter().any(|l| l["event"] == "exit"), "events.jsonl has the exits:\n{events}");

    let summary = read(&dir.join("summary.md"));
    let verdict = summary.lines().find(|l| l.starts_with("**Verdict:**")).expect("a verdict line");
    assert!(verdict.contains("failed (exit 1)"), "{verdict}");
    assert!(verdict.contains("`openat(\"/dev/ptmx\""), "{verdict}");
    assert!(verdict.contains("refused by **landlock** (certain)"), "{verdict}");
    let rows = table_rows(&summary);
    let row = rows.iter().find(|r| r.contains("/dev/ptmx")).unwrap_or_else(|| panic!("a row for /dev/ptmx:\n{summary}"));
    assert!(row.contains("| **landlock**: ") && row.contains("| certain | 1 |"), "{row}");
    assert!(summary.contains("## Processes that died") && summary.contains("Lost events: 0"), "{summary}");
    assert!(stderr(&out).contains("denytrace: artifacts in "), "{}", stderr(&out));
}

/// With `--suggest landlock`, the fix is in summary.md (the verdict line and the table) and in
/// landlock.txt (or landlock.patch): the suggestion's own text, as report.json has it.
#[test]
fn suggested_fix_is_in_the_summary_and_in_a_file_per_format() {
    if !require_root() || !require(landlock_abi() >= 1, "Landlock enabled") {
        return;
    }
    let tmp = TempDir::new("artifacts-fix");
    let dir = tmp.join("artifacts");
    let cmd = pty_in_landlock(&tmp);
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    let out = denytrace(&["--artifacts", s(&dir), "--suggest", "landlock"], &cmd, &[]);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{}", stderr(&out));
    let report: Value = serde_json::from_str(&read(&dir.join("report.json"))).expect("report.json");
    let ptmx = report["denials"]
        .as_array()
        .and_then(|a| a.iter().find(|d| d["path"] == "/dev/ptmx"))
        .expect("the /dev/ptmx denial");
    let suggestion = ptmx["suggestions"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["format"] == "landlock"))
        .unwrap_or_else(|| panic!("a landlock suggestion for /dev/ptmx: {ptmx:#}"));
    let change = suggestion["change"].as_str().expect("change");
    let text = suggestion["text"].as_str().expect("text");
    let summary = read(&dir.join("summary.md"));
    let verdict = summary.lines().find(|l| l.starts_with("**Verdict:**")).expect("a verdict line");
    assert!(verdict.contains("**Fix** (landlock, risk "), "{verdict}");
    let row = table_rows(&summary).into_iter().find(|r| r.contains("/dev/ptmx")).expect("the /dev/ptmx row");
    assert!(row.contains("landlock: "), "{row}");
    let first_words: String = change.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    assert!(summary.contains(&first_words), "summary.md names the change {change:?}:\n{summary}");
    let file = ["landlock.txt", "landlock.patch"].iter().map(|n| dir.join(n)).find(|p| p.exists()).unwrap_or_else(|| {
        panic!("landlock.txt or landlock.patch in {:?}", names(&dir));
    });
    assert!(read(&file).contains(text.trim_end()), "{} holds the suggestion's text {text:?}", file.display());
}

#[test]
fn succeeding_command_with_on_failure_leaves_nothing() {
    if !require_root() {
        return;
    }
    let tmp = TempDir::new("artifacts-ok");
    // A directory this run creates: removed again.
    let fresh = tmp.join("fresh");
    let out = denytrace(&["--artifacts", s(&fresh), "--on-failure"], &["/bin/true"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!fresh.exists(), "{} is left: {:?}", fresh.display(), names(&fresh));
    // A directory that exists with someone else's file: only that file stays.
    let existing = tmp.join("existing");
    std::fs::create_dir(&existing).expect("mkdir");
    std::fs::write(existing.join("keep.txt"), "not denytrace's\n").expect("write");
    let summary_file = tmp.join("step-summary.md");
    let out = denytrace(
        &["--artifacts", s(&existing), "--on-failure"],
        &["/bin/sh", "-c", "exit 0"],
        &[("GITHUB_STEP_SUMMARY", s(&summary_file))],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(names(&existing), ["keep.txt"]);
    assert!(!summary_file.exists(), "nothing is kept, so nothing goes to the step summary either");
    // Without --on-failure, a success keeps its evidence too.
    let kept = tmp.join("kept");
    let out = denytrace(&["--artifacts", s(&kept)], &["/bin/true"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(names(&kept), ["events.jsonl", "report.json", "summary.md"]);
    assert!(read(&kept.join("summary.md")).contains("succeeded (exit 0); no refused syscall was seen."));
}

#[test]
fn github_step_summary_is_appended() {
    if !require_root() || !require(landlock_abi() >= 1, "Landlock enabled") {
        return;
    }
    let tmp = TempDir::new("artifacts-gh");
    let dir = tmp.join("artifacts");
    let step_summary = tmp.join("step_summary");
    let earlier = "## An earlier step\n\nits own summary\n";
    std::fs::write(&step_summary, earlier).expect("writing the step summary");
    let cmd = pty_in_landlock(&tmp);
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    let out = denytrace(&["--artifacts", s(&dir), "--on-failure"], &cmd, &[("GITHUB_STEP_SUMMARY", s(&step_summary))]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = read(&step_summary);
    let summary = read(&dir.join("summary.md"));
    assert_eq!(text, format!("{earlier}{summary}"), "the earlier content stays, summary.md follows it");
    assert!(text.contains("refused by **landlock** (certain)"), "{text}");
}

/// denytrace exits with the command's code even when an artifact cannot be written (a directory
/// stands where report.json goes), and says why on stderr.
#[test]
fn exit_code_is_the_commands_even_when_an_artifact_fails() {
    if !require_root() {
        return;
    }
    let tmp = TempDir::new("artifacts-code");
    let dir = tmp.join("artifacts");
    std::fs::create_dir_all(dir.join("report.json")).expect("mkdir");
    let out = denytrace(&["--artifacts", s(&dir)], &["/bin/sh", "-c", "exit 3"], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("denytrace: writing the artifacts in"), "{}", stderr(&out));
    let out = denytrace(&["--artifacts", s(&tmp.join("other")), "--on-failure"], &["/bin/sh", "-c", "kill -TERM $$"], &[]);
    assert_eq!(out.status.code(), Some(128 + 15), "128 + SIGTERM; {}", stderr(&out));
    assert!(read(&tmp.join("other/summary.md")).contains("was killed by SIGTERM"));
}

/// A file name with `|`, backticks, a newline, an escape sequence and Markdown link syntax, read
/// as uid 65534 (DAC refuses): summary.md's table keeps its shape and shows the name escaped.
#[test]
fn hostile_file_name_cannot_break_the_table() {
    if !require_root() {
        return;
    }
    let tmp = TempDir::new("artifacts-hostile");
    open_dir(&tmp.0);
    let hostile = tmp.join("a|b`c``\n| x | [l](x:y) <b>*\x1b[31m");
    root_secret(&hostile);
    let workload = nobody_bin("dt-workload", &tmp);
    let dir = tmp.join("artifacts");
    let out = denytrace(&["--artifacts", s(&dir), "--user", "65534"], &[s(&workload), "open", s(&hostile), "ro"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let summary = read(&dir.join("summary.md"));
    let rows = table_rows(&summary);
    assert_eq!(rows.len(), 1, "one row for the one denial:\n{summary}");
    assert_eq!(separators(rows[0]), 8, "7 cells, so 8 unescaped separators: {}", rows[0]);
    assert!(rows[0].contains("\\x0a\\| x \\|"), "the newline is shown as \\x0a and the pipes escaped: {}", rows[0]);
    assert!(rows[0].contains("\\x1b[31m"), "{}", rows[0]);
    assert!(!summary.contains('\x1b'), "no raw escape character");
    assert!(summary.lines().all(|l| !l.starts_with("| x")), "no line starts inside the name");
    let evidence = summary.lines().find(|l| l.starts_with("**1.**")).expect("the evidence heading");
    assert!(evidence.contains("```"), "a longer fence around a name with a double backtick: {evidence}");
}

/// One denial repeated a thousand times is one row with its count.
#[test]
fn repeated_denial_is_one_row_with_its_count() {
    if !require_root() {
        return;
    }
    let tmp = TempDir::new("artifacts-repeat");
    open_dir(&tmp.0);
    let secret: PathBuf = tmp.join("secret");
    root_secret(&secret);
    let workload = nobody_bin("dt-workload", &tmp);
    let dir = tmp.join("artifacts");
    let out = denytrace(
        &["--artifacts", s(&dir), "--user", "65534"],
        &[s(&workload), "fail-open-loop", "1000", s(&secret)],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "every open failed as expected: {}", stderr(&out));
    let summary = read(&dir.join("summary.md"));
    let rows = table_rows(&summary);
    assert_eq!(rows.len(), 1, "{summary}");
    assert!(rows[0].contains("| 1000 |"), "{}", rows[0]);
    assert!(rows[0].contains("| **dac**: "), "{}", rows[0]);
    let events = read(&dir.join("events.jsonl"));
    assert_eq!(events.lines().filter(|l| l.contains("\"event\":\"denial\"")).count(), 1, "one event line per distinct denial");
}
