//! One tracing session: loaded programs, the ring buffer, the collector, the events file, and the
//! report at the end. Shared by `run` and `watch`.

use std::{
    fs::File,
    io::{BufWriter, Write as _},
};

use anyhow::{Context as _, Result};
use aya::maps::{MapData, RingBuf};
use tokio::io::unix::AsyncFd;

use crate::{
    attribution::Context,
    clock::Clock,
    cli::OutputArgs,
    collect::{Collector, Update},
    loader::{Settings, Tracer},
    model::{EVENT_SCHEMA, EventLine, ExitStatus, Host, REPORT_SCHEMA, Report, Target, Tool},
};

/// Lines written to `--events` at most; the rest are counted in `stats.losses.events_capped`.
pub const EVENTS_CAP: u64 = 100_000;

/// Where `--events` lines go.
enum EventsOut {
    File(BufWriter<File>),
    Stdout,
}

/// A running session.
pub struct Session {
    tracer: Tracer,
    ring: AsyncFd<RingBuf<MapData>>,
    /// Accumulated state.
    pub collector: Collector,
    events: Option<EventsOut>,
    events_written: u64,
    events_capped: u64,
    host: Host,
}

fn uname() -> (String, String) {
    // SAFETY: utsname is plain data; uname fills the live local.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::uname(&raw mut u) } != 0 {
        return (String::new(), String::new());
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f.iter().take_while(|&&c| c != 0).map(|&c| c.to_ne_bytes()[0]).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (field(&u.release), field(&u.machine))
}

/// Gives back to the kernel the memory the two BTF parses of start-up used and freed (about 9 MiB
/// that glibc's allocator would otherwise keep mapped for the whole session). musl's allocator
/// returns freed memory by itself.
fn release_startup_memory() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only releases free memory of the allocator's arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Registers a descriptor-owning value with the runtime.
pub fn async_fd<T: std::os::fd::AsRawFd>(inner: T) -> Result<AsyncFd<T>> {
    // SAFETY: `inner` owns its descriptor and moves into the AsyncFd, which deregisters it before
    // dropping `inner`, so the descriptor stays open while registered.
    unsafe { AsyncFd::register(inner) }.map_err(|e| e.into_parts().1.into())
}

/// Landlock's ABI version, or None when Landlock is off.
#[must_use]
pub fn landlock_abi() -> Option<u32> {
    let nr = crate::syscalls::by_name("landlock_create_ruleset")?.nr;
    // SAFETY: landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) only returns a number.
    let abi = unsafe { libc::syscall(libc::c_long::from(nr), std::ptr::null::<u8>(), 0usize, 1u32) };
    u32::try_from(abi).ok().filter(|v| *v > 0)
}

impl Session {
    /// Loads and attaches the programs.
    pub fn start(settings: &Settings, output: &OutputArgs, clock: Clock) -> Result<Self> {
        super::check_privileges()?;
        let mut tracer = Tracer::load(settings)?;
        // A marker for `cargo xtask bench` (start-up time) and for people wondering what is slow.
        tracing::info!("programs attached in {} ms", clock.elapsed_ms());
        release_startup_memory();
        let ring = async_fd(tracer.take_events()?).context("polling the ring buffer")?;
        let used = |name: &str| tracer.mechanisms.iter().any(|m| m.name == name && m.used);
        let context = Context {
            lsms: tracer.lsms.clone(),
            landlock_readable: tracer.landlock_readable,
            caps_seen: used("raw_tracepoint:cap_capable"),
            seccomp_mode_readable: !tracer.missing.iter().any(|m| m.starts_with("seccomp mode")),
            bpf_lsm_programs: crate::kernel::features::bpf_lsm_programs(),
            lockdown: crate::kernel::features::lockdown(),
            own_mnt_ns: crate::attribution::fs::own_mnt_ns(),
            ..Context::default()
        };
        let (kernel, arch) = uname();
        let mut limitations = tracer.missing.clone();
        limitations.push(tracer.trampoline_note.clone());
        let host = Host {
            kernel,
            arch,
            lsms: tracer.lsms.clone(),
            landlock_abi: landlock_abi(),
            mechanisms: tracer.mechanisms.clone(),
            limitations,
        };
        let events = match output.events.as_deref() {
            None => None,
            Some("-") => Some(EventsOut::Stdout),
            Some(path) => Some(EventsOut::File(BufWriter::new(
                File::create(path).with_context(|| format!("creating the events file {path}"))?,
            ))),
        };
        Ok(Self {
            tracer,
            ring,
            collector: Collector::new(clock, context),
            events,
            events_written: 0,
            events_capped: 0,
            host,
        })
    }

