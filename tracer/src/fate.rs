//! Process fate: who killed, stopped or starved a traced process. Each signal for a traced process
//! is recorded with its sender, or with the kernel's reason when the kernel generated it (seccomp,
//! a resource limit, the OOM killer, a fault, a timer, the terminal); each exit is tied to the
//! signal that ended it, and to the earlier death it followed from when there is one (a cascade).

pub mod memcg;
pub mod summary;

use std::{collections::HashMap, fmt::Write as _};

use denytrace_common::{Exec, Exit, OomVictim, Signal, signal_info};

use crate::{
    clock::Clock,
    decode, describe,
    model::{ProcessFate, Sender, SignalEntry, Unlisted},
    names, procinfo,
    text::Text,
};

/// `si_code` values (include/uapi/asm-generic/siginfo.h).
const SI_KERNEL: i32 = 0x80;
const SI_TIMER: i32 = -2;
const SI_ASYNCIO: i32 = -4;
const SI_SIGIO: i32 = -5;
const SI_DETHREAD: i32 = -7;
/// `si_code` of SIGSYS: a seccomp filter, syscall user dispatch.
const SYS_SECCOMP: i32 = 1;
const SYS_USER_DISPATCH: i32 = 2;
/// `task_struct.seccomp.mode` after a seccomp kill action (kernel/seccomp.c, 5.17+).
const SECCOMP_MODE_DEAD: u32 = 3;
/// `RLIMIT_CPU` and `RLIMIT_FSIZE`.
const RLIMIT_CPU: u32 = 0;
const RLIMIT_FSIZE: u32 = 1;
/// How long before `mark_victim` the OOM killer's SIGKILL may be.
const OOM_WINDOW_NS: u64 = 1_000_000_000;

/// Signals listed in the report at most. Beyond, a signal is listed only when it kills a process
/// that is listed; the others are counted in `stats.unlisted.signals`.
pub const MAX_LISTED_SIGNALS: usize = 2_000;
/// Deaths (by a signal, after another death, or with a non-zero exit code) listed at most.
pub const MAX_LISTED_DEATHS: usize = 2_000;
/// Exits with code 0 listed at most.
pub const MAX_LISTED_EXITS: usize = 500;
/// Unlisted signals kept per live process, for the exit they may explain.
const HELD_PER_PID: usize = 4;
/// How long an exit is remembered for the signals it makes the kernel send (a parent-death
/// signal, the end of a pid namespace), which come within the exit itself.
const RECENT_EXIT_NS: u64 = 10_000_000_000;
/// Recent exits kept before the old ones are pruned.
const RECENT_EXITS_PRUNE: usize = 4_096;

const SIGHUP: u32 = 1;
const SIGINT: u32 = 2;
const SIGQUIT: u32 = 3;
const SIGKILL: u32 = 9;
const SIGPIPE: u32 = 13;
const SIGALRM: u32 = 14;
const SIGTSTP: u32 = 20;
const SIGTTIN: u32 = 21;
const SIGTTOU: u32 = 22;
const SIGURG: u32 = 23;
const SIGXCPU: u32 = 24;
const SIGXFSZ: u32 = 25;
const SIGVTALRM: u32 = 26;
const SIGPROF: u32 = 27;
const SIGWINCH: u32 = 28;
const SIGIO: u32 = 29;
const SIGSYS: u32 = 31;

/// What is known about a signal entry beyond the report's fields.
#[derive(Debug, Clone, Copy)]
struct SignalMeta {
    ts_ns: u64,
    sig: u32,
    /// The sending process, when a process sent it.
    sender: Option<u32>,
    /// The exit (index in `exits`) of the process whose end made the kernel send it.
    after: Option<usize>,
}

/// A recent exit: when, its index in `exits` when listed, and, for a SIGKILL, the memory cgroup
/// read at its exec (for an OOM verdict whose `mark_victim` comes after the exit).
#[derive(Debug, Clone)]
struct RecentExit {
    ts_ns: u64,
    index: Option<usize>,
    memcg: Option<memcg::Memcg>,
}

/// Signals and exits of one session. Memory stays bounded however long the session: the lists
/// stop growing at their caps (the rest is counted in [`Fates::unlisted`]), and what is kept per
/// process is dropped when it ends.
#[derive(Debug, Default)]
pub struct Fates {
    /// Listed signals, in arrival (time) order.
    pub signals: Vec<SignalEntry>,
    /// Listed ended processes, in time order.
    pub exits: Vec<ProcessFate>,
    /// What was seen but not listed.
    pub unlisted: Unlisted,
    /// The signal of the latest signal record, listed or not (for live output).
    pub last_signal: Option<SignalEntry>,
    /// The fate of the latest exit record, listed or not (for live output).
    pub last_exit: Option<ProcessFate>,
    meta: Vec<SignalMeta>,
    /// Unlisted signals (beyond [`MAX_LISTED_SIGNALS`]) by target pid, the latest few, until it ends.
    held: HashMap<u32, Vec<(SignalEntry, SignalMeta)>>,
    exit_ns: Vec<u64>,
    deaths_listed: usize,
    plain_listed: usize,
    started: HashMap<u32, u64>,
    parents: HashMap<u32, u32>,
    /// Memory cgroups as read when each process exec'd, for an OOM victim gone before it is read.
    memcg_at_exec: HashMap<u32, memcg::Memcg>,
    /// OOM verdicts for victims whose SIGKILL was not seen.
    oom: HashMap<u32, String>,
    /// Recent exits by pid.
    recent_exits: HashMap<u32, RecentExit>,
    /// Size of `recent_exits` at which it is pruned next.
    prune_at: usize,
    /// Deaths (indexes in `exits`) by parent pid.
    child_deaths: HashMap<u32, Vec<usize>>,
}

