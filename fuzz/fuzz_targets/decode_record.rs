//! Fuzz target `decode_record`: one ring-buffer record from the kernel, as arbitrary bytes.
//!
//! Decoding gives a record or an error, never a panic. A decoded record is described as the
//! collector describes it (paths, syscall and decoded arguments, errno, process) and rendered as
//! the live line; every name in it must come back byte for byte from its JSON form and reach the
//! terminal with no control or format character.

#![no_main]

use denytrace::{
    attribution::Context,
    clock::Clock,
    collect::{Collector, Update},
    decode::{self, Record},
    describe,
    model::DenialEntry,
    render,
    text::{self, Text},
};
use libfuzzer_sys::fuzz_target;

fn assert_plain(s: &str) {
    assert!(!s.chars().any(text::needs_escape), "raw control or format character in {s:?}");
}

/// A name from the traced side: lossless in JSON, escaped on a terminal.
fn check_name(bytes: &[u8]) {
    let name = Text::from_bytes(bytes);
    assert_eq!(name.to_bytes(), bytes);
    let json = serde_json::to_string(&name).expect("a name serializes");
    let back: Text = serde_json::from_str(&json).expect("a serialized name parses");
    assert_eq!(back.to_bytes(), bytes, "JSON {json} lost bytes");
    assert_plain(&name.term());
}

fuzz_target!(|data: &[u8]| {
    let Ok(record) = Record::try_from(data) else {
        return;
    };
    let clock = Clock::start();
    match record {
        Record::Denial(d) => {
            let paths = describe::paths(&d);
            for p in paths.path.iter().chain(paths.path2.iter()) {
                check_name(p);
            }
            check_name(decode::comm(&d.task));
            let entry = DenialEntry {
                count: 1,
                first_seen: clock.wall(d.ts_ns),
                last_seen: clock.wall(d.ts_ns),
                t_ms: clock.offset_ms(d.ts_ns),
                process: describe::process(&d.task, None, None),
                syscall: describe::syscall(&d),
                path: paths.path.as_deref().map(Text::from_bytes),
                path2: paths.path2.as_deref().map(Text::from_bytes),
                errno: describe::errno_name(d.ret),
                ret: d.ret,
                cause: None,
                suggestions: Vec::new(),
            };
            let line = render::line(&entry);
            assert_plain(&line);
            let json = serde_json::to_string(&entry).expect("an entry serializes");
            let back: DenialEntry = serde_json::from_str(&json).expect("a serialized entry parses");
            assert_eq!(back, entry);
        }
        Record::Exec(e) => {
            let len = usize::try_from(e.filename_len).unwrap_or(usize::MAX).min(e.filename.len());
            check_name(decode::c_bytes(&e.filename[..len]));
            check_name(decode::comm(&e.task));
        }
        Record::Exit(x) => check_name(decode::comm(&x.task)),
        Record::Signal(s) => check_name(decode::comm(&s.sender)),
        Record::Setup(s) => {
            check_name(decode::comm(&s.task));
            Context::default().on_setup(&s, &clock);
        }
        Record::OomVictim(o) => check_name(decode::c_bytes(&o.comm)),
        // A running count for a denial whose first record never came changes nothing.
        Record::Count(c) => {
            let mut collector = Collector::new(clock, Context::default());
            assert_eq!(collector.on_record(Record::Count(c)), Update::Quiet);
        }
    }
});
