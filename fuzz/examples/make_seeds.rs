//! Writes the seed inputs of the fuzz targets into `fuzz/corpus/<target>/`: well-formed kernel
//! records of every kind (with hostile names: escape sequences, bidi overrides, invalid UTF-8),
//! cut and corrupted copies of them, and small valid BTF blobs. Report seeds are real reports
//! written by `denytrace run`, copied in by hand (see docs/reliability.md).
//!
//! Run from the repository root after a change of the record layouts:
//! `AYA_BUILD_SKIP=1 cargo run --manifest-path fuzz/Cargo.toml --example make_seeds`

use std::{fs, mem::size_of, path::Path};

use denytrace_common::{
    Denial, Exec, Exit, OomVictim, Setup, Signal, TaskIdentity, denial_flag, kind, setup_kind,
};

/// The bytes of a plain-data record.
fn bytes<T: Copy>(value: &T) -> Vec<u8> {
    // SAFETY: the record types are #[repr(C)] integer-only structs without padding (asserted in
    // denytrace-common), so every byte is initialized.
    unsafe { std::slice::from_raw_parts(std::ptr::from_ref::<T>(value).cast::<u8>(), size_of::<T>()) }.to_vec()
}

/// An all-zero record.
fn zeroed<T: Copy>() -> T {
    // SAFETY: only called for the integer-only record types, for which zero is a valid value.
    unsafe { std::mem::zeroed() }
}

const HOSTILE: &[u8] = b"/tmp/a\nb\x1b[2J\x1b]8;;http:x\x1b\\link\x1b]8;;\x1b\\\xe2\x80\xaeevil\xff: #\"'";

fn task(comm: &[u8]) -> TaskIdentity {
    let mut t: TaskIdentity = zeroed();
    t.pid = 4242;
    t.tid = 4242;
    t.ppid = 1;
    t.uid = 65534;
    t.gid = 65534;
    t.euid = 65534;
    t.egid = 65534;
    t.fsuid = 65534;
    t.fsgid = 65534;
    let n = comm.len().min(t.comm.len() - 1);
    t.comm[..n].copy_from_slice(&comm[..n]);
    t
}

fn denial(nr: i64, ret: i64, path: &[u8], args: [u64; 6]) -> Denial {
    let mut d: Denial = zeroed();
    d.kind = kind::DENIAL;
    d.flags = denial_flag::ENTER_EVER | denial_flag::AGGREGATED;
    d.ts_ns = 1_000_000;
    d.task = task(b"dt-workload");
    d.nr = nr;
    d.ret = ret;
    d.args = args;
    let n = path.len().min(d.path0.len());
    d.path0[..n].copy_from_slice(&path[..n]);
    d.path0_len = u16::try_from(n).unwrap_or(0);
    d
}

fn with_buf(mut d: Denial, buf: &[u8]) -> Denial {
    let n = buf.len().min(d.buf.len());
    d.buf[..n].copy_from_slice(&buf[..n]);
    d.buf_len = u32::try_from(n).unwrap_or(0);
    d.flags |= denial_flag::BUF_READ;
    d
}

