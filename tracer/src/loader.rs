//! Loads the embedded kernel programs with this kernel's offsets and the run's settings, attaches
//! them, and gives access to their maps. Dropping a [`Tracer`] detaches everything.

use std::{collections::HashMap as StdHashMap, os::fd::AsFd as _};

use anyhow::{Context as _, Result, anyhow, bail};
use aya::{
    Ebpf, EbpfLoader,
    maps::{Array, HashMap, IterableMap as _, MapData, PerCpuArray, RingBuf},
    programs::RawTracePoint,
};
use denytrace_common::{AggKey, AggValue, SYSCALL_SLOTS, SyscallSpec, TaskState, loss, mode, task_flag};
use serde::Serialize;

use crate::{btf::Btf, kernel, syscalls};

/// The kernel object built by `build.rs` from `tracer-ebpf/`.
static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/denytrace"));

/// Which tasks to trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Tasks marked with [`Tracer::mark_pid`] and their descendants.
    Pids,
    /// Tasks in the cgroup v2 with this id (at this level) and its descendants.
    Cgroup {
        /// Directory inode of the cgroup.
        id: u64,
        /// Depth below the cgroup2 root.
        level: u32,
    },
    /// Every task on the machine.
    All,
}

/// What to capture.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Which tasks.
    pub scope: Scope,
    /// Errnos reported from any syscall.
    pub errnos: Vec<i32>,
    /// Errnos reported from fork-like syscalls only.
    pub fork_errnos: Vec<i32>,
    /// Ring buffer size in bytes (a power of two multiple of the page size). The default, 4 MiB,
    /// holds about 3,800 first-of-a-kind denial records (1,104 bytes each) or 12,000 exec/exit
    /// records waiting for the consumer; user space maps it twice (for wrap-around), so it counts
    /// 8 MiB in denytrace's RSS. Identical denials never cross it (they are counted in `AGG`), and
    /// what does not fit is counted in `LOSSES`, never silently dropped. See docs/performance.md.
    pub ring_bytes: u32,
    /// Distinct denials counted in the kernel.
    pub agg_entries: u32,
    /// Threads tracked at once.
    pub task_entries: u32,
    /// Least time between two running counts of one repeating denial (`watch` shows them, and
    /// `--events` has them as `count` lines); 0 sends none.
    pub count_period_ms: u32,
}

impl Settings {
    /// The defaults of the `run` and `watch` commands.
    #[must_use]
    pub fn new(scope: Scope) -> Self {
        Self {
            scope,
            errnos: vec![libc::EACCES, libc::EPERM, libc::EMFILE, libc::ENFILE, libc::EROFS],
            fork_errnos: vec![libc::EAGAIN],
            ring_bytes: 4 << 20,
            agg_entries: 16384,
            task_entries: 65536,
            count_period_ms: 1000,
        }
    }

    /// The map sizes (ring bytes, aggregation entries, task entries) after the testing knobs.
    fn sizes(&self) -> Result<(u32, u32, u32)> {
        Ok((
            knob("DENYTRACE_RING_BYTES", self.ring_bytes, |v| v.is_power_of_two() && v >= 4096)?,
            knob("DENYTRACE_AGG_ENTRIES", self.agg_entries, |v| v >= 1)?,
            knob("DENYTRACE_TASK_ENTRIES", self.task_entries, |v| v >= 1)?,
        ))
    }

    /// The running-count period in nanoseconds after the testing knob `DENYTRACE_COUNT_PERIOD_MS`.
    fn count_period_ns(&self) -> Result<u64> {
        Ok(u64::from(knob("DENYTRACE_COUNT_PERIOD_MS", self.count_period_ms, |_| true)?) * 1_000_000)
    }
}

/// Testing knobs: environment variables that replace the kernel maps' sizes so that the fault
/// tests can overflow them (`DENYTRACE_RING_BYTES`, a power of two of at least 4096;
/// `DENYTRACE_AGG_ENTRIES`; `DENYTRACE_TASK_ENTRIES`) or make the running counts of repeating
/// denials come sooner (`DENYTRACE_COUNT_PERIOD_MS`), documented in docs/reliability.md. Unset,
/// the setting applies; a value that is not a valid number is an error, never silently ignored.
fn knob(name: &str, default: u32, valid: impl Fn(u32) -> bool) -> Result<u32> {
    let Some(raw) = std::env::var_os(name) else {
        return Ok(default);
    };
    let value = raw.to_str().and_then(|s| s.trim().parse::<u32>().ok()).filter(|v| valid(*v));
    let Some(value) = value else {
        bail!("{name}={} is not a valid value (a testing knob: see docs/reliability.md)", raw.to_string_lossy());
    };
    tracing::warn!("testing knob {name}={value} in effect");
    Ok(value)
}

