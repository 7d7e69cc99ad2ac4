//! Turns the stream of kernel records into the report: enriches each first-of-a-kind denial with
//! what /proc says at that moment, explains it, merges identical denials and keeps exact counts
//! from the in-kernel aggregation map.

use std::collections::HashMap;

use denytrace_common::{AggKey, AggValue, Denial, denial_flag, loss};

use crate::{
    attribution::{self, Context},
    clock::Clock,
    decode::{self, Record},
    describe,
    fate::Fates,
    model::{DenialEntry, Losses, Stats, Unlisted},
    procinfo,
};

/// What identifies a distinct denial: process image, syscall, object, errno.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct EntryKey {
    image: Vec<u8>,
    nr: i64,
    path: Option<Vec<u8>>,
    path2: Option<Vec<u8>>,
    ret: i64,
}

/// An in-kernel counter known to the user side.
#[derive(Debug, Clone, Copy)]
struct AggSlot {
    /// The entry it adds to.
    entry: usize,
    /// The largest count seen for it so far (1 at its first record).
    seen: u64,
}

/// What a record changed, for live output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// A new distinct denial (index into the entries).
    NewDenial(usize),
    /// Another occurrence of a known one.
    Repeat(usize),
    /// The kernel's running count of a repeating one ([`Collector::running`]).
    Count(usize),
    /// A signal for a traced process ([`Fates::last_signal`]).
    Signal,
    /// A traced process ended ([`Fates::last_exit`]).
    Exit,
    /// Nothing to show.
    Quiet,
}

/// Accumulated state of one tracing session.
pub struct Collector {
    clock: Clock,
    /// Attribution context (LSMs, sandboxes seen being made...).
    pub context: Context,
    entries: Vec<DenialEntry>,
    first_ns: Vec<u64>,
    last_ns: Vec<u64>,
    /// Occurrences counted in user space: records sent on their own, and the in-kernel counts of
    /// processes that ended (taken out of `AGG`).
    folded: Vec<u64>,
    index: HashMap<EntryKey, usize>,
    /// Best known running total of each entry: `folded` plus what is known of its live in-kernel
    /// counters (from their first record and their running counts).
    so_far: Vec<u64>,
    /// In-kernel counters known from their first record.
    by_agg: HashMap<AggKey, AggSlot>,
    /// Those counters by process, to take them out of `AGG` when it ends.
    agg_by_tgid: HashMap<u32, Vec<AggKey>>,
    /// Ended processes whose counters are still in `AGG`.
    ended: Vec<u32>,
    /// Taking counters out of `AGG` failed once: they all stay there until the end.
    fold_failed: bool,
    exes: HashMap<u32, Vec<u8>>,
    /// Processes' fates and signals.
    pub fates: Fates,
    records: u64,
    malformed: u64,
}

impl Collector {
    /// A collector for a session that started at `clock`.
    #[must_use]
    pub fn new(clock: Clock, context: Context) -> Self {
        Self {
            clock,
            context,
            entries: Vec::new(),
            first_ns: Vec::new(),
            last_ns: Vec::new(),
            folded: Vec::new(),
            so_far: Vec::new(),
            index: HashMap::new(),
            by_agg: HashMap::new(),
            agg_by_tgid: HashMap::new(),
            ended: Vec::new(),
            fold_failed: false,
            exes: HashMap::new(),
            fates: Fates::default(),
            records: 0,
            malformed: 0,
        }
    }

    /// The session's clock.
    #[must_use]
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Handles one record's bytes.
    pub fn on_bytes(&mut self, bytes: &[u8]) -> Update {
        match Record::try_from(bytes) {
            Ok(record) => self.on_record(record),
            Err(err) => {
                self.malformed += 1;
                tracing::warn!("malformed record from the kernel: {err:#}");
                Update::Quiet
            }
        }
    }

