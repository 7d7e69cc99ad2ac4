//! The single-file binary of `cargo xtask dist` (`target/dist/denytrace`, built by the `dist`
//! phase of `cargo xtask test`): statically linked, and working when copied alone into an empty
//! directory and run with an empty environment: it traces a real denial (its eBPF object is
//! embedded), resolves `--user nobody` without the system's shared libraries, and writes its
//! artifacts.

use std::{path::PathBuf, process::Command};

use denytrace_tests::{TempDir, open_dir, require, require_root, root_secret, s, target_dir};

fn dist_binary() -> PathBuf {
    target_dir().parent().expect("target/").join("dist").join("denytrace")
}

/// `PT_INTERP` and `PT_DYNAMIC` program headers of an ELF64 little-endian file.
fn dynamic_headers(bytes: &[u8]) -> Vec<u32> {
    let u16_at = |o: usize| u16::from_le_bytes([bytes[o], bytes[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
    let phoff = usize::try_from(u64::from_le_bytes(bytes[32..40].try_into().expect("8 bytes"))).expect("offset");
    let (size, count) = (usize::from(u16_at(54)), usize::from(u16_at(56)));
    (0..count).map(|i| u32_at(phoff + i * size)).filter(|t| *t == 2 || *t == 3).collect()
}

#[test]
fn dist_binary_runs_alone_from_an_empty_directory() {
    let file = dist_binary();
    if !require(file.exists(), "target/dist/denytrace (built by `cargo xtask dist`, a phase of `cargo xtask test`)") {
        return;
    }
    if !require_root() {
        return;
    }
    let bytes = std::fs::read(&file).expect("reading the dist binary");
    assert_eq!(&bytes[..5], b"\x7fELF\x02", "an ELF64 file");
    assert_eq!(dynamic_headers(&bytes), Vec::<u32>::new(), "no program interpreter, no dynamic section");
    let sums = std::fs::read_to_string(file.with_file_name("denytrace.sha256")).expect("denytrace.sha256 beside it");
    assert!(sums.ends_with("  denytrace\n"), "{sums}");

    let tmp = TempDir::new("dist");
    open_dir(&tmp.0);
    let alone = tmp.join("alone");
    std::fs::create_dir(&alone).expect("mkdir");
    std::fs::copy(&file, alone.join("denytrace")).expect("copying the dist binary");
    let secret = tmp.join("secret");
    root_secret(&secret);
    let out = Command::new("./denytrace")
        .args(["run", "--user", "nobody", "--artifacts", "art", "--", "/bin/cat", s(&secret)])
        .current_dir(&alone)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("running the dist binary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "cat's exit code; stderr:\n{stderr}");
    assert!(stderr.contains("cause: dac (certain)"), "{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(alone.join("art/report.json")).expect("art/report.json")).expect("JSON");
    let d = &report["denials"][0];
    assert_eq!(d["path"].as_str(), Some(s(&secret)));
    assert_eq!(d["process"]["uid"], 65534, "--user nobody resolved to 65534 without glibc's NSS");
    assert_eq!(d["cause"]["kind"], "dac");
    let mut left: Vec<String> =
        std::fs::read_dir(&alone).expect("ls").filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["art", "denytrace"], "nothing but the artifacts was written beside it");
}