/// Testing knob `DENYTRACE_HIDE_TRACEPOINTS`: tracepoints (comma-separated) treated as absent from
/// this kernel, to check what happens on kernels that lack them.
fn hidden_tracepoints() -> Vec<String> {
    std::env::var("DENYTRACE_HIDE_TRACEPOINTS")
        .map(|v| v.split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect())
        .unwrap_or_default()
}

/// One capture mechanism and whether it is in use; listed in reports and by `doctor`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Mechanism {
    /// e.g. `raw_tracepoint:sys_exit`, `btf:landlock_domain`.
    pub name: String,
    /// Whether it was used in this run.
    pub used: bool,
    /// Why not, or what it gives.
    pub detail: String,
}

/// Loaded and attached programs.
pub struct Tracer {
    ebpf: Ebpf,
    /// What was used and what was not.
    pub mechanisms: Vec<Mechanism>,
    /// Offsets that could not be found and what that costs.
    pub missing: Vec<String>,
    /// Landlock's blob offset was computed (domains are readable).
    pub landlock_readable: bool,
    /// Active LSMs.
    pub lsms: Vec<String>,
    /// What the report says about trampoline (fentry/LSM) programs on this kernel, probed while
    /// the kernel's BTF was parsed anyway.
    pub trampoline_note: String,
}

/// An error whose text may carry a whole verifier log: keep its head and its last lines.
fn shorten(err: anyhow::Error) -> anyhow::Error {
    let text = format!("{err:#}");
    let text = text.replace("\\x0a", "\n");
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= 12 && text.len() <= 2000 {
        return err;
    }
    let head: String = lines.first().map(|l| l.chars().take(300).collect()).unwrap_or_default();
    let tail = lines[lines.len().saturating_sub(6)..].join("\n");
    anyhow!("{head} [... verifier log cut ...]\n{tail}")
}

fn errno_mask(errnos: &[i32]) -> Result<[u64; 3]> {
    let mut mask = [0u64; 3];
    for &e in errnos {
        let bit = usize::try_from(e).ok().filter(|b| *b < 192).ok_or_else(|| anyhow!("errno {e} out of range"))?;
        mask[bit / 64] |= 1 << (bit % 64);
    }
    Ok(mask)
}

fn pid_max() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1 << 22)
}

/// Loads (verifies) one program, logging at debug level how long the verifier took and how many
/// instructions it verified: its work is most of the start-up time.
fn load_timed(program: &mut RawTracePoint, name: &str) -> Result<()> {
    let started = std::time::Instant::now();
    program.load()?;
    let verified = program.info().ok().and_then(|i| i.verified_instruction_count());
    tracing::debug!(
        "program {name} loaded in {:.1} ms ({} instructions verified)",
        started.elapsed().as_secs_f64() * 1e3,
        verified.map_or_else(|| "?".to_owned(), |n| n.to_string())
    );
    Ok(())
}

