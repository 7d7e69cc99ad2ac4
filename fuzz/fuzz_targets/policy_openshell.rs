//! Fuzz target `policy_openshell`: an `OpenShell` policy (YAML) and paths to grant, as arbitrary
//! bytes (see `denytrace_fuzz::split`).
//!
//! The reader (`detect`, `parse`, `validate`) and the patcher (`render`) give a value or an
//! error, never a panic. A fragment that renders parses back with exactly one key,
//! `filesystem_policy`, listing only paths that were asked for, byte for byte. A patch that
//! renders applies (by an independent applier) to the original, and the result parses, keeps
//! every other key as it was, and lists only the original paths and the new ones.

#![no_main]

use std::collections::BTreeSet;

use denytrace::suggest::{self, Policy, PolicyKind, need::PathGrant, openshell};
use denytrace_fuzz::{apply_unified, split};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn listed(v: &Value) -> BTreeSet<String> {
    ["read_only", "read_write"]
        .iter()
        .filter_map(|k| v.get("filesystem_policy")?.get(k)?.as_array())
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((text, items)) = split(data) else {
        return;
    };
    let grants: Vec<PathGrant> = items
        .into_iter()
        .map(|(write, path)| PathGrant {
            path,
            write,
            rights: if write { 0xffff } else { 0b1101 },
            dir: false,
            anticipated: false,
            why: String::new(),
        })
        .collect();
    let asked: BTreeSet<String> = grants.iter().map(|g| g.path.clone()).collect();
    let _ = suggest::detect(text);
    let original = openshell::parse(text);
    if let Ok(v) = &original {
        let _ = openshell::validate(v);
    }
    if let Ok(r) = openshell::render(&grants, None) {
        let v = openshell::parse(&r.text).unwrap_or_else(|e| panic!("the fragment does not parse ({e}):\n{}", r.text));
        let keys: Vec<&String> = v.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        assert!(keys.is_empty() || keys == ["filesystem_policy"], "keys {keys:?}:\n{}", r.text);
        for p in listed(&v) {
            assert!(asked.contains(&p), "{p:?} was not asked for:\n{}", r.text);
        }
    }
    let policy = Policy { name: "policy.yaml".into(), text: text.to_owned(), kind: PolicyKind::OpenShell };
    if let Ok(r) = openshell::render(&grants, Some(&policy)) {
        if !r.text.starts_with("--- ") {
            return;
        }
        let patched = apply_unified(text, &r.text);
        let got = openshell::parse(&patched).unwrap_or_else(|e| panic!("the patched policy does not parse ({e}):\n{patched}"));
        let before = original.expect("a policy that was patched was read");
        for (k, v) in got.as_object().into_iter().flatten() {
            if k != "filesystem_policy" {
                assert_eq!(Some(v), before.get(k), "key {k} changed:\n{patched}");
            }
        }
        let old = listed(&before);
        for p in listed(&got) {
            assert!(old.contains(&p) || asked.contains(&p), "{p:?} appeared from nowhere:\n{patched}");
        }
    }
});