    /// Handles one decoded record.
    pub fn on_record(&mut self, record: Record) -> Update {
        match record {
            Record::Denial(d) => self.on_denial(&d),
            Record::Exec(e) => {
                // First, while the new program most likely still runs: its cgroups and limits,
                // for denials explained after it has exited.
                self.context.on_exec(e.task.pid, e.task.ppid, self.clock.offset_ms(e.ts_ns));
                let name = decode::c_bytes(&e.filename[..(e.filename_len as usize).min(e.filename.len())]);
                // The file name as passed to execve may be relative; /proc has the real one.
                let exe = procinfo::exe(e.task.pid).unwrap_or_else(|| name.to_vec());
                self.exes.insert(e.task.pid, exe);
                self.fates.on_exec(&e);
                Update::Quiet
            }
            Record::Setup(s) => {
                self.context.on_setup(&s, &self.clock);
                Update::Quiet
            }
            Record::Signal(s) => {
                // Not cached: a sender outside the traced set has no exit record to forget it by.
                let exe = self.exes.get(&s.sender.pid).cloned().or_else(|| procinfo::exe(s.sender.pid));
                self.fates.on_signal(&s, exe, &self.clock);
                Update::Signal
            }
            Record::Exit(x) => {
                let exe = self.exes.get(&x.task.pid).cloned();
                self.fates.on_exit(&x, exe, &self.clock);
                self.exes.remove(&x.task.pid);
                if !self.fold_failed && self.agg_by_tgid.contains_key(&x.task.pid) {
                    self.ended.push(x.task.pid);
                }
                self.context.on_exit(x.task.pid);
                Update::Exit
            }
            Record::Count(c) => {
                let Some(slot) = self.by_agg.get_mut(&c.agg) else {
                    // Its first record was lost (counted), or the process already ended.
                    return Update::Quiet;
                };
                let i = slot.entry;
                if c.count > slot.seen {
                    self.so_far[i] += c.count - slot.seen;
                    slot.seen = c.count;
                }
                self.last_ns[i] = self.last_ns[i].max(c.last_ns);
                Update::Count(i)
            }
            Record::OomVictim(o) => {
                self.fates.on_oom(&o);
                Update::Quiet
            }
        }
    }

    fn exe_of(&mut self, pid: u32) -> Option<Vec<u8>> {
        if let Some(exe) = self.exes.get(&pid) {
            return Some(exe.clone());
        }
        let exe = procinfo::exe(pid)?;
        self.exes.insert(pid, exe.clone());
        Some(exe)
    }

    fn on_denial(&mut self, d: &Denial) -> Update {
        self.records += 1;
        // A forked child that ended before /proc could be read, and never executed anything (no
        // exec record), runs its parent's image: without this, a fork storm's identical denials
        // split by whether each child was still alive.
        let exe = self.exe_of(d.task.pid).or_else(|| {
            let parent = self.exe_of(d.task.ppid)?;
            self.exes.insert(d.task.pid, parent.clone());
            Some(parent)
        });
        let paths = describe::paths(d);
        let key = EntryKey {
            image: exe.clone().unwrap_or_else(|| decode::comm(&d.task).to_vec()),
            nr: d.nr,
            path: paths.path.clone(),
            path2: paths.path2.clone(),
            ret: d.ret,
        };
        let aggregated = d.flags & denial_flag::AGGREGATED != 0;
        if let Some(&i) = self.index.get(&key) {
            if aggregated {
                self.track_agg(d.agg, i);
            } else {
                self.folded[i] += 1;
                self.so_far[i] += 1;
            }
            self.first_ns[i] = self.first_ns[i].min(d.ts_ns);
            self.last_ns[i] = self.last_ns[i].max(d.ts_ns);
            return Update::Repeat(i);
        }
        // The exact bytes: live, else as seen at exec.
        let cgroup = procinfo::cgroup_v2_bytes(d.task.pid)
            .or_else(|| self.context.snapshot(d.task.pid).and_then(|s| s.cgroup_v2.clone()));
        let cause = attribution::explain(d, &paths, &self.context, &self.clock);
        let entry = DenialEntry {
            count: 1,
            first_seen: self.clock.wall(d.ts_ns),
            last_seen: self.clock.wall(d.ts_ns),
            t_ms: self.clock.offset_ms(d.ts_ns),
            process: describe::process(&d.task, exe.as_deref(), cgroup.as_deref()),
            syscall: describe::syscall(d),
            path: paths.path.as_deref().map(crate::text::Text::from_bytes),
            path2: paths.path2.as_deref().map(crate::text::Text::from_bytes),
            errno: describe::errno_name(d.ret),
            ret: d.ret,
            cause: Some(cause),
            suggestions: Vec::new(),
        };
        let i = self.entries.len();
        self.entries.push(entry);
        self.first_ns.push(d.ts_ns);
        self.last_ns.push(d.ts_ns);
        self.folded.push(u64::from(!aggregated));
        self.so_far.push(u64::from(!aggregated));
        self.index.insert(key, i);
        if aggregated {
            self.track_agg(d.agg, i);
        }
        Update::NewDenial(i)
    }

