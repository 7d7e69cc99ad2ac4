//! Refusals that no sandbox grant fixes: permission bits (DAC) and read-only mounts get the fact
//! (owner, group, mode; mount and options) and the usual remedies, plus what the format itself can
//! do when it can (run with the file's group, make a mount writable). An object that was created
//! or changed moments before the denial is reported as a race, with the gap and who did it when
//! known. Also: where to look for the mechanisms a format has no field for.

use std::fmt::Write as _;

use super::{
    Format, Part,
    need::{Dac, Need, ReadOnly},
    quote,
    risk::{Level, Risk},
};
use crate::text::term_str;

/// Below this many milliseconds between a change of the object and the denial, it is a race.
pub const RACE_MS: i64 = 5_000;

fn bits_of(needed: &str) -> String {
    let mut b = String::new();
    for (word, letter) in [("read", 'r'), ("write", 'w'), ("execute", 'x'), ("search", 'x')] {
        if needed.contains(word) && !b.contains(letter) {
            b.push(letter);
        }
    }
    b
}

fn has_class_bits(mode: u32, shift: u32, bits: &str) -> bool {
    bits.chars().all(|c| {
        let bit = match c {
            'r' => 4,
            'w' => 2,
            _ => 1,
        };
        (mode >> shift) & bit != 0
    })
}

/// Permission bits refused: facts and remedies, with the format's own option when it has one.
#[must_use]
pub fn dac(format: Format, d: &Dac, label: &str, own: Option<(String, Risk)>) -> Part {
    let needed = d.needed.clone().unwrap_or_else(|| "access".into());
    let bits = bits_of(&needed);
    let mode = d.mode.as_deref().and_then(|m| u32::from_str_radix(m, 8).ok());
    let owner = d.owner.map_or_else(|| "?".into(), |o| o.to_string());
    let group = d.group.map_or_else(|| "?".into(), |g| g.to_string());
    let caller_uid = d.fsuid.map_or_else(|| "?".into(), |u| u.to_string());
    let caller_group = d.fsgid.map_or_else(|| "?".into(), |g| g.to_string());
    let object = &d.object;
    let mut text = format!(
        "fact: {object} ({}mode {}, owner {owner}, group {group}) does not give {needed} to the caller (fsuid {caller_uid}, fsgid {caller_group}{}).\n\
         no {format} grant helps: the file's permission bits refused it, not the sandbox.\nremedies:\n",
        d.object_type.as_deref().map_or_else(String::new, |t| format!("{t}, ")),
        d.mode.as_deref().unwrap_or("?"),
        d.groups.as_ref().map_or_else(String::new, |g| format!(", groups {g:?}")),
    );
    // The exact name, quoted for bash: never the escaped form shown in sentences.
    let obj = d.object_bytes.as_deref().map_or_else(|| quote::shell(object), quote::shell_bytes);
    let in_group = d.group.is_some() && (d.group == d.fsgid || d.groups.as_ref().is_some_and(|g| d.group.is_some_and(|x| g.contains(&x))));
    if let (Some(m), false) = (mode, bits.is_empty()) {
        if d.owner == d.fsuid {
            let _ = writeln!(text, "  - the caller owns it: chmod u+{bits} {obj}");
        } else if in_group {
            let _ = writeln!(text, "  - the caller is in its group: chmod g+{bits} {obj}");
        } else {
            let _ = writeln!(text, "  - give it to the caller: chown {caller_uid} {obj} (or chgrp {caller_group} {obj} && chmod g+{bits} {obj})");
            if has_class_bits(m, 3, &bits) {
                let _ = writeln!(text, "  - or run the program with group {group}, which already has {bits}");
            }
        }
    }
    text.push_str("  - or create it as the user that uses it, with the mode it needs from the start (umask, the mode given to open or mkdir)\n");
    if let Some((line, _)) = &own {
        let _ = writeln!(text, "  - {format}: {line}");
    }
    let mut why = format!("{label}: refused by permission bits");
    if let Some(gap) = d.changed_ms_before.filter(|g| (0..RACE_MS).contains(g)) {
        let who = d.changed_by.clone().unwrap_or_else(|| {
            format!("another process (not identified: denytrace does not trace chmod or chown; the object's owner is uid {owner})")
        });
        let _ = writeln!(
            text,
            "race: its owner or mode changed {gap} ms before the denial, by {who}: the program ran while another step was \
             still creating or changing it; make that step finish (with the final owner and mode) before this one starts"
        );
        let _ = write!(why, "; a race: the object changed {gap} ms before");
    }
    let risk = own.map_or_else(
        || Risk::new(Level::Medium, "changing owner or mode affects everyone else who uses the file"),
        |(_, r)| r,
    );
    Part { change: format!("no {format} grant: change the owner or mode of {object}"), text, risk, why, items: Vec::new() }
}

