//! denytrace's kernel side: raw tracepoint programs that capture refused syscalls of the traced
//! tasks, with the evidence needed to say what refused them.
//!
//! Only raw tracepoints are used (no tracefs, no trampolines): `sys_enter`/`sys_exit` (kernel
//! `include/trace/events/syscalls.h`), `sched_process_fork`/`exec`/`exit`, `cap_capable`
//! (6.10+ `include/trace/events/capability.h`), `signal_generate` and `mark_victim`. The loader
//! checks each tracepoint's prototype in the running kernel's BTF before attaching, and hands every
//! struct offset to the programs through the read-only `OFFSETS` global: nothing is hard-coded.
//!
//! Cost model: a task outside the traced set pays one array load per hook (a bitmap indexed by
//! thread id, or one helper call in cgroup mode) and returns. A traced successful syscall pays one
//! hash lookup at entry and one at exit.
#![cfg_attr(target_arch = "bpf", no_std)]
#![cfg_attr(target_arch = "bpf", no_main)]
#![cfg_attr(target_arch = "bpf", feature(asm_experimental_arch))]

#[cfg(target_arch = "bpf")]
mod programs;

#[cfg(not(target_arch = "bpf"))]
fn main() {}