impl Tracer {
    /// Reads BTF, loads and attaches every program. On error nothing stays attached.
    #[expect(clippy::too_many_lines, reason = "the load sequence, step by step")]
    pub fn load(settings: &Settings) -> Result<Self> {
        if OBJECT.is_empty() {
            bail!("this denytrace was built without its eBPF object (AYA_BUILD_SKIP); rebuild with `cargo xtask build`");
        }
        let btf = Btf::from_sys()?;
        let lsms = kernel::lsm::active().unwrap_or_default();
        let offsets = kernel::offsets::from_btf(&btf, &lsms).context("reading kernel struct offsets from BTF")?;
        let mut mechanisms = vec![Mechanism {
            name: "btf:offsets".into(),
            used: true,
            detail: "struct offsets read from /sys/kernel/btf/vmlinux".into(),
        }];
        let landlock_readable =
            offsets.kernel.valid & denytrace_common::offset_valid::LANDLOCK != 0;
        mechanisms.push(Mechanism {
            name: "btf:landlock_domain".into(),
            used: landlock_readable,
            detail: if landlock_readable {
                "each task's Landlock domain and its handled rights are read from its credentials".into()
            } else if lsms.iter().any(|l| l == "landlock") {
                "Landlock's credential blob could not be located".into()
            } else {
                "Landlock is not an active LSM".into()
            },
        });

        let (mode_value, cgroup_id, cgroup_level) = match settings.scope {
            Scope::Pids => (mode::PIDS, 0u64, 0u32),
            Scope::Cgroup { id, level } => (mode::CGROUP, id, level),
            Scope::All => (mode::ALL, 0, 0),
        };
        let always = errno_mask(&settings.errnos)?;
        let fork_only = errno_mask(&settings.fork_errnos)?;
        let nr = |name: &str| syscalls::by_name(name).map_or(u32::MAX, |s| s.nr);
        let nr_restrict = nr("landlock_restrict_self");
        let nr_seccomp = nr("seccomp");
        let nr_prctl = nr("prctl");

        let mut hook_params = StdHashMap::new();
        let mut skipped = Vec::new();
        let hidden = hidden_tracepoints();
        let hooks: Vec<&kernel::offsets::Hook> = kernel::offsets::HOOKS
            .iter()
            .filter(|h| h.program != "dt_cgroup_move" || mode_value == mode::CGROUP)
            .collect();
        for &hook in &hooks {
            let checked = if hidden.iter().any(|t| t == hook.tracepoint) {
                Err(anyhow!(
                    "BTF: no typedef `btf_trace_{0}`: the kernel has no tracepoint `{0}` \
                     (hidden by the testing knob DENYTRACE_HIDE_TRACEPOINTS)",
                    hook.tracepoint
                )
                .context(format!("tracepoint {} not in this kernel's BTF", hook.tracepoint)))
            } else {
                kernel::offsets::check_prototype(&btf, hook)
            };
            match checked {
                Ok(n) => {
                    hook_params.insert(hook.program, n);
                }
                Err(e) if hook.required => return Err(e.context("a required tracepoint is missing")),
                Err(e) => skipped.push((hook, e)),
            }
        }
        let exit_has_group_dead: u32 = u32::from(hook_params.get("dt_exit") == Some(&2));
        // The membership cache is only right while every cgroup move is seen.
        let cgroup_cache_on: u32 = u32::from(hook_params.contains_key("dt_cgroup_move"));
        let trampoline_note = kernel::features::trampoline_note_for(&btf);
        // The parsed BTF (the raw blob and an index of every name) is large, and aya parses the
        // kernel's BTF again in `EbpfLoader::new`: free ours first so the two never add up in the
        // peak RSS.
        drop(btf);
        let peak = || crate::procinfo::own_peak_rss_kib().map_or_else(|| "?".to_owned(), |k| k.to_string());
        tracing::debug!("kernel BTF read and freed: peak RSS so far {} KiB", peak());
        let words = pid_max().div_ceil(64).max(1);
        let cache_words = if cgroup_cache_on == 1 { pid_max().div_ceil(16).max(1) } else { 1 };
        let (ring_bytes, agg_entries, task_entries) = settings.sizes()?;
        let count_period_ns = settings.count_period_ns()?;

        let mut loader = EbpfLoader::new();
        loader
            .override_global("OFFSETS", &offsets.kernel, true)
            .override_global("MODE", &mode_value, true)
            .override_global("CGROUP_ID", &cgroup_id, true)
            .override_global("CGROUP_LEVEL", &cgroup_level, true)
            .override_global("ERRNO_ALWAYS", &always, true)
            .override_global("ERRNO_FORK_ONLY", &fork_only, true)
            .override_global("NR_LANDLOCK_RESTRICT_SELF", &nr_restrict, true)
            .override_global("NR_SECCOMP", &nr_seccomp, true)
            .override_global("NR_PRCTL", &nr_prctl, true)
            .override_global("EXIT_HAS_GROUP_DEAD", &exit_has_group_dead, true)
            .override_global("CGROUP_CACHE_ON", &cgroup_cache_on, true)
            .override_global("COUNT_PERIOD_NS", &count_period_ns, true)
            .map_max_entries("EVENTS", ring_bytes)
            .map_max_entries("TRACED", words)
            .map_max_entries("CGROUP_CACHE", cache_words)
            .map_max_entries("TASKS", task_entries)
            .map_max_entries("AGG", agg_entries);
        let mut ebpf = loader.load(OBJECT).map_err(|e| {
            anyhow!(e).context("loading the eBPF object (needs CAP_BPF and CAP_PERFMON, or root)")
        })?;
        tracing::debug!("eBPF object parsed and its maps made: peak RSS so far {} KiB", peak());

        let mut specs: Array<_, SyscallSpec> =
            Array::try_from(ebpf.map_mut("SYSCALL_SPECS").ok_or_else(|| anyhow!("map SYSCALL_SPECS missing"))?)?;
        for sc in syscalls::all() {
            if sc.nr < SYSCALL_SLOTS {
                specs.set(sc.nr, syscalls::kernel_spec(sc), 0).context("filling SYSCALL_SPECS")?;
            }
        }

        for &hook in &hooks {
            if let Some((_, err)) = skipped.iter().find(|(h, _)| h.program == hook.program) {
                mechanisms.push(Mechanism {
                    name: format!("raw_tracepoint:{}", hook.tracepoint),
                    used: false,
                    detail: format!("{}: {err:#}", hook.without),
                });
                continue;
            }
            let program: &mut RawTracePoint = ebpf
                .program_mut(hook.program)
                .ok_or_else(|| anyhow!("program {} missing from the object", hook.program))?
                .try_into()?;
            let attached = load_timed(program, hook.program)
                .and_then(|()| program.attach(hook.tracepoint).map_err(anyhow::Error::from));
            match attached {
                Ok(_link) => mechanisms.push(Mechanism {
                    name: format!("raw_tracepoint:{}", hook.tracepoint),
                    used: true,
                    detail: if hook.program == "dt_cgroup_move" {
                        "each thread's cgroup membership is noted, and asked again after any cgroup move or fork".into()
                    } else {
                        String::new()
                    },
                }),
                // Once its prototype matched, the programs were loaded trusting the membership
                // cache, which is only right while cgroup moves are seen.
                Err(e) if hook.required || hook.program == "dt_cgroup_move" => {
                    return Err(shorten(e).context(format!(
                        "loading or attaching the {} program (needs CAP_BPF and CAP_PERFMON, or root)",
                        hook.tracepoint
                    )));
                }
                Err(e) => mechanisms.push(Mechanism {
                    name: format!("raw_tracepoint:{}", hook.tracepoint),
                    used: false,
                    detail: format!("{}: {:#}", hook.without, shorten(e)),
                }),
            }
        }
        Ok(Self { ebpf, mechanisms, missing: offsets.missing, landlock_readable, lsms, trampoline_note })
    }