/// The signal's name, or `SIGRT+n`.
#[must_use]
pub fn signal_name(sig: u32) -> String {
    names::signal_label(sig)
}

/// Whether a signal's default action stops the process.
#[must_use]
pub fn is_stop(sig: &str) -> bool {
    matches!(sig, "SIGSTOP" | "SIGTSTP" | "SIGTTIN" | "SIGTTOU")
}

fn limit_value(v: u64, unit: &str) -> String {
    if v == u64::MAX { "unlimited".to_owned() } else { format!("{v}{unit}") }
}

fn fault(sig: u32, code: i32) -> Option<&'static str> {
    Some(match (sig, code) {
        (11, 1) => "SEGV_MAPERR: access to an address that is not mapped",
        (11, 2) => "SEGV_ACCERR: access not allowed by the mapping's permissions",
        (11, 3) => "SEGV_BNDERR: failed address bound check",
        (11, 4) => "SEGV_PKUERR: access refused by a memory protection key",
        (11, SI_KERNEL) => "a general protection fault, or the kernel could not deliver a signal (force_sigsegv)",
        (7, 1) => "BUS_ADRALN: misaligned address",
        (7, 2) => "BUS_ADRERR: address with no physical backing (past the end of a mapped file?)",
        (7, 3) => "BUS_OBJERR: hardware error on the object",
        (7, 4 | 5) => "BUS_MCEERR: memory hardware error (machine check)",
        (8, 1) => "FPE_INTDIV: integer division by zero",
        (8, 2) => "FPE_INTOVF: integer overflow",
        (8, _) => "a floating-point exception",
        (4, _) => "an illegal instruction",
        (5, 1) => "TRAP_BRKPT: a breakpoint",
        (5, 2) => "TRAP_TRACE: a trace trap",
        _ => return None,
    })
}

impl Fates {
    /// A traced process executed a file. Its memory cgroup is read now, while it surely exists, in
    /// case the OOM killer ends it later and it is gone before it can be read.
    pub fn on_exec(&mut self, e: &Exec) {
        self.parents.insert(e.task.pid, e.task.ppid);
        self.started.entry(e.task.pid).or_insert(e.ts_ns);
        if let Some(m) = memcg::of_pid(e.task.pid) {
            self.memcg_at_exec.insert(e.task.pid, m);
        }
    }

    /// The OOM killer chose `o.pid`. The kernel sent it SIGKILL just before, in the context of the
    /// task whose allocation failed, which the signal entry names as if it were a sender: replace
    /// that with the OOM verdict and the memory cgroup whose limit was reached.
    pub fn on_oom(&mut self, o: &OomVictim) -> Option<usize> {
        let reason = self.oom_reason(o);
        let is_kill = |s: &SignalEntry, m: &SignalMeta| {
            s.target_pid == o.pid && m.sig == SIGKILL && m.ts_ns <= o.ts_ns && o.ts_ns - m.ts_ns < OOM_WINDOW_NS
        };
        if let Some((s, m)) = self.held.get_mut(&o.pid).and_then(|h| h.iter_mut().rev().find(|(s, m)| is_kill(s, m))) {
            s.sender = None;
            s.kernel_reason = Some(reason);
            m.sender = None;
            return None;
        }
        let found = self.signals.iter().zip(&self.meta).rposition(|(s, m)| is_kill(s, m));
        if let Some(i) = found {
            self.signals[i].sender = None;
            self.signals[i].kernel_reason = Some(reason.clone());
            self.meta[i].sender = None;
            if self.signals[i].fatal {
                // The victim died (on another CPU) before `mark_victim` ran: its exit is already
                // listed with the signal's first reading.
                if let Some(p) = self.exits.iter_mut().rev().find(|p| p.signal_index == Some(i)) {
                    p.killed_by = Some(format!("SIGKILL: {reason}"));
                }
            }
        } else {
            self.oom.insert(o.pid, reason);
        }
        found
    }