    /// The loaded programs.
    pub fn tracer_mut(&mut self) -> &mut Tracer {
        &mut self.tracer
    }

    /// Waits until records are available.
    pub async fn readable(&mut self) -> Result<()> {
        let mut guard = self.ring.readable_mut().await?;
        guard.clear_ready();
        Ok(())
    }

    /// Processes every available record; `on_update` sees each change.
    pub fn drain(&mut self, mut on_update: impl FnMut(&Collector, Update)) -> Result<()> {
        let mut batch = Vec::new();
        {
            let ring = self.ring.get_mut();
            while let Some(item) = ring.next() {
                batch.push(item.to_vec());
            }
        }
        for bytes in batch {
            let update = self.collector.on_bytes(&bytes);
            self.write_event(update)?;
            on_update(&self.collector, update);
        }
        let tracer = &self.tracer;
        if let Err(err) = self.collector.fold_ended(|key| tracer.take_aggregated(key)) {
            // Nothing is lost: the counters stay in AGG and are read at the end.
            tracing::warn!("{err:#}");
        }
        Ok(())
    }

    fn write_event(&mut self, update: Update) -> Result<()> {
        if self.events.is_none() {
            return Ok(());
        }
        let line = match update {
            Update::NewDenial(i) => EventLine {
                schema: EVENT_SCHEMA.into(),
                event: "denial".into(),
                denial: Some(self.collector.entry(i).clone()),
                signal: None,
                exit: None,
            },
            Update::Signal => EventLine {
                schema: EVENT_SCHEMA.into(),
                event: "signal".into(),
                denial: None,
                signal: self.collector.fates.last_signal.clone(),
                exit: None,
            },
            Update::Exit => EventLine {
                schema: EVENT_SCHEMA.into(),
                event: "exit".into(),
                denial: None,
                signal: None,
                exit: self.collector.fates.last_exit.clone(),
            },
            Update::Count(i) => EventLine {
                schema: EVENT_SCHEMA.into(),
                event: "count".into(),
                denial: Some(self.collector.running(i)),
                signal: None,
                exit: None,
            },
            Update::Repeat(_) | Update::Quiet => return Ok(()),
        };
        if self.events_written >= EVENTS_CAP {
            self.events_capped += 1;
            return Ok(());
        }
        self.events_written += 1;
        let text = serde_json::to_string(&line)?;
        match self.events.as_mut() {
            Some(EventsOut::File(f)) => writeln!(f, "{text}")?,
            Some(EventsOut::Stdout) => crate::out::line(&text),
            None => {}
        }
        Ok(())
    }

    /// Drains what is left, reads the kernel's counts, detaches everything and builds the report.
    pub fn finish(mut self, target: Target, exit: Option<ExitStatus>) -> Result<Report> {
        self.drain(|_, _| {})?;
        let agg = self.tracer.aggregated()?;
        let losses = self.tracer.losses()?;
        let Self { tracer, ring, mut collector, events, events_capped, host, .. } = self;
        drop(ring);
        drop(tracer);
        if let Some(EventsOut::File(mut f)) = events {
            f.flush().context("writing the events file")?;
        }
        let (denials, mut stats) = collector.finish(&agg, losses, events_capped);
        let clock = *collector.clock();
        let fates = std::mem::take(&mut collector.fates);
        stats.unlisted = fates.unlisted;
        Ok(Report {
            schema: REPORT_SCHEMA.into(),
            tool: Tool { name: "denytrace".into(), version: env!("CARGO_PKG_VERSION").into() },
            host,
            target,
            started_at: clock.started_at(),
            duration_ms: clock.elapsed_ms(),
            exit,
            stats,
            denials,
            signals: fates.signals,
            processes: fates.exits,
        })
    }
}

/// Writes the report file and prints the final output.
pub fn emit(report: &Report, output: &OutputArgs) -> Result<()> {
    if let Some(path) = &output.report {
        let text = serde_json::to_string_pretty(report)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing the report {}", path.display()))?;
    }
    if output.json {
        crate::out::line(&serde_json::to_string_pretty(report)?);
    } else {
        eprint!("{}", crate::render::summary(report));
    }
    Ok(())
}