    /// Adds thread `tid` to the traced set (pids scope). `enter_seen` says whether the thread is
    /// known not to be inside a syscall (a child held before exec), so that its next failing exit
    /// without an entry is meaningful.
    pub fn mark_pid(&mut self, tid: u32, enter_seen: bool) -> Result<()> {
        let state = TaskState {
            entered: 0,
            flags: if enter_seen { task_flag::ENTER_EVER } else { 0 },
            failed_caps: 0,
        };
        let mut tasks: HashMap<_, u32, TaskState> =
            HashMap::try_from(self.ebpf.map_mut("TASKS").ok_or_else(|| anyhow!("map TASKS missing"))?)?;
        tasks.insert(tid, state, 0).context("adding a task to TASKS")?;
        let mut traced: Array<_, u64> =
            Array::try_from(self.ebpf.map_mut("TRACED").ok_or_else(|| anyhow!("map TRACED missing"))?)?;
        let word = tid / 64;
        let current = traced.get(&word, 0).with_context(|| format!("pid {tid} is beyond pid_max"))?;
        traced.set(word, current | (1 << (tid % 64)), 0)?;
        Ok(())
    }

    /// Takes the ring buffer of records (once).
    pub fn take_events(&mut self) -> Result<RingBuf<MapData>> {
        let map = self.ebpf.take_map("EVENTS").ok_or_else(|| anyhow!("ring buffer already taken"))?;
        Ok(RingBuf::try_from(map)?)
    }

    /// The in-kernel counts of identical denials.
    pub fn aggregated(&self) -> Result<StdHashMap<AggKey, AggValue>> {
        let agg: HashMap<_, AggKey, AggValue> =
            HashMap::try_from(self.ebpf.map("AGG").ok_or_else(|| anyhow!("map AGG missing"))?)?;
        let mut out = StdHashMap::new();
        for item in &agg {
            let (k, v) = item?;
            out.insert(k, v);
        }
        Ok(out)
    }

    /// Removes one key from the in-kernel counts and returns its value (None when absent), in one
    /// step (`BPF_MAP_LOOKUP_AND_DELETE_ELEM`, hash maps since 5.14), for a process that has ended.
    pub fn take_aggregated(&self, key: &AggKey) -> Result<Option<AggValue>> {
        let agg: HashMap<_, AggKey, AggValue> =
            HashMap::try_from(self.ebpf.map("AGG").ok_or_else(|| anyhow!("map AGG missing"))?)?;
        let fd = agg.map().fd().as_fd();
        kernel::bpf_map::lookup_and_delete(fd, key).context("taking an ended process's counts from AGG")
    }

    /// Loss counters summed over CPUs, indexed by `denytrace_common::loss`.
    pub fn losses(&self) -> Result<[u64; loss::COUNT as usize]> {
        let losses: PerCpuArray<_, u64> =
            PerCpuArray::try_from(self.ebpf.map("LOSSES").ok_or_else(|| anyhow!("map LOSSES missing"))?)?;
        let mut out = [0u64; loss::COUNT as usize];
        for (i, slot) in out.iter_mut().enumerate() {
            let index = u32::try_from(i)?;
            *slot = losses.get(&index, 0)?.iter().sum();
        }
        Ok(out)
    }
}