    fn oom_reason(&self, o: &OomVictim) -> String {
        let mut reason = "the OOM killer chose it".to_owned();
        // A dying victim's /proc/PID/cgroup may already show the root cgroup: ask every source,
        // and believe the first whose path has a cgroup that hit its limit.
        let mut sources: Vec<(memcg::Memcg, &str)> = Vec::new();
        sources.extend(memcg::of_pid(o.pid).map(|m| (m, "")));
        sources.extend(
            self.memcg_at_exec
                .get(&o.pid)
                .or_else(|| self.recent_exits.get(&o.pid).and_then(|e| e.memcg.as_ref()))
                .map(|m| (m.clone(), " (as read when it exec'd)")),
        );
        if o.trigger_pid != o.pid {
            sources.extend(memcg::of_pid(o.trigger_pid).map(|m| (m, " (that of the task whose allocation failed)")));
        }
        let found: Vec<_> = sources.iter().map(|(m, read)| (m, *read, memcg::limit_hit(m))).collect();
        let best = found
            .iter()
            .find(|(_, _, hit)| hit.as_ref().is_some_and(|h| h.hits.is_some_and(|n| n > 0)))
            .or_else(|| found.iter().find(|(_, _, hit)| hit.is_some()))
            .or_else(|| found.first());
        match best {
            Some((m, read, hit)) => match hit {
                Some(hit) => {
                    let whose = if hit.ancestor {
                        format!(
                            "memory cgroup {} (an ancestor of its cgroup {}{read})",
                            Text::from_bytes(hit.path.as_bytes()).term(),
                            Text::from_bytes(m.path.as_bytes()).term()
                        )
                    } else {
                        format!("memory cgroup {}{read}", Text::from_bytes(hit.path.as_bytes()).term())
                    };
                    let counters = format!(
                        "{} hit(s) of the limit, {} OOM kill(s) counted there",
                        hit.hits.map_or_else(|| "?".to_owned(), |h| h.to_string()),
                        hit.oom_kills.map_or_else(|| "?".to_owned(), |h| h.to_string())
                    );
                    let limit = format!("{} = {}", hit.file, memcg::bytes_text(hit.limit));
                    reason = if hit.hits.is_some_and(|h| h > 0) {
                        format!("the OOM killer chose it: {whose} reached its limit, {limit} ({counters})")
                    } else {
                        format!(
                            "the OOM killer chose it: {whose} has a limit, {limit}, but its counters show no hit ({counters}): the OOM was likely system-wide"
                        )
                    };
                }
                None => {
                    reason = format!(
                        "the OOM killer chose it: no memory cgroup on its path ({}{read}) has a limit: the system ran out of memory",
                        Text::from_bytes(m.path.as_bytes()).term()
                    );
                }
            },
            None => reason.push_str(" (its memory cgroup could not be read: it was gone)"),
        }
        if o.trigger_pid != o.pid && o.trigger_pid != 0 {
            let _ = write!(
                reason,
                "; the allocation that failed was made by {} (pid {})",
                Text::from_bytes(decode::c_bytes(&o.trigger_comm)).term(),
                o.trigger_pid
            );
        }
        reason
    }

    /// A signal for a traced task; [`Fates::last_signal`] is its entry. Returns its index when it
    /// is listed.
    pub fn on_signal(&mut self, s: &Signal, sender_exe: Option<Vec<u8>>, clock: &Clock) -> Option<usize> {
        let target_ppid = if s.target_ppid != 0 {
            self.parents.insert(s.target_pid, s.target_ppid);
            Some(s.target_ppid)
        } else {
            self.parents.get(&s.target_pid).copied().or_else(|| procinfo::status(s.target_pid).map(|st| st.ppid))
        };
        let (kernel_reason, after) = match self.kernel_reason(s) {
            Some((reason, after)) => (Some(reason), after),
            None => (None, None),
        };
        let sender = kernel_reason.is_none().then(|| Sender {
            pid: s.sender.pid,
            comm: Text::from_bytes(decode::comm(&s.sender)),
            exe: sender_exe.map(|e| Text::from_bytes(&e)),
            uid: s.sender.uid,
            traced: s.sender_traced == 1,
            relation: self.relation(s.sender.pid, s.sender.ppid, s.target_pid, target_ppid).to_owned(),
        });
        let result = match s.result {
            0 => "delivered",
            1 => "ignored",
            2 => "already_pending",
            3 => "overflow",
            4 => "lost_info",
            _ => "unknown",
        };
        let meta = SignalMeta { ts_ns: s.ts_ns, sig: s.sig, sender: sender.as_ref().map(|x| x.pid), after };
        let entry = SignalEntry {
            time: clock.wall(s.ts_ns),
            t_ms: clock.offset_ms(s.ts_ns),
            signal: signal_name(s.sig),
            target_pid: s.target_pid,
            target_comm: Text::from_bytes(decode::c_bytes(&s.target_comm)),
            sender,
            kernel_reason,
            fatal: false,
            result: result.to_owned(),
        };
        self.last_signal = Some(entry.clone());
        if self.signals.len() < MAX_LISTED_SIGNALS {
            self.meta.push(meta);
            self.signals.push(entry);
            return Some(self.signals.len() - 1);
        }
        self.unlisted.signals += 1;
        let held = self.held.entry(s.target_pid).or_default();
        if held.len() == HELD_PER_PID {
            held.remove(0);
        }
        held.push((entry, meta));
        None
    }