    fn track_agg(&mut self, key: AggKey, i: usize) {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.by_agg.entry(key) {
            slot.insert(AggSlot { entry: i, seen: 1 });
            self.so_far[i] += 1;
            self.agg_by_tgid.entry(key.tgid).or_default().push(key);
        }
    }

    /// Takes the in-kernel counts of the processes that ended out of `AGG` (with `take`, which
    /// removes a key and returns its value) and adds them to their entries, so that `AGG` holds
    /// only live processes' counters however long the session.
    ///
    /// Exact: a process's exit record comes after all its denial records in the ring buffer, and
    /// an ended process adds to none of its keys again. The one exception is a new traced process
    /// that reuses the pid and repeats an identical denial before this runs (the session calls it
    /// after every batch of records, within milliseconds of the exit).
    ///
    /// # Errors
    /// When `take` fails. Then no more are taken: they stay in `AGG` and are read at the end.
    pub fn fold_ended(&mut self, mut take: impl FnMut(&AggKey) -> anyhow::Result<Option<AggValue>>) -> anyhow::Result<()> {
        while let Some(&tgid) = self.ended.last() {
            let Some(keys) = self.agg_by_tgid.get_mut(&tgid) else {
                self.ended.pop();
                continue;
            };
            while let Some(key) = keys.last() {
                let value = match take(key) {
                    Ok(value) => value,
                    Err(err) => {
                        self.fold_failed = true;
                        self.ended.clear();
                        return Err(err);
                    }
                };
                let key = keys.pop().expect("just seen");
                let Some(AggSlot { entry: i, seen }) = self.by_agg.remove(&key) else { continue };
                match value {
                    Some(v) => {
                        self.folded[i] += v.count;
                        self.so_far[i] += v.count.saturating_sub(seen);
                        self.last_ns[i] = self.last_ns[i].max(v.last_ns);
                    }
                    None => self.folded[i] += 1,
                }
            }
            self.agg_by_tgid.remove(&tgid);
            self.ended.pop();
        }
        Ok(())
    }

    /// The entry at `i` as it stands.
    #[must_use]
    pub fn entry(&self, i: usize) -> &DenialEntry {
        &self.entries[i]
    }

    /// The entry at `i` with its running count and latest time (live output; the exact count is
    /// in the report).
    #[must_use]
    pub fn running(&self, i: usize) -> DenialEntry {
        let mut e = self.entries[i].clone();
        e.count = self.so_far[i];
        e.last_seen = self.clock.wall(self.last_ns[i]);
        e
    }

    /// Applies the kernel's counts and returns the entries (in first-seen order) and the stats.
    #[must_use]
    pub fn finish(
        &mut self,
        agg: &HashMap<AggKey, AggValue>,
        losses: [u64; loss::COUNT as usize],
        events_capped: u64,
    ) -> (Vec<DenialEntry>, Stats) {
        let mut counts = self.folded.clone();
        let mut last = self.last_ns.clone();
        for (key, &AggSlot { entry: i, .. }) in &self.by_agg {
            if let Some(v) = agg.get(key) {
                counts[i] += v.count;
                last[i] = last[i].max(v.last_ns);
            } else {
                counts[i] += 1;
            }
        }
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        order.sort_by_key(|&i| (self.first_ns[i], i));
        let mut entries = Vec::with_capacity(order.len());
        for i in order {
            let mut e = self.entries[i].clone();
            e.count = counts[i];
            e.first_seen = self.clock.wall(self.first_ns[i]);
            e.last_seen = self.clock.wall(last[i]);
            e.t_ms = self.clock.offset_ms(self.first_ns[i]);
            entries.push(e);
        }
        let lost_details = losses[loss::RING_DENIAL as usize];
        let stats = Stats {
            records: self.records,
            denials: counts.iter().sum::<u64>() + lost_details,
            distinct: entries.len() as u64,
            lost: lost_details + losses[loss::RING_OTHER as usize] + self.malformed,
            losses: Losses {
                ring_denials: lost_details,
                ring_other: losses[loss::RING_OTHER as usize],
                task_map_full: losses[loss::TASK_MAP_FULL as usize],
                agg_map_full: losses[loss::AGG_MAP_FULL as usize],
                malformed: self.malformed,
                events_capped,
            },
            unlisted: Unlisted::default(),
        };
        (entries, stats)
    }
}

