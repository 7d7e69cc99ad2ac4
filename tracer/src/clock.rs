//! Kernel monotonic timestamps (`bpf_ktime_get_ns`) turned into wall-clock times and offsets from
//! the start of tracing.

/// The start of tracing on both clocks.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    mono_start_ns: u64,
    real_start_ns: u128,
}

fn now_ns(clock: libc::clockid_t) -> u128 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into the live local `ts`.
    unsafe { libc::clock_gettime(clock, &raw mut ts) };
    u128::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000_000 + u128::try_from(ts.tv_nsec).unwrap_or(0)
}

impl Clock {
    /// Reads both clocks now.
    #[must_use]
    pub fn start() -> Self {
        let mono = now_ns(libc::CLOCK_MONOTONIC);
        let real = now_ns(libc::CLOCK_REALTIME);
        Self { mono_start_ns: u64::try_from(mono).unwrap_or(u64::MAX), real_start_ns: real }
    }

    /// Milliseconds from the start to a monotonic timestamp (0 for earlier ones).
    #[must_use]
    pub fn offset_ms(&self, mono_ns: u64) -> u64 {
        mono_ns.saturating_sub(self.mono_start_ns) / 1_000_000
    }

    /// Milliseconds since the start.
    #[must_use]
    pub fn elapsed_ms(&self) -> u64 {
        let now = u64::try_from(now_ns(libc::CLOCK_MONOTONIC)).unwrap_or(u64::MAX);
        self.offset_ms(now)
    }

    /// RFC 3339 wall time (UTC, microseconds) of a monotonic timestamp.
    #[must_use]
    pub fn wall(&self, mono_ns: u64) -> String {
        let delta = i128::from(mono_ns) - i128::from(self.mono_start_ns);
        let real = i128::try_from(self.real_start_ns).unwrap_or(0) + delta;
        rfc3339(u128::try_from(real).unwrap_or(0))
    }

    /// RFC 3339 wall time of the start.
    #[must_use]
    pub fn started_at(&self) -> String {
        rfc3339(self.real_start_ns)
    }
}

/// Formats nanoseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
#[must_use]
pub fn rfc3339(ns: u128) -> String {
    let secs = ns / 1_000_000_000;
    let micros = (ns % 1_000_000_000) / 1_000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        // 2026-11-21T22:27:31.5Z
        assert_eq!(rfc3339(1_795_300_051_500_000_000), "2026-11-21T22:27:31.500000Z");
        // 2000-02-29 (leap day)
        assert_eq!(rfc3339(951_782_400_000_000_000), "2000-02-29T00:00:00.000000Z");
    }
}