    /// How the sender is related to the target.
    fn relation(&self, sender: u32, sender_ppid: u32, target: u32, target_ppid: Option<u32>) -> &'static str {
        if sender == target {
            return "self";
        }
        if Some(sender) == target_ppid {
            return "parent";
        }
        if sender_ppid == target || self.parents.get(&sender) == Some(&target) {
            return "child";
        }
        let ancestor_of = |a: u32, mut p: u32| {
            for _ in 0..64 {
                match self.parents.get(&p) {
                    Some(&up) if up == a => return true,
                    Some(&up) if up > 1 && up != p => p = up,
                    _ => return false,
                }
            }
            false
        };
        if ancestor_of(sender, target) {
            "ancestor"
        } else if ancestor_of(target, sender) {
            "descendant"
        } else {
            "other"
        }
    }

    /// The exit of `pid` when it ended (recently) at or before `ts_ns`.
    fn ended_before(&self, pid: u32, ts_ns: u64) -> Option<&RecentExit> {
        self.recent_exits.get(&pid).filter(|e| e.ts_ns <= ts_ns)
    }

    /// Why the kernel generated the signal, when it did (rather than a process sending it), and
    /// the exit that caused it (a parent-death signal, a pid namespace's end).
    fn kernel_reason(&self, s: &Signal) -> Option<(String, Option<usize>)> {
        let own = s.sender.pid == s.target_pid;
        let code = (s.info == signal_info::READ).then_some(s.code);
        let privileged = s.info == signal_info::PRIV || code == Some(SI_KERNEL);
        let noinfo = s.info == signal_info::NOINFO;
        let context = format!("{} (pid {})", Text::from_bytes(decode::comm(&s.sender)).term(), s.sender.pid);
        let call = || format!("{} ({})", describe::syscall_name(i64::from(s.si_syscall)), s.si_syscall);
        let reason = |r: String| Some((r, None));
        if s.sig == SIGSYS && code == Some(SYS_SECCOMP) {
            return reason(if s.sender_seccomp_mode == SECCOMP_MODE_DEAD {
                format!(
                    "seccomp: a kill action of its filter (SECCOMP_RET_KILL_PROCESS or SECCOMP_RET_KILL_THREAD) refused syscall {}",
                    call()
                )
            } else {
                format!(
                    "seccomp: a trap action of its filter (SECCOMP_RET_TRAP) refused syscall {}; SIGSYS kills the process unless it handles it",
                    call()
                )
            });
        }
        if s.sig == SIGSYS && code == Some(SYS_USER_DISPATCH) {
            return reason(format!("syscall user dispatch (PR_SET_SYSCALL_USER_DISPATCH) caught syscall {}", call()));
        }
        let limit = |resource: u32, unit: &str| {
            (s.rlim_resource == resource).then(|| (limit_value(s.rlim_cur, unit), limit_value(s.rlim_max, unit)))
        };
        match s.sig {
            SIGXFSZ if own && noinfo => {
                return reason(match limit(RLIMIT_FSIZE, " bytes") {
                    Some((soft, hard)) => format!(
                        "RLIMIT_FSIZE: a write or truncate went past its file size limit of {soft} (soft limit; hard limit {hard})"
                    ),
                    None => "RLIMIT_FSIZE: a write or truncate went past its file size limit (value not read)".to_owned(),
                });
            }
            SIGXCPU if own => {
                return reason(match limit(RLIMIT_CPU, " s") {
                    Some((_, _)) if s.rlim_cur == u64::MAX => {
                        "RLIMIT_RTTIME: a real-time task ran too long without blocking (RLIMIT_CPU is unlimited)".to_owned()
                    }
                    Some((soft, hard)) => format!(
                        "RLIMIT_CPU: it used its CPU time limit of {soft} (soft limit; hard limit {hard}, where SIGKILL follows)"
                    ),
                    None => "RLIMIT_CPU: it used its CPU time limit (value not read)".to_owned(),
                });
            }
            SIGPIPE if own && noinfo => {
                return reason("it wrote to a pipe or socket whose reading end was closed".to_owned());
            }
            4 | 5 | 7 | 8 | 11 if own && (code.is_some_and(|c| c > 0) || privileged) => {
                let what = fault(s.sig, code.unwrap_or(SI_KERNEL)).unwrap_or("a fault");
                return reason(format!("a fault in the process itself: {what}"));
            }
            _ => {}
        }
        if noinfo && !own {
            // send_sig(sig, task, 0) from a process that has already ended: its parent-death signal.
            if let Some(i) = self.ended_before(s.sender.pid, s.ts_ns) {
                return Some((format!("parent-death signal (PR_SET_PDEATHSIG): its parent {context} exited"), i.index));
            }
            return None;
        }
        let kernel_code = matches!(code, Some(SI_TIMER | SI_SIGIO | SI_ASYNCIO | SI_DETHREAD));
        if !(privileged || kernel_code || code.is_some_and(|c| c > 0)) {
            return None;
        }
        if let Some(i) = self.ended_before(s.sender.pid, s.ts_ns).filter(|_| !own) {
            if s.sig == SIGKILL {
                return Some((
                    format!("the init of its pid namespace, {context}, exited: the kernel kills every process of the namespace"),
                    i.index,
                ));
            }
        }
        let text = match (s.sig, code) {
            (_, Some(SI_TIMER)) => "a POSIX timer of the process expired (timer_create)".to_owned(),
            (_, Some(SI_DETHREAD)) => "another thread of the process called execve".to_owned(),
            (SIGKILL, _) if own && s.rlim_resource == RLIMIT_CPU && s.rlim_max != u64::MAX => format!(
                "RLIMIT_CPU: it used its hard CPU time limit of {} s (the OOM killer also sends SIGKILL this way; no OOM kill was seen)",
                s.rlim_max
            ),
            (SIGKILL, _) => format!("the kernel sent SIGKILL (in the context of {context}; no OOM kill or limit was seen)"),
            (SIGALRM, _) => "a timer of the process expired (alarm or setitimer ITIMER_REAL)".to_owned(),
            (SIGVTALRM | SIGPROF, _) => "an interval timer of the process expired (setitimer)".to_owned(),
            (SIGINT, _) => "its terminal: the interrupt character (^C) was typed".to_owned(),
            (SIGQUIT, _) => "its terminal: the quit character (^\\) was typed".to_owned(),
            (SIGTSTP, _) => "its terminal: the suspend character (^Z) was typed".to_owned(),
            (SIGHUP, _) => "its terminal hung up (the controlling terminal was closed)".to_owned(),
            (SIGTTIN, _) => "job control: it read from its terminal from the background".to_owned(),
            (SIGTTOU, _) => "job control: it wrote to or configured its terminal from the background".to_owned(),
            (SIGWINCH, _) => "its terminal's window size changed".to_owned(),
            (SIGIO, _) => "I/O became possible on a descriptor it owns (F_SETOWN)".to_owned(),
            (SIGURG, _) => "urgent data arrived on a socket it owns".to_owned(),
            _ => format!("the kernel sent it (in the context of {context})"),
        };
        reason(text)
    }

    /// The latest signal for `pid` (listed, or in `held`, its signals beyond the cap) that can
    /// have ended it at `ts_ns` with signal `name`: `Ok(index)` when listed, `Err(position in
    /// held)` when held.
    fn fatal_signal(&self, held: &[(SignalEntry, SignalMeta)], pid: u32, name: &str, ts_ns: u64) -> Option<Result<usize, usize>> {
        let fits = |s: &SignalEntry, m: &SignalMeta| s.target_pid == pid && s.signal == name && s.result != "ignored" && m.ts_ns <= ts_ns;
        // Held signals all came after the listed ones.
        if let Some(j) = held.iter().rposition(|(s, m)| fits(s, m)) {
            return Some(Err(j));
        }
        self.signals.iter().zip(&self.meta).rposition(|(s, m)| fits(s, m)).map(Ok)
    }

    /// A traced process ended; [`Fates::last_exit`] is its fate. Returns its index in `exits` when
    /// it is listed.
    pub fn on_exit(&mut self, x: &Exit, exe: Option<Vec<u8>>, clock: &Clock) -> Option<usize> {
        let pid = x.task.pid;
        let status = x.exit_code;
        let (code, signal) = if status == u32::MAX {
            (None, None)
        } else {
            match status & 0x7f {
                0 => (i32::try_from((status >> 8) & 0xff).ok(), None),
                sig => (None, Some(sig)),
            }
        };
        let dumped = signal.is_some() && status & 0x80 != 0;
        let mut held = self.held.remove(&pid).unwrap_or_default();
        let mut fatal = None;
        let mut killed_by = None;
        let mut follows = None;
        if let Some(sig) = signal {
            let name = signal_name(sig);
            fatal = self.fatal_signal(&held, pid, &name, x.ts_ns);
            let found = match fatal {
                Some(Ok(i)) => Some((&mut self.signals[i], self.meta[i])),
                Some(Err(j)) => held.get_mut(j).map(|(s, m)| (s, *m)),
                None => None,
            };
            if let Some((s, m)) = found {
                s.fatal = true;
                killed_by = Some(match (&s.sender, &s.kernel_reason) {
                    (_, Some(reason)) => format!("{}: {reason}", s.signal),
                    (Some(sender), None) => format!("{} sent by {}", s.signal, sender_text(sender)),
                    (None, None) => format!("{} from the kernel", s.signal),
                });
                follows = m.after.or_else(|| {
                    // A supervisor that kills after one of its children died: this death follows that one.
                    let sender = m.sender.filter(|&p| p != pid)?;
                    self.first_child_death(sender, m.ts_ns, pid)
                });
            } else if let Some(reason) = self.oom.remove(&pid).filter(|_| sig == SIGKILL) {
                killed_by = Some(format!("SIGKILL: {reason}"));
            } else {
                killed_by = Some(format!(
                    "{name} (its sending was not seen: sent before tracing began, or the kernel ended the process without generating the signal, as a seccomp kill of a thread does)"
                ));
            }
            if dumped {
                if let Some(k) = &mut killed_by {
                    k.push_str(" (core dumped)");
                }
            }
        } else if code.is_some_and(|c| c != 0) {
            // A parent that gives up after a child was killed.
            follows = self.first_child_death(pid, x.ts_ns, pid);
        }
        let started = self.started.remove(&pid);
        let memcg = self.memcg_at_exec.remove(&pid).filter(|_| signal == Some(SIGKILL));
        self.oom.remove(&pid);
        let fate = ProcessFate {
            time: clock.wall(x.ts_ns),
            t_ms: clock.offset_ms(x.ts_ns),
            pid,
            ppid: x.task.ppid,
            comm: Text::from_bytes(decode::comm(&x.task)),
            exe: exe.map(|e| Text::from_bytes(&e)),
            code,
            signal: signal.map(signal_name),
            killed_by,
            signal_index: None,
            follows,
            lifetime_ms: started.map(|s| x.ts_ns.saturating_sub(s) / 1_000_000),
        };
        let index = self.list(fate, fatal, held, x.ts_ns);
        self.remember_exit(pid, RecentExit { ts_ns: x.ts_ns, index, memcg });
        self.parents.remove(&pid);
        index
    }

    /// Lists an ended process when its kind is under its cap, with the signal that ended it
    /// (`fatal`: listed, or held in `held`), or counts it; either way it becomes
    /// [`Fates::last_exit`].
    fn list(&mut self, mut fate: ProcessFate, fatal: Option<Result<usize, usize>>, mut held: Vec<(SignalEntry, SignalMeta)>, ts_ns: u64) -> Option<usize> {
        let death = fate.signal.is_some() || fate.follows.is_some() || fate.code.is_some_and(|c| c != 0);
        let listed = if death { self.deaths_listed < MAX_LISTED_DEATHS } else { self.plain_listed < MAX_LISTED_EXITS };
        if !listed {
            fate.signal_index = fatal.and_then(Result::ok);
            self.unlisted.processes += 1;
            self.last_exit = Some(fate);
            return None;
        }
        fate.signal_index = match fatal {
            Some(Ok(i)) => Some(i),
            // The signal that ended a listed process is listed with it.
            Some(Err(j)) => {
                let (entry, meta) = held.swap_remove(j);
                self.unlisted.signals = self.unlisted.signals.saturating_sub(1);
                self.signals.push(entry);
                self.meta.push(meta);
                Some(self.signals.len() - 1)
            }
            None => None,
        };
        if death {
            self.deaths_listed += 1;
        } else {
            self.plain_listed += 1;
        }
        let index = self.exits.len();
        if fate.signal.is_some() || fate.follows.is_some() {
            self.child_deaths.entry(fate.ppid).or_default().push(index);
        }
        self.exit_ns.push(ts_ns);
        self.exits.push(fate.clone());
        self.last_exit = Some(fate);
        Some(index)
    }

    /// Remembers an exit for the signals it may make the kernel send, forgetting old ones.
    fn remember_exit(&mut self, pid: u32, exit: RecentExit) {
        let ts_ns = exit.ts_ns;
        if self.recent_exits.len() >= self.prune_at.max(RECENT_EXITS_PRUNE) {
            self.recent_exits.retain(|_, e| ts_ns.saturating_sub(e.ts_ns) < RECENT_EXIT_NS);
            // Amortized: a burst of exits within RECENT_EXIT_NS is not scanned again on every exit.
            self.prune_at = self.recent_exits.len() * 2;
        }
        self.recent_exits.insert(pid, exit);
    }

    /// The first death of a child of `parent` before `ts_ns`, other than `except`.
    fn first_child_death(&self, parent: u32, ts_ns: u64, except: u32) -> Option<usize> {
        self.child_deaths
            .get(&parent)?
            .iter()
            .copied()
            .find(|&i| self.exit_ns[i] <= ts_ns && self.exits[i].pid != except)
    }
}