#[cfg(test)]
mod tests {
    use denytrace_common::{Count, Exit, TaskIdentity, kind};

    use super::*;

    /// A process id far above any real `pid_max`, so /proc lookups find nothing.
    const PID: u32 = 0x7fff_0101;

    fn task(pid: u32) -> TaskIdentity {
        let bytes = [0u8; std::mem::size_of::<TaskIdentity>()];
        // SAFETY: TaskIdentity is plain integer data: any bytes are a valid value.
        let mut t: TaskIdentity = unsafe { bytes.as_ptr().cast::<TaskIdentity>().read_unaligned() };
        (t.pid, t.tid, t.ppid) = (pid, pid, 1);
        t.comm[..4].copy_from_slice(b"test");
        t
    }

    /// The first record of an aggregated denial of `pid` (an `openat` refused with EACCES).
    fn first_record(pid: u32, ts_ns: u64) -> Record {
        let mut bytes = vec![0u8; std::mem::size_of::<Denial>()];
        bytes[..4].copy_from_slice(&kind::DENIAL.to_ne_bytes());
        let Ok(Record::Denial(mut d)) = Record::try_from(&bytes[..]) else { panic!("a zeroed denial decodes") };
        d.task = task(pid);
        (d.nr, d.ret, d.ts_ns) = (257, -13, ts_ns);
        d.flags = denial_flag::AGGREGATED;
        d.agg = AggKey { object_hash: 7, failed_caps: 0, tgid: pid, nr: 257, ret: -13, flags: 0 };
        Record::Denial(d)
    }

    fn count(pid: u32, n: u64) -> Record {
        Record::Count(Count {
            kind: kind::COUNT,
            _pad: 0,
            agg: AggKey { object_hash: 7, failed_caps: 0, tgid: pid, nr: 257, ret: -13, flags: 0 },
            count: n,
            last_ns: 50,
        })
    }

    /// Running counts only grow the live total; an ended process's counter is taken out of `AGG`
    /// and folded once; the final total adds what is still in `AGG` for live processes.
    #[test]
    fn running_counts_and_folds_add_up_exactly() {
        let mut c = Collector::new(Clock::start(), Context::default());
        let Update::NewDenial(i) = c.on_record(first_record(PID, 10)) else { panic!("a new denial") };
        assert_eq!(c.running(i).count, 1);
        assert_eq!(c.on_record(count(PID, 500)), Update::Count(i));
        assert_eq!(c.on_record(count(PID, 400)), Update::Count(i), "an older count (another CPU) changes nothing");
        assert_eq!(c.running(i).count, 500);
        // The process ends; its counter (700 by now) is taken out once.
        c.on_record(Record::Exit(Box::new(Exit { kind: kind::EXIT, exit_code: 0, ts_ns: 60, task: task(PID) })));
        let mut taken = Vec::new();
        c.fold_ended(|key| {
            taken.push(*key);
            Ok(Some(AggValue { count: 700, last_ns: 55, reported_ns: 50 }))
        })
        .expect("fold");
        assert_eq!(taken.len(), 1);
        assert_eq!(c.running(i).count, 700);
        c.fold_ended(|_| panic!("nothing left to take")).expect("fold");
        // A second process with the identical denial: same entry, its counter still live.
        assert_eq!(c.on_record(first_record(PID + 1, 70)), Update::Repeat(i));
        assert_eq!(c.on_record(count(PID, 900)), Update::Quiet, "a count for a folded counter is ignored");
        let live = AggKey { object_hash: 7, failed_caps: 0, tgid: PID + 1, nr: 257, ret: -13, flags: 0 };
        let agg = HashMap::from([(live, AggValue { count: 42, last_ns: 80, reported_ns: 70 })]);
        let (entries, stats) = c.finish(&agg, [0; loss::COUNT as usize], 0);
        assert_eq!((entries.len(), entries[0].count, stats.denials, stats.records), (1, 742, 742, 2));
    }
}