/// The directory to make writable for a read-only mount refusal (never `/`).
#[must_use]
pub fn writable_dir(r: &ReadOnly) -> Option<String> {
    let candidate = r.object.as_deref().and_then(|o| o.rsplit_once('/').map(|(d, _)| if d.is_empty() { "/" } else { d }).map(str::to_owned));
    candidate.filter(|d| d != "/").or_else(|| Some(r.mount_point.clone()).filter(|m| m != "/" && m != "?"))
}

/// A read-only (or noexec) mount refused: facts and remedies, with the format's own option.
#[must_use]
pub fn read_only(format: Format, r: &ReadOnly, label: &str, own: Option<(String, Risk)>) -> Part {
    let what = if r.noexec { "noexec" } else { "read-only" };
    let mp = term_str(&r.mount_point);
    let mut text = format!(
        "fact: {mp} is mounted {what} ({}{}).\nno {format} grant helps: the mount refused it, not the sandbox's rules.\nremedies:\n",
        r.fstype.as_deref().map_or_else(String::new, |f| format!("{f} ")),
        r.options.join(","),
    );
    if r.noexec {
        let _ = writeln!(text, "  - mount it with exec where that is intended: mount -o remount,exec {}", quote::shell(&r.mount_point));
        text.push_str("  - or run the program from a filesystem mounted with exec\n");
    } else {
        let _ = writeln!(text, "  - mount it read-write where that is intended: mount -o remount,rw {}", quote::shell(&r.mount_point));
        text.push_str("  - or let the program write somewhere writable (a tmpfs or a volume) instead\n");
    }
    if let Some((line, _)) = &own {
        let _ = writeln!(text, "  - {format}: {line}");
    }
    let risk = own.map_or_else(|| Risk::new(Level::Medium, "a writable mount widens what every process there can change"), |(_, r)| r);
    Part {
        change: format!("no {format} grant: the mount {mp} is {what}"),
        text,
        risk,
        why: format!("{label}: refused by a {what} mount"),
        items: Vec::new(),
    }
}

/// Where to change what a format has no field for, by mechanism.
#[must_use]
pub fn elsewhere(need: &Need, tail: &str) -> String {
    let what = match need {
        Need::Syscall { name, .. } => format!("the seccomp filter refused {name}"),
        Need::Capability { cap } => format!("the process lacks {cap}"),
        Need::Limit { limit, .. } => format!("the limit {limit} was reached"),
        Need::Pids { cgroup, .. } => format!("the cgroup {} is at its pids.max", term_str(cgroup)),
        Need::Devices { grants, cgroup } => format!(
            "the devices cgroup {} refuses {}",
            term_str(cgroup),
            grants.first().map(super::need::DeviceGrant::spec).unwrap_or_default()
        ),
        Need::Lsm { lsms } => format!(
            "{} refused it: update that LSM's profile for this program (AppArmor: aa-logprof; SELinux: audit2allow on its AVC records)",
            if lsms.is_empty() { "another LSM".to_owned() } else { lsms.join("/") }
        ),
        Need::Paths { .. } | Need::LandlockScope => "a Landlock ruleset refused it".to_owned(),
        Need::Dac(_) | Need::ReadOnly(_) => "permission bits or a mount refused it".to_owned(),
        Need::Nothing { why } => why.clone(),
    };
    if matches!(need, Need::Lsm { .. } | Need::Nothing { .. }) {
        what
    } else {
        format!("{what}; {tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dac_facts(changed: Option<i64>) -> Dac {
        Dac {
            object: "/srv/data/x".into(),
            object_bytes: Some(b"/srv/data/x".to_vec()),
            object_type: Some("regular file".into()),
            owner: Some(0),
            group: Some(50),
            mode: Some("0640".into()),
            needed: Some("read".into()),
            fsuid: Some(1000),
            fsgid: Some(1000),
            groups: Some(vec![]),
            changed_ms_before: changed,
            changed_by: None,
        }
    }

    #[test]
    fn dac_gives_facts_and_remedies() {
        let p = dac(Format::OpenShell, &dac_facts(None), "#1", None);
        assert!(p.text.starts_with("fact: /srv/data/x (regular file, mode 0640, owner 0, group 50)"), "{}", p.text);
        assert!(p.text.contains("chown 1000 /srv/data/x"));
        assert!(p.text.contains("run the program with group 50"));
        assert!(!p.text.contains("race"));
        assert!(p.items.is_empty());
    }

    #[test]
    fn a_recent_change_is_a_race() {
        let p = dac(Format::Docker, &dac_facts(Some(12)), "#1", None);
        assert!(p.text.contains("race: its owner or mode changed 12 ms before the denial"), "{}", p.text);
        assert!(p.why.contains("race"));
    }

    #[test]
    fn read_only_never_suggests_root() {
        let r = ReadOnly { mount_point: "/".into(), options: vec!["ro".into()], fstype: None, object: Some("/x".into()), noexec: false };
        assert_eq!(writable_dir(&r), None);
        let r = ReadOnly { mount_point: "/".into(), options: vec!["ro".into()], fstype: None, object: Some("/var/lib/app/db".into()), noexec: false };
        assert_eq!(writable_dir(&r).as_deref(), Some("/var/lib/app"));
    }
}