/// `its parent sh (pid 3643, uid 0, /usr/bin/dash; traced)`.
#[must_use]
pub fn sender_text(s: &Sender) -> String {
    let who = match s.relation.as_str() {
        "self" => "itself, ",
        "parent" => "its parent ",
        "child" => "its child ",
        "ancestor" => "its ancestor ",
        "descendant" => "its descendant ",
        _ => "",
    };
    let exe = s.exe.as_ref().map_or_else(String::new, |e| format!(", {}", e.term()));
    format!(
        "{who}{} (pid {}, uid {}{exe}; {})",
        s.comm.term(),
        s.pid,
        s.uid,
        if s.traced { "traced" } else { "outside the traced set" }
    )
}

#[cfg(test)]
mod tests {
    use denytrace_common::{COMM_LEN, TaskIdentity, kind};

    use super::*;

    fn comm(name: &str) -> [u8; COMM_LEN] {
        let mut c = [0; COMM_LEN];
        c[..name.len()].copy_from_slice(name.as_bytes());
        c
    }

    fn task(id: u32, parent: u32, name: &str) -> TaskIdentity {
        TaskIdentity {
            pid: id,
            tid: id,
            ppid: parent,
            uid: 0,
            gid: 0,
            euid: 0,
            egid: 0,
            fsuid: 0,
            fsgid: 0,
            _pad: 0,
            cgroup_id: 1,
            cap_effective: 0,
            comm: comm(name),
        }
    }

