//! Hostile names from the sandbox: file names, the command's `comm` and executable, its arguments
//! and a cgroup's name carry line breaks, ANSI and OSC sequences (clear screen, hyperlinks,
//! window titles), bidirectional overrides and isolates, zero-width characters, C1 controls,
//! invalid UTF-8, and the syntax of YAML, TOML, shell and systemd (`: `, `#`, quotes, `-`,
//! `$(...)`, `%`, `:` and `,`). Denials on each are made for real in a sandbox; then:
//!
//! - every terminal output (the summary, `report` in human and Markdown form, `suggest`'s
//!   listing, `watch`'s live lines) holds no raw control, escape or format character;
//! - the JSON report, the `--events` lines and `report --format json` give back the exact bytes;
//! - every suggestion that names such a path parses back (YAML with a YAML parser, TOML with
//!   Python's tomllib, shell words with bash) to the exact original bytes, or is an explicit
//!   refusal that says why.

use std::{
    ffi::{OsStr, OsString},
    os::unix::{
        ffi::{OsStrExt as _, OsStringExt as _},
        fs::PermissionsExt as _,
    },
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

use denytrace_tests::{Child, PLAIN_PATH, TempDir, bin, exit_within, nobody_bin, nobody_shell, open_dir, require_root, s, wait_for};
use serde_json::Value;

/// File names (no `/`, no NUL) that each try something.
const NAMES: &[&[u8]] = &[
    b"nl\nINJECTED-LINE",
    b"cls\x1b[2J\x1b[H",
    b"osc8\x1b]8;;http:evil\x1b\\click\x1b]8;;\x1b\\",
    b"title\x1b]0;pwned\x07",
    "bidi\u{202e}txt.exe".as_bytes(),
    "isolate\u{2066}x\u{2069}".as_bytes(),
    "zero\u{200b}width\u{feff}".as_bytes(),
    b"bad\xff\xfeutf8",
    b"c1\xc2\x9b31m",
    b"yaml: key",
    b"hash #comment",
    b"quotes \"double\" 'single'",
    b"- list item",
    b"back\\slash\\x41",
    b"tab\there",
    b"cr\rreturn",
    b"semi;colon$(id)`id`",
    b"percent%h",
    b"colon:comma,",
    b"--option",
];

fn os(bytes: &[u8]) -> &OsStr {
    OsStr::from_bytes(bytes)
}

fn path_bytes(p: &Path) -> &[u8] {
    p.as_os_str().as_bytes()
}

/// Format and invisible characters that must never reach a terminal raw (Unicode category Cf,
/// and the line and paragraph separators).
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{0600}'..='\u{0605}' | '\u{061c}' | '\u{06dd}' | '\u{070f}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}' | '\u{e0001}' | '\u{e0020}'..='\u{e007f}')
}

/// Terminal output: valid UTF-8, and no control character but line feeds, no format character,
/// and no line that a name could have started (`INJECTED-LINE` follows a line feed in a name).
fn assert_terminal_safe(out: &[u8], what: &str) {
    let text = std::str::from_utf8(out).unwrap_or_else(|e| panic!("{what}: not UTF-8 ({e}): {out:?}"));
    for (i, line) in text.lines().enumerate() {
        let bad: Vec<char> = line.chars().filter(|&c| c.is_control() || is_format(c)).collect();
        assert!(bad.is_empty(), "{what}: line {} holds raw {bad:?}: {line:?}", i + 1);
        assert!(!line.starts_with("INJECTED"), "{what}: a name started line {}: {line:?}", i + 1);
    }
}