fn records() -> Vec<(&'static str, Vec<u8>)> {
    let eacces = -i64::from(libc::EACCES);
    let eperm = -i64::from(libc::EPERM);
    let at_fdcwd = u64::from(libc::AT_FDCWD.cast_unsigned());
    let mut out = vec![
        ("denial-openat", bytes(&denial(libc::SYS_openat, eacces, b"/dev/ptmx", [at_fdcwd, 0, 0o2_000_002, 0, 0, 0]))),
        ("denial-openat-hostile", bytes(&denial(libc::SYS_openat, eacces, HOSTILE, [at_fdcwd, 0, 0, 0, 0, 0]))),
        ("denial-mkdir-erofs", bytes(&denial(libc::SYS_mkdir, -i64::from(libc::EROFS), b"/ro/x", [0, 0o755, 0, 0, 0, 0]))),
        ("denial-getppid-seccomp", {
            let mut d = denial(libc::SYS_getppid, eperm, b"", [0; 6]);
            d.flags = denial_flag::NO_ENTER | denial_flag::ENTER_EVER;
            d.seccomp_mode = 2;
            bytes(&d)
        }),
        ("denial-clone-eagain", bytes(&denial(libc::SYS_clone, -i64::from(libc::EAGAIN), b"", [0x0120_0011, 0, 0, 0, 0, 0]))),
        ("denial-connect-unix", {
            let mut sun = vec![1u8, 0];
            sun.extend_from_slice(b"/run/\x1b[31ms\xff");
            bytes(&with_buf(denial(libc::SYS_connect, eacces, b"", [3, 0, 110, 0, 0, 0]), &sun))
        }),
        ("denial-connect-abstract", {
            let mut sun = vec![1u8, 0, 0];
            sun.extend_from_slice(b"\xe2\x80\xaebus");
            bytes(&with_buf(denial(libc::SYS_connect, eacces, b"", [3, 0, 8, 0, 0, 0]), &sun))
        }),
        ("denial-connect-inet", bytes(&with_buf(denial(libc::SYS_connect, eperm, b"", [3, 0, 16, 0, 0, 0]), &[2, 0, 0, 80, 127, 0, 0, 1]))),
        ("denial-openat2", bytes(&with_buf(denial(libc::SYS_openat2, eacces, b"/etc/shadow", [at_fdcwd, 0, 0, 24, 0, 0]), &[0o1_00, 0, 0, 0, 0, 0, 0, 0]))),
        ("denial-rename", {
            let mut d = denial(libc::SYS_rename, eacces, b"/a", [0; 6]);
            d.path1[..3].copy_from_slice(b"/\x1bb");
            d.path1_len = 3;
            bytes(&d)
        }),
        ("denial-path-fault", {
            let mut d = denial(libc::SYS_openat, -i64::from(libc::EFAULT), b"", [at_fdcwd, 0, 0, 0, 0, 0]);
            d.flags |= denial_flag::PATH0_FAULT | denial_flag::PATH1_TRUNCATED;
            bytes(&d)
        }),
        ("denial-unknown-syscall", bytes(&denial(9999, -4095, b"x", [u64::MAX; 6]))),
    ];
    let mut e: Exec = zeroed();
    e.kind = kind::EXEC;
    e.task = task(b"\x1b]0;title\x07");
    e.filename[..HOSTILE.len()].copy_from_slice(HOSTILE);
    e.filename_len = u32::try_from(HOSTILE.len()).unwrap_or(0);
    out.push(("exec-hostile", bytes(&e)));
    let mut x: Exit = zeroed();
    x.kind = kind::EXIT;
    x.exit_code = 9;
    x.task = task(b"\xff\xfe\xe2\x80");
    out.push(("exit-killed", bytes(&x)));
    let mut s: Signal = zeroed();
    s.kind = kind::SIGNAL;
    s.sig = 31;
    s.sender = task(b"sh");
    s.target_pid = 4242;
    s.code = 1;
    s.si_syscall = 83;
    s.target_comm[..4].copy_from_slice(b"\x1b[2J");
    out.push(("signal-sigsys", bytes(&s)));
    let mut st: Setup = zeroed();
    st.kind = kind::SETUP;
    st.what = setup_kind::LANDLOCK_RESTRICT;
    st.task = task(b"dt-landlock");
    st.landlock_domain = 0xffff_8880_0000_1000;
    out.push(("setup-landlock", bytes(&st)));
    st.what = setup_kind::SECCOMP_FILTER;
    out.push(("setup-seccomp", bytes(&st)));
    let mut o: OomVictim = zeroed();
    o.kind = kind::OOM_VICTIM;
    o.pid = 4242;
    o.comm[..5].copy_from_slice(b"hog\x1b[");
    out.push(("oom-victim", bytes(&o)));
    // Cut and corrupted copies: lengths beyond the buffers, a record cut short, an unknown kind.
    let mut long = denial(libc::SYS_openat, eacces, b"/x", [0; 6]);
    long.path0_len = u16::MAX;
    out.push(("denial-path-length-too-big", bytes(&long)));
    let full = bytes(&denial(libc::SYS_openat, eacces, b"/x", [0; 6]));
    out.push(("denial-cut", full[..full.len() / 2].to_vec()));
    out.push(("unknown-kind", [999u32.to_ne_bytes().as_slice(), &[0; 60]].concat()));
    out.push(("empty", Vec::new()));
    out
}