    fn signal(ts_ns: u64, sig: u32, sender: TaskIdentity, target: u32, target_ppid: u32, info: u32, code: i32) -> Signal {
        Signal {
            kind: kind::SIGNAL,
            sig,
            ts_ns,
            sender,
            target_pid: target,
            target_tid: target,
            target_ppid,
            code,
            si_pid: 0,
            si_syscall: -1,
            result: 0,
            group: 1,
            info,
            sender_traced: 1,
            sender_seccomp_mode: 0,
            rlim_resource: u32::MAX,
            rlim_cur: u64::MAX,
            rlim_max: u64::MAX,
            target_comm: comm("target"),
        }
    }

    fn exit(ts_ns: u64, id: u32, parent: u32, status: u32) -> Exit {
        Exit { kind: kind::EXIT, exit_code: status, ts_ns, task: task(id, parent, "target") }
    }

    /// Process ids far above any real `pid_max`, so /proc fallbacks find nothing.
    const A: u32 = 0x7fff_0001;
    const B: u32 = 0x7fff_0002;
    const C: u32 = 0x7fff_0003;

    #[test]
    fn the_oom_killers_sigkill_has_no_sender() {
        let clock = Clock::start();
        let mut f = Fates::default();
        // The OOM killer runs in the allocating task (B) and kills A.
        f.on_signal(&signal(10, SIGKILL, task(B, 1, "alloc"), A, 1, signal_info::PRIV, 0), None, &clock);
        assert!(f.signals[0].sender.is_none());
        let o = OomVictim { kind: kind::OOM_VICTIM, pid: A, ts_ns: 11, trigger_pid: B, uid: 0, comm: comm("hog"), trigger_comm: comm("alloc") };
        assert_eq!(f.on_oom(&o), Some(0));
        let reason = f.signals[0].kernel_reason.clone().expect("reason");
        assert!(reason.starts_with("the OOM killer chose it"), "{reason}");
        assert!(reason.ends_with(&format!("the allocation that failed was made by alloc (pid {B})")), "{reason}");
        let i = f.on_exit(&exit(20, A, 1, 9), None, &clock).expect("listed");
        assert!(f.signals[0].fatal);
        assert!(f.exits[i].killed_by.as_deref().is_some_and(|k| k.starts_with("SIGKILL: the OOM killer chose it")));
    }

