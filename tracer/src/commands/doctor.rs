//! `denytrace doctor`: what this kernel offers, checked for real (the programs are loaded and
//! attached, then detached), and what each finding means for accuracy.

use anyhow::Result;
use serde::Serialize;

use crate::{
    btf::Btf,
    cli::DoctorArgs,
    kernel::{self, features::Trampolines},
    loader::{Scope, Settings, Tracer},
};

/// One finding.
#[derive(Debug, Serialize)]
struct Finding {
    /// What was checked.
    check: String,
    /// "ok", "missing" or "note".
    status: &'static str,
    /// What was found.
    found: String,
    /// What it means for denytrace.
    meaning: String,
}

fn finding(check: &str, ok: bool, found: String, meaning: &str) -> Finding {
    Finding { check: check.into(), status: if ok { "ok" } else { "missing" }, found, meaning: meaning.into() }
}

/// Runs `denytrace doctor`; exit 0 when tracing can work, 1 when not.
#[expect(clippy::too_many_lines, reason = "one finding after the other, in the order printed")]
pub fn doctor(args: &DoctorArgs) -> Result<u8> {
    let mut findings = Vec::new();
    let privileges = super::check_privileges();
    findings.push(finding(
        "privileges",
        privileges.is_ok(),
        privileges.as_ref().map_or_else(|e| format!("{e:#}"), |()| "CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) held".into()),
        "needed to load and attach the programs",
    ));
    let btf = Btf::from_sys();
    findings.push(finding(
        "BTF",
        btf.is_ok(),
        btf.as_ref().map_or_else(|e| format!("{e:#}"), |_| "/sys/kernel/btf/vmlinux".into()),
        "kernel struct offsets are read from it; without it denytrace cannot run",
    ));
    let lsms = kernel::lsm::active().unwrap_or_default();
    findings.push(Finding {
        check: "LSMs".into(),
        status: "note",
        found: lsms.join(","),
        meaning: if lsms.iter().any(|l| matches!(l.as_str(), "apparmor" | "selinux" | "smack" | "tomoyo")) {
            "another restricting LSM is active: Landlock verdicts by elimination are at most `likely`".into()
        } else {
            "no other restricting LSM: Landlock can be proved by elimination (`certain`)".into()
        },
    });
    let abi = super::session::landlock_abi();
    findings.push(Finding {
        check: "Landlock".into(),
        status: if abi.is_some() { "ok" } else { "note" },
        found: abi.map_or_else(|| "not enabled".into(), |v| format!("ABI {v}")),
        meaning: "Landlock sandboxes can be explained".into(),
    });
    if let Ok(btf) = &btf {
        if lsms.iter().any(|l| l == "landlock") {
            let blob = kernel::lsm::landlock_cred_blob_offset(btf, &lsms);
            findings.push(finding(
                "Landlock domain",
                blob.is_ok(),
                blob.as_ref().map_or_else(|e| format!("{e:#}"), |o| format!("cred blob offset {o}")),
                "each task's Landlock domain and handled rights are read in the kernel",
            ));
        }
        for hook in kernel::offsets::HOOKS {
            let proto = kernel::offsets::check_prototype(btf, hook);
            findings.push(finding(
                &format!("tracepoint {}", hook.tracepoint),
                proto.is_ok(),
                proto.as_ref().map_or_else(|e| format!("{e:#}"), |_| "prototype matches".into()),
                if proto.is_ok() { "attached as a raw tracepoint" } else { hook.without },
            ));
        }
        let tramp = kernel::features::probe_trampolines(btf);
        findings.push(Finding {
            check: "fentry/LSM programs".into(),
            status: "note",
            found: match &tramp {
                Trampolines::Allowed => "allowed".into(),
                Trampolines::Refused(e) => format!("refused ({})", crate::names::errno_name(*e).unwrap_or("?")),
                Trampolines::Unknown(w) => w.clone(),
            },
            meaning: "not used by this version: tracepoints only, which work on every kernel with BTF".into(),
        });
    }
    findings.push(Finding {
        check: "BPF-LSM programs".into(),
        status: "note",
        found: format!("{} loaded", kernel::features::bpf_lsm_programs()),
        meaning: "loaded BPF-LSM programs can refuse access; they lower Landlock certainty".into(),
    });
    let audit = kernel::features::audit_enabled();
    findings.push(Finding {
        check: "audit".into(),
        status: "note",
        found: audit.map_or_else(|| "unknown".into(), |a| if a { "enabled".into() } else { "disabled".into() }),
        meaning: "not needed: denytrace does not rely on audit records".into(),
    });
    let v2 = kernel::cgroup::v2_mounts();
    findings.push(Finding {
        check: "cgroup v2".into(),
        status: if v2.is_empty() { "missing" } else { "ok" },
        found: if v2.is_empty() { "not mounted".into() } else { v2.join(", ") },
        meaning: "`watch --cgroup` and pids/device checks of v2 cgroups".into(),
    });
    findings.push(Finding {
        check: "lockdown".into(),
        status: "note",
        found: kernel::features::lockdown().unwrap_or_else(|| "unknown (securityfs not mounted)".into()),
        meaning: "integrity/confidentiality lockdown refuses some operations with EPERM".into(),
    });
    // The real proof: load and attach everything, then detach.
    let load = if privileges.is_ok() && btf.is_ok() { Some(Tracer::load(&Settings::new(Scope::Pids))) } else { None };
    let works = matches!(load, Some(Ok(_)));
    match load {
        Some(Ok(tracer)) => {
            for m in &tracer.mechanisms {
                findings.push(Finding {
                    check: format!("load {}", m.name),
                    status: if m.used { "ok" } else { "missing" },
                    found: if m.used { "loaded and attached".into() } else { m.detail.clone() },
                    meaning: String::new(),
                });
            }
            for m in &tracer.missing {
                findings.push(Finding { check: "offsets".into(), status: "missing", found: m.clone(), meaning: String::new() });
            }
        }
        Some(Err(e)) => findings.push(finding("load programs", false, format!("{e:#}"), "denytrace cannot trace here")),
        None => findings.push(finding("load programs", false, "not attempted".into(), "fix the items above first")),
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "works": works, "findings": findings }))?);
    } else {
        for f in &findings {
            println!("[{:7}] {}: {}", f.status, f.check, crate::text::term_str(&f.found));
            if !f.meaning.is_empty() {
                println!("          {}", f.meaning);
            }
        }
        println!(
            "\n{}",
            if works { "denytrace can trace on this machine." } else { "denytrace cannot trace on this machine (see above)." }
        );
    }
    Ok(u8::from(!works))
}