/// A small valid BTF blob: `int`, `struct task_struct { int pid; }`, a pointer to it, and the
/// typedef of a tracepoint (`btf_trace_sched_process_exit`: `void (*)(void *, struct
/// task_struct *)`).
fn btf() -> Vec<u8> {
    const INT: u32 = 1;
    const PTR: u32 = 2;
    const STRUCT: u32 = 4;
    const TYPEDEF: u32 = 8;
    const FUNC_PROTO: u32 = 13;
    let mut strings = vec![0u8];
    let mut name = |s: &str| {
        let off = u32::try_from(strings.len()).unwrap_or(0);
        strings.extend_from_slice(s.as_bytes());
        strings.push(0);
        off
    };
    let (int, task_struct, pid, tp, ctx) = (name("int"), name("task_struct"), name("pid"), name("btf_trace_sched_process_exit"), name("p"));
    let info = |kind: u32, vlen: u32| (kind << 24) | vlen;
    let mut types: Vec<u32> = Vec::new();
    // 1: int (size 4, 32 bits, signed)
    types.extend([int, info(INT, 0), 4, (1 << 24) | 32]);
    // 2: struct task_struct { int pid; } size 4
    types.extend([task_struct, info(STRUCT, 1), 4, pid, 1, 0]);
    // 3: struct task_struct *
    types.extend([0, info(PTR, 0), 2]);
    // 4: void *
    types.extend([0, info(PTR, 0), 0]);
    // 5: void (void *, struct task_struct *)
    types.extend([0, info(FUNC_PROTO, 2), 0, 0, 4, ctx, 3]);
    // 6: pointer to 5; 7: typedef btf_trace_sched_process_exit
    types.extend([0, info(PTR, 0), 5]);
    types.extend([tp, info(TYPEDEF, 0), 6]);
    let type_bytes: Vec<u8> = types.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut out = Vec::new();
    out.extend(0xeb9f_u16.to_le_bytes());
    out.extend([1u8, 0]);
    out.extend(24u32.to_le_bytes());
    out.extend(0u32.to_le_bytes());
    out.extend(u32::try_from(type_bytes.len()).unwrap_or(0).to_le_bytes());
    out.extend(u32::try_from(type_bytes.len()).unwrap_or(0).to_le_bytes());
    out.extend(u32::try_from(strings.len()).unwrap_or(0).to_le_bytes());
    out.extend(type_bytes);
    out.extend(strings);
    out
}

fn write(dir: &Path, name: &str, data: &[u8]) {
    fs::create_dir_all(dir).expect("creating the corpus directory");
    fs::write(dir.join(name), data).expect("writing a seed");
}

fn main() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (name, data) in records() {
        write(&corpus.join("decode_record"), name, &data);
    }
    let blob = btf();
    write(&corpus.join("btf_parse"), "small", &blob);
    write(&corpus.join("btf_parse"), "small-cut", &blob[..blob.len() - 5]);
    let mut bad_magic = blob.clone();
    bad_magic[0] = 0x9f;
    write(&corpus.join("btf_parse"), "big-endian-magic", &bad_magic);
    println!("seeds written under {}", corpus.display());
}