    /// The victim can die on another CPU before `mark_victim` runs: its exit comes first, already
    /// listed with "the kernel sent SIGKILL"; the OOM record then corrects both.
    #[test]
    fn an_oom_record_after_the_victims_exit_still_gives_the_verdict() {
        let clock = Clock::start();
        let mut f = Fates::default();
        f.on_signal(&signal(10, SIGKILL, task(B, 1, "alloc"), A, 1, signal_info::PRIV, 0), None, &clock);
        let i = f.on_exit(&exit(11, A, 1, 9), None, &clock).expect("listed");
        assert!(f.exits[i].killed_by.as_deref().is_some_and(|k| k.starts_with("SIGKILL: the kernel sent SIGKILL")));
        let o = OomVictim { kind: kind::OOM_VICTIM, pid: A, ts_ns: 12, trigger_pid: B, uid: 0, comm: comm("hog"), trigger_comm: comm("alloc") };
        assert_eq!(f.on_oom(&o), Some(0));
        assert!(f.signals[0].fatal && f.signals[0].sender.is_none());
        assert!(f.signals[0].kernel_reason.as_deref().is_some_and(|r| r.starts_with("the OOM killer chose it")));
        let by = f.exits[i].killed_by.as_deref().unwrap_or("");
        assert!(by.starts_with("SIGKILL: the OOM killer chose it") && by.contains(&format!("made by alloc (pid {B})")), "{by}");
    }

    #[test]
    fn kill_from_the_parent_names_it_and_a_timer_does_not() {
        let clock = Clock::start();
        let mut f = Fates::default();
        f.on_signal(&signal(10, 15, task(A, 1, "sh"), B, A, signal_info::READ, 0), Some(b"/bin/sh".to_vec()), &clock);
        let s = f.signals[0].sender.clone().expect("a process sent it");
        assert_eq!((s.pid, s.relation.as_str(), s.traced), (A, "parent", true));
        assert!(f.signals[0].kernel_reason.is_none());
        // A POSIX timer fires in whatever task was running: that task is not the sender.
        f.on_signal(&signal(11, 14, task(C, 1, "other"), B, A, signal_info::READ, SI_TIMER), None, &clock);
        assert!(f.signals[1].sender.is_none());
        assert!(f.signals[1].kernel_reason.as_deref().is_some_and(|r| r.contains("POSIX timer")));
        let i = f.on_exit(&exit(12, B, A, 15), None, &clock).expect("listed");
        assert_eq!(f.exits[i].signal_index, Some(0));
        assert!(f.exits[i].killed_by.as_deref().is_some_and(|k| k.starts_with("SIGTERM sent by its parent sh (pid")));
    }

    #[test]
    fn a_parent_death_signal_follows_the_parents_exit() {
        let clock = Clock::start();
        let mut f = Fates::default();
        f.on_signal(&signal(5, 9, task(C, 1, "killer"), A, 1, signal_info::READ, 0), None, &clock);
        let parent = f.on_exit(&exit(6, A, 1, 9), None, &clock).expect("listed");
        // The dying parent's context sends the child its parent-death signal (no siginfo).
        f.on_signal(&signal(7, 15, task(A, 1, "parent"), B, A, signal_info::NOINFO, 0), None, &clock);
        assert!(f.signals[1].sender.is_none());
        assert!(f.signals[1].kernel_reason.as_deref().is_some_and(|r| r.starts_with("parent-death signal (PR_SET_PDEATHSIG)")));
        let child = f.on_exit(&exit(8, B, 1, 15), None, &clock).expect("listed");
        assert_eq!(f.exits[child].follows, Some(parent));
    }

