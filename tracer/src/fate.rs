//! Process fate: who killed, stopped or starved a traced process. Signals for traced processes are
//! recorded with their sender (the task that caused them) or the kernel's reason, and each exit is
//! tied to the signal that ended it.

use std::collections::{HashMap, HashSet};

use denytrace_common::{Exec, Exit, OomVictim, Signal};

use crate::{
    clock::Clock,
    decode,
    describe,
    model::{ProcessFate, Sender, SignalEntry},
    names, procinfo,
    text::Text,
};

/// `si_code` values (include/uapi/asm-generic/siginfo.h).
const SI_KERNEL: i32 = 0x80;
const SYS_SECCOMP: i32 = 1;

/// Signals and exits of one session.
#[derive(Debug, Default)]
pub struct Fates {
    /// Signals in arrival (time) order.
    pub signals: Vec<SignalEntry>,
    /// Ended processes in time order.
    pub exits: Vec<ProcessFate>,
    started: HashMap<u32, u64>,
    oom: HashSet<u32>,
    traced: HashSet<u32>,
    parents: HashMap<u32, u32>,
}

/// The signal's name, or `SIGRT+n`.
#[must_use]
pub fn signal_name(sig: u32) -> String {
    names::signal_name(sig).map_or_else(|| format!("SIGRT+{}", sig.saturating_sub(32)), str::to_owned)
}

impl Fates {
    /// Notes a traced pid (the root of a `run`, or any pid seen in a record).
    pub fn note_traced(&mut self, pid: u32) {
        self.traced.insert(pid);
    }

    /// A traced process executed a file.
    pub fn on_exec(&mut self, e: &Exec, _exe: Vec<u8>) {
        self.traced.insert(e.task.pid);
        self.parents.insert(e.task.pid, e.task.ppid);
        self.started.entry(e.task.pid).or_insert(e.ts_ns);
    }

    /// The OOM killer chose `o.pid`.
    pub fn on_oom(&mut self, o: &OomVictim) {
        self.oom.insert(o.pid);
    }

    /// A signal for a traced task; returns the new entry's index.
    pub fn on_signal(&mut self, s: &Signal, sender_exe: Option<Vec<u8>>, clock: &Clock) -> Option<usize> {
        self.traced.insert(s.target_pid);
        let target_parent = self
            .parents
            .get(&s.target_pid)
            .copied()
            .or_else(|| procinfo::status(s.target_pid).map(|st| st.ppid));
        let by_kernel = s.info_read == 1 && s.code == SI_KERNEL;
        let kernel_reason = self.kernel_reason(s);
        let sender = (!by_kernel || kernel_reason.is_none()).then(|| {
            let relation = if s.sender.pid == s.target_pid {
                "self"
            } else if Some(s.sender.pid) == target_parent {
                "parent"
            } else if self.parents.get(&s.sender.pid) == Some(&s.target_pid) || s.sender.ppid == s.target_pid {
                "child"
            } else {
                "other"
            };
            Sender {
                pid: s.sender.pid,
                comm: Text::from_bytes(decode::comm(&s.sender)),
                exe: sender_exe.as_deref().map(Text::from_bytes),
                uid: s.sender.uid,
                traced: self.traced.contains(&s.sender.pid),
                relation: relation.to_owned(),
            }
        });
        let result = match s.result {
            0 => "delivered",
            1 => "ignored",
            2 => "already_pending",
            3 => "overflow",
            4 => "lost_info",
            _ => "unknown",
        };
        self.signals.push(SignalEntry {
            time: clock.wall(s.ts_ns),
            t_ms: clock.offset_ms(s.ts_ns),
            signal: signal_name(s.sig),
            target_pid: s.target_pid,
            target_comm: Text::from_bytes(decode::c_bytes(&s.target_comm)),
            sender,
            kernel_reason,
            fatal: false,
            result: result.to_owned(),
        });
        Some(self.signals.len() - 1)
    }

    fn kernel_reason(&self, s: &Signal) -> Option<String> {
        let own = s.sender.pid == s.target_pid;
        match (s.sig, s.code) {
            (31, SYS_SECCOMP) if s.info_read == 1 => Some(format!(
                "seccomp filter refused syscall {} ({}) with a kill or trap action",
                describe::syscall_name(i64::from(s.si_syscall)),
                s.si_syscall
            )),
            (25, _) if own => Some("RLIMIT_FSIZE exceeded (file size limit)".to_owned()),
            (24, _) if own => Some("RLIMIT_CPU exceeded (CPU time limit)".to_owned()),
            (13, _) if own => Some("wrote to a pipe or socket with no reader".to_owned()),
            (9, _) if self.oom.contains(&s.target_pid) => Some("the OOM killer chose it".to_owned()),
            (11 | 7 | 4 | 8, c) if own && c > 0 => Some("a fault in the process itself".to_owned()),
            _ => None,
        }
    }

    /// A traced process ended; returns its index in `exits`.
    pub fn on_exit(&mut self, x: &Exit, exe: Option<Vec<u8>>, clock: &Clock) -> usize {
        let status = x.exit_code;
        let (code, signal) = if status == u32::MAX {
            (None, None)
        } else if status & 0x7f == 0 {
            (i32::try_from((status >> 8) & 0xff).ok(), None)
        } else {
            (None, Some(status & 0x7f))
        };
        let mut signal_index = None;
        let mut killed_by = None;
        if let Some(sig) = signal {
            signal_index = self
                .signals
                .iter()
                .rposition(|s| s.target_pid == x.task.pid && s.signal == signal_name(sig));
            if let Some(i) = signal_index {
                self.signals[i].fatal = true;
                let s = &self.signals[i];
                killed_by = Some(match (&s.sender, &s.kernel_reason) {
                    (_, Some(reason)) => format!("{}: {reason}", s.signal),
                    (Some(sender), None) => format!(
                        "{} from {} {} (pid {}, uid {}{})",
                        s.signal,
                        sender.relation,
                        sender.comm,
                        sender.pid,
                        sender.uid,
                        if sender.traced { ", traced" } else { ", outside the traced set" }
                    ),
                    (None, None) => format!("{} from the kernel", s.signal),
                });
            } else if self.oom.contains(&x.task.pid) && sig == 9 {
                killed_by = Some("SIGKILL: the OOM killer chose it".to_owned());
            } else {
                killed_by = Some(format!("{} (sender not seen)", signal_name(sig)));
            }
        }
        let started = self.started.get(&x.task.pid).copied();
        self.exits.push(ProcessFate {
            time: clock.wall(x.ts_ns),
            t_ms: clock.offset_ms(x.ts_ns),
            pid: x.task.pid,
            comm: Text::from_bytes(decode::comm(&x.task)),
            exe: exe.as_deref().map(Text::from_bytes),
            code,
            signal: signal.map(signal_name),
            killed_by,
            signal_index,
            lifetime_ms: started.map(|s| x.ts_ns.saturating_sub(s) / 1_000_000),
        });
        self.exits.len() - 1
    }
}
