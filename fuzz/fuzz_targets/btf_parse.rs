//! Fuzz target `btf_parse`: a kernel BTF blob (`/sys/kernel/btf/vmlinux`), as arbitrary bytes.
//!
//! Parsing gives the type index or an error, never a panic, a hang or an unbounded allocation;
//! the look-ups the loader makes (struct members, sizes, tracepoint prototypes) do the same on
//! whatever parsed.

#![no_main]

use denytrace::{btf::Btf, kernel::offsets};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(btf) = Btf::from_bytes(data.to_vec()) else {
        return;
    };
    let _ = offsets::from_btf(&btf, &["capability".to_owned(), "landlock".to_owned()]);
    for hook in offsets::HOOKS {
        let _ = offsets::check_prototype(&btf, hook);
    }
    let _ = btf.struct_size("task_struct");
    let _ = btf.has_func("landlock_log_denial");
});