    #[test]
    fn a_supervisor_that_gives_up_follows_its_childs_death() {
        let clock = Clock::start();
        let mut f = Fates::default();
        f.on_signal(&signal(5, 9, task(B, A, "worker"), B, A, signal_info::READ, 0), None, &clock);
        let first = f.on_exit(&exit(6, B, A, 9), None, &clock).expect("listed");
        f.on_signal(&signal(7, 15, task(A, 1, "super"), C, A, signal_info::READ, 0), None, &clock);
        let second = f.on_exit(&exit(8, C, A, 15), None, &clock).expect("listed");
        let own = f.on_exit(&exit(9, A, 1, 1 << 8), None, &clock).expect("listed");
        assert_eq!(f.exits[first].follows, None);
        assert_eq!(f.exits[second].follows, Some(first));
        assert_eq!(f.exits[own].follows, Some(first));
        assert_eq!(f.exits[own].code, Some(1));
    }

    #[test]
    fn limit_signals_carry_the_limit() {
        let clock = Clock::start();
        let mut f = Fates::default();
        let mut s = signal(5, SIGXFSZ, task(A, 1, "w"), A, 1, signal_info::NOINFO, 0);
        (s.rlim_resource, s.rlim_cur, s.rlim_max) = (RLIMIT_FSIZE, 4096, u64::MAX);
        f.on_signal(&s, None, &clock);
        assert_eq!(
            f.signals[0].kernel_reason.as_deref(),
            Some("RLIMIT_FSIZE: a write or truncate went past its file size limit of 4096 bytes (soft limit; hard limit unlimited)")
        );
        let mut s = signal(6, SIGSYS, task(B, 1, "w"), B, 1, signal_info::READ, SYS_SECCOMP);
        (s.si_syscall, s.sender_seccomp_mode) = (110, SECCOMP_MODE_DEAD);
        f.on_signal(&s, None, &clock);
        assert!(f.signals[1].kernel_reason.as_deref().is_some_and(|r| r.contains("kill action") && r.ends_with("syscall getppid (110)")));
    }

    /// Past the caps nothing more is listed, everything is counted, and a death is still tied to
    /// the signal that caused it (which is then listed with it). The per-process state is dropped
    /// at each exit, so memory stays flat.
    #[test]
    fn long_sessions_stay_bounded_and_exact() {
        let small = |n: usize| u32::try_from(n).expect("a small cap");
        let clock = Clock::start();
        let mut f = Fates::default();
        let mut ts = 0;
        let mut tick = || {
            ts += 1;
            ts
        };
        // Signals that kill nobody fill the signal list (targets far above pid_max).
        for n in 0..small(MAX_LISTED_SIGNALS) + 50 {
            let at = tick();
            f.on_signal(&signal(at, 10, task(A, 1, "sh"), 0x7000_0000 + n, A, signal_info::READ, 0), None, &clock);
        }
        assert_eq!(f.signals.len(), MAX_LISTED_SIGNALS);
        assert_eq!(f.unlisted.signals, 50);
        // Plain exits: the first MAX_LISTED_EXITS are listed.
        for n in 0..small(MAX_LISTED_EXITS) + 30 {
            let at = tick();
            assert_eq!(f.on_exit(&exit(at, 0x7100_0000 + n, A, 0), None, &clock).is_some(), (n as usize) < MAX_LISTED_EXITS);
        }
        assert_eq!(f.exits.len(), MAX_LISTED_EXITS);
        assert_eq!(f.unlisted.processes, 30);
        // A kill beyond the signal cap, then the death: both listed, tied together.
        let at = tick();
        assert_eq!(f.on_signal(&signal(at, 15, task(A, 1, "sh"), B, A, signal_info::READ, 0), None, &clock), None);
        let at = tick();
        let i = f.on_exit(&exit(at, B, A, 15), None, &clock).expect("a death under its cap is listed");
        let k = f.exits[i].signal_index.expect("its signal is listed with it");
        assert!(f.signals[k].fatal && f.signals[k].target_pid == B);
        assert_eq!(f.unlisted.signals, 50, "the promoted signal no longer counts as unlisted");
        assert!(f.exits[i].killed_by.as_deref().is_some_and(|k| k.starts_with("SIGTERM sent by its parent sh")));
        // Deaths beyond their cap: counted; the live output still has the whole fate.
        for n in 0..small(MAX_LISTED_DEATHS) + 10 {
            let at = tick();
            f.on_exit(&exit(at, 0x7200_0000 + n, A, 9), None, &clock);
        }
        assert_eq!(f.exits.len(), MAX_LISTED_EXITS + MAX_LISTED_DEATHS);
        assert_eq!(f.unlisted.processes, 30 + 11);
        assert!(f.last_exit.as_ref().is_some_and(|x| x.signal.as_deref() == Some("SIGKILL") && x.pid == 0x7200_0000 + small(MAX_LISTED_DEATHS) + 9));
        // Nothing per process outlives the process, and the recent exits are pruned.
        assert!(!f.held.contains_key(&B));
        assert!(f.recent_exits.len() <= RECENT_EXITS_PRUNE.max(f.prune_at), "{}", f.recent_exits.len());
        // Only the signal targets that never ended are still known.
        assert!(!f.parents.contains_key(&B) && f.started.is_empty());
        assert_eq!(f.parents.len(), MAX_LISTED_SIGNALS + 50);
    }
}
