//! Fuzz target `policy_oci_seccomp`: an OCI / Docker seccomp profile (JSON) and syscall names to
//! allow, as arbitrary bytes (see `denytrace_fuzz::split`).
//!
//! The reader (`suggest::json::parse`, `detect`) and the patcher (`render`) give a value or an
//! error, never a panic; what the position-keeping reader accepts, `serde_json` accepts too. A
//! patch that renders applies (by an independent applier) to the original; the result is valid
//! JSON with the same `defaultAction`, and every name asked for is in an unconditional
//! `SCMP_ACT_ALLOW` rule (or the default action allows it).

#![no_main]

use denytrace::suggest::{self, Policy, PolicyKind, json, oci_seccomp};
use denytrace_fuzz::{apply_unified, split};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn unconditional(rule: &Value) -> bool {
    ["args", "includes", "excludes"].iter().all(|k| match rule.get(k) {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(_) => false,
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((text, items)) = split(data) else {
        return;
    };
    let names: Vec<String> = items.into_iter().map(|(_, n)| n).collect();
    let _ = suggest::detect(text);
    if json::parse(text).is_ok() {
        assert!(serde_json::from_str::<Value>(text).is_ok(), "json::parse accepted what serde_json refuses: {text:?}");
    }
    if let Ok(r) = oci_seccomp::render(&names, None) {
        let v: Value = serde_json::from_str(&r.text).unwrap_or_else(|e| panic!("the fragment is not JSON ({e}):\n{}", r.text));
        let listed: Vec<&str> = v["names"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        for n in listed {
            assert!(names.iter().any(|x| x == n), "{n:?} was not asked for");
        }
    }
    let policy = Policy { name: "profile.json".into(), text: text.to_owned(), kind: PolicyKind::OciSeccomp };
    let Ok(r) = oci_seccomp::render(&names, Some(&policy)) else {
        return;
    };
    if !r.text.starts_with("--- ") {
        return;
    }
    let patched = apply_unified(text, &r.text);
    let before: Value = serde_json::from_str(text).expect("a patched profile was JSON");
    let after: Value = serde_json::from_str(&patched).unwrap_or_else(|e| panic!("the patched profile is not JSON ({e}):\n{patched}"));
    assert_eq!(before.get("defaultAction"), after.get("defaultAction"));
    let default_allows = matches!(after["defaultAction"].as_str(), Some("SCMP_ACT_ALLOW" | "SCMP_ACT_LOG"));
    for name in &names {
        let allowed = after["syscalls"].as_array().into_iter().flatten().any(|rule| {
            unconditional(rule)
                && rule["action"] == "SCMP_ACT_ALLOW"
                && rule["names"].as_array().is_some_and(|a| a.iter().any(|n| n == name.as_str()))
        });
        assert!(allowed || default_allows, "{name:?} is not allowed by the patched profile:\n{patched}");
    }
});