/// The bytes of a report name: a plain string, or `{"bytes_hex", "lossy"}`.
fn text_bytes(v: &Value) -> Vec<u8> {
    if let Some(s) = v.as_str() {
        return s.as_bytes().to_vec();
    }
    let hex = v["bytes_hex"].as_str().unwrap_or_else(|| panic!("not a name: {v}"));
    assert!(v["lossy"].is_string(), "a non-UTF-8 name carries its lossy form: {v}");
    assert_eq!(hex.len() % 2, 0, "{hex}");
    (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex")).collect()
}

fn output(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

/// `denytrace report FILE --format F`: its output, checked for terminal safety (JSON aside).
fn report_as(report: &Path, format: &str) -> Vec<u8> {
    let out = output(Command::new(bin("denytrace")).args(["report", s(report), "--format", format]));
    assert_eq!(out.status.code(), Some(0), "report --format {format}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// The hostile files, made in `dir` with `mode`, as full paths.
fn make_files(dir: &Path, mode: u32) -> Vec<PathBuf> {
    NAMES
        .iter()
        .map(|name| {
            let p = dir.join(os(name));
            std::fs::write(&p, "x\n").expect("writing a hostile file");
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
            p
        })
        .collect()
}

/// The denial whose path is exactly `path`.
fn denial_on<'a>(report: &'a Value, path: &Path) -> &'a Value {
    let all = report["denials"].as_array().expect("denials");
    let found: Vec<&Value> = all.iter().filter(|d| !d["path"].is_null() && text_bytes(&d["path"]) == path_bytes(path)).collect();
    assert_eq!(found.len(), 1, "one denial on {}; paths: {:?}", path.display(), all.iter().map(|d| &d["path"]).collect::<Vec<_>>());
    found[0]
}

/// The suggestion of `format` carried by a denial, following "merged into ... denial #N".
fn suggestion<'a>(report: &'a Value, d: &'a Value, format: &str) -> (&'a Value, &'a Value) {
    let own = d["suggestions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["format"] == format))
        .unwrap_or_else(|| panic!("no {format} suggestion: {d:#}"));
    let text = own["text"].as_str().unwrap_or("");
    let Some(rest) = text.strip_prefix("merged into the ") else {
        return (own, own);
    };
    let n: usize = rest
        .rsplit('#')
        .next()
        .and_then(|t| t.trim_end_matches(|c: char| !c.is_ascii_digit()).parse().ok())
        .unwrap_or_else(|| panic!("which denial carries it? {text}"));
    let carrier = &report["denials"][n - 1];
    let merged = carrier["suggestions"].as_array().and_then(|a| a.iter().find(|x| x["format"] == format)).expect("the carrier's suggestion");
    (own, merged)
}

/// Whether a suggestion is an explicit refusal that gives a reason.
fn is_refusal(s: &Value) -> bool {
    let change = s["change"].as_str().unwrap_or("");
    let text = s["text"].as_str().unwrap_or("");
    (change.starts_with("no ") || change.starts_with("not ")) && (text.starts_with("not suggested: ") || text.starts_with("not expressible"))
        && text.len() > "not suggested: ".len()
}

/// The strings of an `OpenShell` fragment's `filesystem_policy.read_only`/`read_write`, parsed with
/// a YAML parser; the fragment must add nothing else.
fn openshell_paths(text: &str) -> Vec<String> {
    let v: Value = serde_norway::from_str(text).unwrap_or_else(|e| panic!("the OpenShell fragment is not YAML ({e}):\n{text}"));
    let root = v.as_object().expect("a mapping");
    assert_eq!(root.keys().collect::<Vec<_>>(), ["filesystem_policy"], "no key was added:\n{text}");
    let fs = root["filesystem_policy"].as_object().expect("filesystem_policy is a mapping");
    assert!(fs.keys().all(|k| k == "read_only" || k == "read_write"), "only the two lists:\n{text}");
    fs.values()
        .flat_map(|l| l.as_array().expect("a list").iter().map(|p| p.as_str().expect("a string").to_owned()))
        .collect()
}

/// The `path` values of a Landlock TOML fragment, parsed with Python's tomllib.
fn landlock_paths(text: &str) -> Vec<String> {
    let mut child = Command::new("python3")
        .args(["-c", "import json, sys, tomllib; print(json.dumps(tomllib.loads(sys.stdin.read())))"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), text.as_bytes()).expect("writing TOML");
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("python3");
    assert!(out.status.success(), "the Landlock fragment is not TOML:\n{text}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON from python");
    let rules = v["path_beneath"].as_array().unwrap_or_else(|| panic!("path_beneath rules:\n{text}"));
    assert!(v.as_object().is_some_and(|o| o.len() == 1), "no table was added:\n{text}");
    rules.iter().map(|r| r["path"].as_str().expect("a path").to_owned()).collect()
}

/// What bash makes of one shell word, as bytes (the word is pasted as a person would).
fn bash_word(word: &str) -> Vec<u8> {
    let out = output(Command::new("bash").args(["-c", &format!("printf '%s\\0' {word}")]));
    assert!(out.status.success(), "bash rejected {word:?}");
    let mut words: Vec<&[u8]> = out.stdout.split(|&b| b == 0).collect();
    words.pop();
    assert_eq!(words.len(), 1, "{word:?} is {} words for bash", words.len());
    words[0].to_vec()
}

/// A hostile name in a Landlock sandbox: every output stays safe, the JSON is exact, and the
/// `OpenShell` and Landlock grants parse back exactly (or are refused, for invalid UTF-8).
#[test]
fn hostile_file_names_in_a_landlock_sandbox() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("hostile-ll");
    let hostile = dir.join("h");
    std::fs::create_dir(&hostile).expect("mkdir");
    let files = make_files(&hostile, 0o644);
    let workload = bin("dt-workload");
    let report = dir.join("report.json");
    let events = dir.join("events.jsonl");
    let loop_script = format!("for f; do {} open \"$f\" ro; done", s(&workload));
    let mut cmd = Command::new(bin("denytrace"));
    cmd.args(["run", "--report", s(&report), "--events", s(&events)])
        .args(["--suggest", "openshell,landlock,oci-seccomp,docker,kubernetes,systemd,bwrap", "--"])
        .arg(bin("dt-landlock"))
        .args(["--ro", "/usr", "--ro-opt", "/lib", "--ro-opt", "/lib64", "--ro-opt", "/bin", "--ro-opt", "/etc", "--ro-opt", "/proc"])
        .args(["--ro", s(workload.parent().expect("bin dir")), "--", "/bin/sh", "-c", &loop_script, "sh"])
        .args(&files)
        .env("PATH", PLAIN_PATH)
        .env_remove("LD_LIBRARY_PATH");
    let out = output(&mut cmd);
    assert_eq!(out.status.code(), Some(1), "the last open failed; stderr:\n{}", String::from_utf8_lossy(&out.stderr));
    assert_terminal_safe(&out.stderr, "the summary");
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(summary.contains("landlock (certain)"), "{summary}");

    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON report");
    for f in &files {
        let d = denial_on(&r, f);
        assert_eq!(d["cause"]["kind"], "landlock", "{d:#}");
        assert_eq!(d["errno"], "EACCES");
    }
    // The command line round-trips too.
    let command: Vec<Vec<u8>> = r["target"]["command"].as_array().expect("command").iter().map(text_bytes).collect();
    assert_eq!(&command[command.len() - files.len()..], files.iter().map(|f| path_bytes(f).to_vec()).collect::<Vec<_>>());

    // --events: one JSON document per line, whatever the names hold.
    let lines = std::fs::read_to_string(&events).expect("events");
    let mut seen = Vec::new();
    for line in lines.lines() {
        let e: Value = serde_json::from_str(line).unwrap_or_else(|err| panic!("an events line is not JSON ({err}): {line:?}"));
        if e["event"] == "denial" && !e["denial"]["path"].is_null() {
            seen.push(text_bytes(&e["denial"]["path"]));
        }
    }
    for f in &files {
        assert!(seen.contains(&path_bytes(f).to_vec()), "no event for {f:?}");
    }

    // Re-rendered from the file: human and Markdown safe, JSON identical.
    assert_terminal_safe(&report_as(&report, "human"), "report --format human");
    assert_terminal_safe(&report_as(&report, "markdown"), "report --format markdown");
    let again: Value = serde_json::from_slice(&report_as(&report, "json")).expect("report --format json");
    assert_eq!(again, r, "report --format json gives the same report back");

    // Suggestions: exact or refused.
    let listing = output(Command::new(bin("denytrace")).args(["suggest", "--report", s(&report), "--format", "openshell,landlock"]));
    assert_eq!(listing.status.code(), Some(0), "{}", String::from_utf8_lossy(&listing.stderr));
    assert_terminal_safe(&listing.stdout, "suggest's listing");
    for f in &files {
        let d = denial_on(&r, f);
        for (format, parse) in [("openshell", openshell_paths as fn(&str) -> Vec<String>), ("landlock", landlock_paths)] {
            let (own, carrier) = suggestion(&r, d, format);
            if let Ok(name) = std::str::from_utf8(path_bytes(f)) {
                let granted = parse(carrier["text"].as_str().expect("text"));
                assert!(granted.iter().any(|g| g == name), "{format}: {name:?} is not granted exactly: {granted:?}");
            } else {
                assert!(is_refusal(own), "{format}: a name that is not UTF-8 is refused with a reason: {own:#}");
                assert!(own["text"].as_str().is_some_and(|t| t.contains("UTF-8")), "{own:#}");
            }
        }
    }
    // Nothing but the real paths was granted under the hostile directory: no name added an entry.
    let (_, carrier) = suggestion(&r, denial_on(&r, &files[0]), "openshell");
    let under: Vec<String> = openshell_paths(carrier["text"].as_str().expect("text"))
        .into_iter()
        .filter(|g| g.starts_with(s(&hostile)))
        .collect();
    let utf8_files = files.iter().filter(|f| f.to_str().is_some()).count();
    assert_eq!(under.len(), utf8_files, "{under:#?}");
}

/// Permission-bits refusals on hostile names, by a process whose executable (and so `comm`) has
/// a hostile name too: terminal output safe, JSON exact, and the `chown`/`chmod` remedies give
/// bash the exact path (or are refused).
#[test]
fn hostile_names_in_dac_refusals_and_their_remedies() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("hostile-dac");
    open_dir(&dir.0);
    let files = make_files(&dir.0, 0o600);
    let exe_name: &[u8] = b"dt\x1b[31m\xe2\x80\xae\xff\nx-workload";
    let exe = dir.0.join(os(exe_name));
    std::fs::copy(nobody_bin("dt-workload", &dir), &exe).expect("copying dt-workload");
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let report = dir.join("report.json");
    let loop_script = "w=$1; shift; for f; do \"$w\" open \"$f\" ro; done";
    let out = output(
        Command::new(bin("denytrace"))
            .args(["run", "--user", "65534", "--report", s(&report), "--suggest", "openshell,systemd,docker,bwrap", "--"])
            .args(["/bin/sh", "-c", loop_script, "sh"])
            .arg(&exe)
            .args(&files)
            .env("PATH", PLAIN_PATH)
            .env_remove("LD_LIBRARY_PATH"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_terminal_safe(&out.stderr, "the summary");
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON report");
    for f in &files {
        let d = denial_on(&r, f);
        assert_eq!(d["cause"]["kind"], "dac", "{d:#}");
        assert_eq!(text_bytes(&d["process"]["exe"]), path_bytes(&exe), "the executable's exact name");
        // The kernel's comm is the first 15 bytes of the executed file's name.
        assert_eq!(text_bytes(&d["process"]["comm"]), &exe_name[..15], "comm, exactly as the kernel keeps it");
        for format in ["openshell", "systemd", "docker", "bwrap"] {
            let (own, _) = suggestion(&r, d, format);
            let text = own["text"].as_str().expect("text");
            let words: Vec<&str> = text
                .lines()
                .filter_map(|l| l.split_once("chown 65534 ").map(|(_, rest)| rest))
                .map(|rest| rest.split(" (or chgrp").next().unwrap_or(rest))
                .collect();
            if words.is_empty() {
                assert!(
                    text.contains("cannot") || text.contains("not suggested") || text.contains("by hand"),
                    "{format}: without a chown remedy the suggestion says why: {text}"
                );
            }
            for word in words {
                assert_eq!(bash_word(word), path_bytes(f), "{format}: bash reads {word:?} as another path");
            }
        }
    }
    assert_terminal_safe(&report_as(&report, "human"), "report --format human");
    assert_terminal_safe(&report_as(&report, "markdown"), "report --format markdown");
}

/// A watched cgroup whose name holds escapes, a bidi override and invalid UTF-8: the live lines
/// and the summary are safe, the report names the cgroup exactly, and removing the cgroup ends
/// the watch.
#[test]
fn hostile_cgroup_name_in_watch() {
    let Some(root) = denytrace_tests::require_root_and_cgroup2() else {
        return;
    };
    let name: Vec<u8> = [b"denytrace-test-\x1b[2J\xe2\x80\xae\xff-".as_slice(), std::process::id().to_string().as_bytes()].concat();
    let cg = root.join(os(&name));
    std::fs::create_dir(&cg).expect("mkdir in cgroup2");
    let cleanup = denytrace_tests::Defer(|| {
        let _ = std::fs::remove_dir(&cg);
    });
    let dir = TempDir::new("hostile-cg");
    open_dir(&dir.0);
    let secret = dir.join("secret");
    denytrace_tests::root_secret(&secret);
    let report = dir.join("report.json");
    let mut watch = Child(
        Command::new(bin("denytrace"))
            .args(["watch", "--report", s(&report), "--cgroup"])
            .arg(&cg)
            .stdout(std::fs::File::create(dir.join("out")).expect("out"))
            .stderr(std::fs::File::create(dir.join("err")).expect("err"))
            .spawn()
            .expect("starting watch"),
    );
    // A long-lived shell in the cgroup that fails to open the file itself (a builtin's
    // redirection) until the watch has printed its line: alive, so its cgroup is read live.
    let stop = dir.join("stop");
    let script = format!("while [ ! -e {} ]; do true < {}; sleep 0.05; done", s(&stop), s(&secret));
    let mut pre = nobody_shell(&script);
    pre.stdout(Stdio::null())
        .stderr(Stdio::null());
    let procs = cg.join("cgroup.procs");
    // SAFETY: only async-signal-safe calls (open, write, close) on data prepared before fork.
    unsafe {
        let procs_c = std::ffi::CString::new(procs.as_os_str().as_bytes()).expect("path");
        std::os::unix::process::CommandExt::pre_exec(&mut pre, move || {
            let fd = libc::open(procs_c.as_ptr(), libc::O_WRONLY);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let pid = b"0";
            let n = libc::write(fd, pid.as_ptr().cast(), pid.len());
            libc::close(fd);
            if n < 0 { Err(std::io::Error::last_os_error()) } else { Ok(()) }
        });
    }
    let mut member = Child(pre.spawn().expect("starting the cgroup's process"));
    let out_path = dir.join("out");
    assert!(
        wait_for(20, || std::fs::read_to_string(&out_path).is_ok_and(|o| o.contains("EACCES"))),
        "no live line; stderr: {}",
        std::fs::read_to_string(dir.join("err")).unwrap_or_default()
    );
    std::fs::write(&stop, "").expect("stop");
    let _ = member.0.wait();
    drop(member);
    // Removing the cgroup ends the watch.
    assert!(wait_for(10, || std::fs::remove_dir(&cg).is_ok()), "rmdir of the emptied cgroup");
    let status = exit_within(&mut watch, 10);
    assert!(status.is_some(), "watch did not end when its cgroup was removed");
    drop(cleanup);
    let err = std::fs::read(dir.join("err")).expect("stderr");
    let out = std::fs::read(dir.join("out")).expect("stdout");
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", String::from_utf8_lossy(&err));
    assert_terminal_safe(&out, "watch's live lines");
    assert_terminal_safe(&err, "watch's summary");
    let err = String::from_utf8_lossy(&err);
    assert!(err.contains("watch ended: the watched cgroup was removed"), "{err}");
    assert!(err.contains("in cgroup /sys/fs/cgroup/unified/denytrace-test-\\x1b[2J\\u{202e}\\xff-"), "{err}");
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON");
    assert_eq!(text_bytes(&r["target"]["cgroup"]), path_bytes(&cg), "the cgroup's exact name");
    let d = r["denials"].as_array().and_then(|a| a.first()).expect("the denial");
    assert_eq!(d["cause"]["kind"], "dac");
    let shown = OsString::from_vec(text_bytes(&d["process"]["cgroup"]));
    assert!(shown.as_bytes().ends_with(&name), "the process's cgroup names it exactly: {shown:?}");
}
