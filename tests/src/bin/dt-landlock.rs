//! `dt-landlock`: a minimal Landlock launcher for denytrace's integration tests.
//!
//! It sandboxes a command the way NVIDIA `OpenShell`'s launcher does, so the tests can
//! produce real Landlock denials for the tracer to explain:
//!
//! ```text
//! dt-landlock [--ro PATH]... [--rw PATH]... [--ro-opt PATH]... [--rw-opt PATH]...
//!             [--handle-abi N] [--log-new-exec] -- CMD [ARGS...]
//! ```
//!
//! * The kernel's Landlock ABI is queried with
//!   `landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)`. Every
//!   filesystem right that ABI knows is handled (ABI 1: the 13 original rights, ABI 2
//!   adds `refer`, ABI 3 `truncate`, ABI 5 `ioctl_dev`); `--handle-abi N` handles only
//!   the rights of ABI `min(N, kernel ABI)`. Network rights and scopes are not handled.
//! * `--ro PATH` allows `read_file | read_dir | execute` beneath a directory
//!   (`read_file | execute` on a non-directory). `--rw PATH` allows every handled right
//!   beneath a directory (`execute | write_file | read_file | truncate | ioctl_dev` on a
//!   non-directory). Rights the ruleset does not handle are dropped from the rule.
//!   Each PATH is opened with `O_PATH | O_CLOEXEC` and becomes a
//!   `LANDLOCK_RULE_PATH_BENEATH` rule. A missing PATH is an error; `--ro-opt` and
//!   `--rw-opt` mean the same as `--ro` and `--rw` but silently skip missing paths.
//! * `--log-new-exec` passes `LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON` to
//!   `landlock_restrict_self` when the kernel's ABI is 7 or newer (ignored before).
//! * Then `prctl(PR_SET_NO_NEW_PRIVS, 1)`, `landlock_restrict_self`, and `execvp(CMD)`.
//!
//! Exit status: 125 if the sandbox cannot be set up (including usage errors), 127 if
//! CMD is not found, 126 if it cannot be executed; otherwise CMD's own status.
//! Errors are printed as `dt-landlock: <what failed>: <strerror>`.

use std::ffi::{CStr, CString, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::process::exit;

const PROG: &str = "dt-landlock";

// Syscall arguments and access rights from <linux/landlock.h>.
const LANDLOCK_CREATE_RULESET_VERSION: u32 = 1 << 0;
const LANDLOCK_RULE_PATH_BENEATH: libc::c_int = 1;
const LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON: u32 = 1 << 1;

const ACCESS_FS_EXECUTE: u64 = 1 << 0;
const ACCESS_FS_WRITE_FILE: u64 = 1 << 1;
const ACCESS_FS_READ_FILE: u64 = 1 << 2;
const ACCESS_FS_READ_DIR: u64 = 1 << 3;
// Bits 4..=12: remove_dir, remove_file, make_char, make_dir, make_reg, make_sock,
// make_fifo, make_block, make_sym.
const ACCESS_FS_ABI1: u64 = (1 << 13) - 1;
const ACCESS_FS_REFER: u64 = 1 << 13;
const ACCESS_FS_TRUNCATE: u64 = 1 << 14;
const ACCESS_FS_IOCTL_DEV: u64 = 1 << 15;

/// Rights that may appear in a rule on a non-directory (`LANDLOCK_ACCESS_FILE`).
const ACCESS_FILE: u64 = ACCESS_FS_EXECUTE
    | ACCESS_FS_WRITE_FILE
    | ACCESS_FS_READ_FILE
    | ACCESS_FS_TRUNCATE
    | ACCESS_FS_IOCTL_DEV;
const ACCESS_RO: u64 = ACCESS_FS_READ_FILE | ACCESS_FS_READ_DIR | ACCESS_FS_EXECUTE;

/// `struct landlock_ruleset_attr`, truncated after `handled_access_fs`; the kernel
/// accepts any size from that field on and zero-fills the rest.
#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
}

/// `struct landlock_path_beneath_attr` (declared `__attribute__((packed))`).
#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

#[derive(Clone, Copy)]
enum Access {
    ReadOnly,
    ReadWrite,
}

struct Rule {
    access: Access,
    path: OsString,
    optional: bool,
    flag: &'static str,
}

struct Options {
    rules: Vec<Rule>,
    handle_abi: Option<u32>,
    log_new_exec: bool,
    command: Vec<OsString>,
}

const USAGE: &str = "usage: dt-landlock [--ro PATH]... [--rw PATH]... [--ro-opt PATH]... \
[--rw-opt PATH]... [--handle-abi N] [--log-new-exec] -- CMD [ARGS...]";

fn main() {
    let opts = match parse_args(std::env::args_os().skip(1).collect()) {
        Ok(opts) => opts,
        Err(msg) => {
            eprintln!("{PROG}: {msg}\n{USAGE}");
            exit(125);
        }
    };
    let (status, msg) = run(&opts);
    eprintln!("{PROG}: {msg}");
    exit(status);
}

fn parse_args(args: Vec<OsString>) -> Result<Options, String> {
    let mut opts = Options {
        rules: Vec::new(),
        handle_abi: None,
        log_new_exec: false,
        command: Vec::new(),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(flag) = arg.to_str() else {
            return Err(format!("unexpected argument {}", arg.to_string_lossy()));
        };
        let (access, optional, flag) = match flag {
            "--" => break,
            "-h" | "--help" => {
                println!("{USAGE}");
                exit(0);
            }
            "--log-new-exec" => {
                opts.log_new_exec = true;
                continue;
            }
            "--handle-abi" => {
                let value = args.next().ok_or("--handle-abi needs a value")?;
                let value = value.to_string_lossy();
                let abi = value
                    .parse::<u32>()
                    .ok()
                    .filter(|&abi| abi >= 1)
                    .ok_or_else(|| {
                        format!("--handle-abi: '{value}' is not an ABI version (1, 2, ...)")
                    })?;
                opts.handle_abi = Some(abi);
                continue;
            }
            "--ro" => (Access::ReadOnly, false, "--ro"),
            "--rw" => (Access::ReadWrite, false, "--rw"),
            "--ro-opt" => (Access::ReadOnly, true, "--ro-opt"),
            "--rw-opt" => (Access::ReadWrite, true, "--rw-opt"),
            other if other.starts_with('-') => return Err(format!("unknown option '{other}'")),
            _ => {
                // The command starts here even without a `--`.
                opts.command.push(arg);
                break;
            }
        };
        let path = args.next().ok_or_else(|| format!("{flag} needs a PATH"))?;
        if path.is_empty() {
            return Err(format!("{flag}: empty PATH"));
        }
        opts.rules.push(Rule {
            access,
            path,
            optional,
            flag,
        });
    }
    opts.command.extend(args);
    if opts.command.is_empty() {
        return Err("no command given".to_owned());
    }
    Ok(opts)
}

/// Sets up the sandbox and execs the command; only returns on failure, with the exit
/// status and the message to print.
fn run(opts: &Options) -> (i32, String) {
    match sandbox(opts) {
        Ok(()) => exec(&opts.command),
        Err(msg) => (125, msg),
    }
}

fn sandbox(opts: &Options) -> Result<(), String> {
    let kernel_abi = landlock_abi().map_err(|e| format!("landlock ABI query: {}", strerror(e)))?;
    let abi = opts
        .handle_abi
        .map_or(kernel_abi, |cap| cap.min(kernel_abi));
    let handled = handled_access(abi);

    let attr = RulesetAttr {
        handled_access_fs: handled,
    };
    // SAFETY: `attr` is a live, initialized landlock_ruleset_attr prefix and the size
    // passed is exactly its size; the kernel only reads it.
    let ruleset = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            &raw const attr,
            std::mem::size_of::<RulesetAttr>(),
            0_u32,
        )
    };
    let ruleset =
        fd_result(ruleset).map_err(|e| format!("landlock_create_ruleset: {}", strerror(e)))?;

    for rule in &opts.rules {
        add_rule(ruleset, rule, handled)?;
    }

    // SAFETY: prctl(PR_SET_NO_NEW_PRIVS) takes plain integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1_u64, 0_u64, 0_u64, 0_u64) } != 0 {
        return Err(format!("prctl(PR_SET_NO_NEW_PRIVS): {}", strerror(errno())));
    }
    let flags = if opts.log_new_exec && kernel_abi >= 7 {
        LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON
    } else {
        0
    };
    // SAFETY: landlock_restrict_self takes an fd we own and integer flags.
    if unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset, flags) } != 0 {
        return Err(format!("landlock_restrict_self: {}", strerror(errno())));
    }
    // SAFETY: `ruleset` is an fd this process opened and no longer uses.
    unsafe { libc::close(ruleset) };
    Ok(())
}

fn landlock_abi() -> Result<u32, i32> {
    // SAFETY: with a NULL attr and size 0 the VERSION query reads no memory.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<RulesetAttr>(),
            0_usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if abi < 0 {
        return Err(errno());
    }
    u32::try_from(abi).map_err(|_| libc::EOVERFLOW)
}

/// Every filesystem right that Landlock ABI `abi` knows.
fn handled_access(abi: u32) -> u64 {
    let mut handled = ACCESS_FS_ABI1;
    if abi >= 2 {
        handled |= ACCESS_FS_REFER;
    }
    if abi >= 3 {
        handled |= ACCESS_FS_TRUNCATE;
    }
    if abi >= 5 {
        handled |= ACCESS_FS_IOCTL_DEV;
    }
    handled
}

fn add_rule(ruleset: libc::c_int, rule: &Rule, handled: u64) -> Result<(), String> {
    let shown = rule.path.to_string_lossy();
    let path = CString::new(rule.path.as_bytes())
        .map_err(|_| format!("{} {shown}: path contains a NUL byte", rule.flag))?;
    // SAFETY: `path` is a valid NUL-terminated string for the duration of the call.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    let fd = match fd_result(fd.into()) {
        Ok(fd) => fd,
        Err(libc::ENOENT) if rule.optional => return Ok(()),
        Err(e) => return Err(format!("open {} {shown}: {}", rule.flag, strerror(e))),
    };

    // SAFETY: `stat` is plain old data (integers only), so all-zero bytes are a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is an open O_PATH fd (fstat accepts those) and `st` is writable.
    if unsafe { libc::fstat(fd, &raw mut st) } != 0 {
        let e = errno();
        // SAFETY: closing the fd we just opened.
        unsafe { libc::close(fd) };
        return Err(format!("fstat {} {shown}: {}", rule.flag, strerror(e)));
    }
    let is_dir = st.st_mode & libc::S_IFMT == libc::S_IFDIR;
    let wanted = match (rule.access, is_dir) {
        (Access::ReadOnly, true) => ACCESS_RO,
        (Access::ReadOnly, false) => ACCESS_RO & ACCESS_FILE,
        (Access::ReadWrite, true) => handled,
        (Access::ReadWrite, false) => ACCESS_FILE,
    };
    let attr = PathBeneathAttr {
        allowed_access: wanted & handled,
        parent_fd: fd,
    };
    // SAFETY: `attr` is a live path_beneath_attr the kernel only reads, `fd` is open.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_landlock_add_rule,
            ruleset,
            LANDLOCK_RULE_PATH_BENEATH,
            &raw const attr,
            0_u32,
        )
    };
    let e = errno();
    // SAFETY: the rule holds its own reference to the file; our fd is no longer needed.
    unsafe { libc::close(fd) };
    if ret != 0 {
        return Err(format!(
            "landlock_add_rule {} {shown}: {}",
            rule.flag,
            strerror(e)
        ));
    }
    Ok(())
}

/// execvp(CMD); returns the exit status and message for the failure.
fn exec(command: &[OsString]) -> (i32, String) {
    let shown = command[0].to_string_lossy().into_owned();
    // Arguments come from argv, so they cannot contain a NUL byte.
    let strings: Vec<CString> = command
        .iter()
        .map(|arg| CString::new(arg.clone().into_vec()).unwrap_or_default())
        .collect();
    let mut argv: Vec<*const libc::c_char> = strings.iter().map(|arg| arg.as_ptr()).collect();
    argv.push(std::ptr::null());
    // SAFETY: `argv` is a NULL-terminated array of pointers to NUL-terminated strings
    // that outlive the call; execvp only returns on failure.
    unsafe { libc::execvp(argv[0], argv.as_ptr()) };
    let e = errno();
    let status = if e == libc::ENOENT { 127 } else { 126 };
    (status, format!("exec {shown}: {}", strerror(e)))
}

fn fd_result(ret: libc::c_long) -> Result<libc::c_int, i32> {
    if ret < 0 {
        Err(errno())
    } else {
        libc::c_int::try_from(ret).map_err(|_| libc::EOVERFLOW)
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn strerror(errnum: i32) -> String {
    let mut buf = [0 as libc::c_char; 256];
    // SAFETY: `buf` is writable for its whole length, which is what we pass; the XSI
    // strerror_r always NUL-terminates what it writes.
    let ret = unsafe { libc::strerror_r(errnum, buf.as_mut_ptr(), buf.len()) };
    if ret != 0 {
        return format!("error {errnum}");
    }
    // SAFETY: strerror_r succeeded, so `buf` holds a NUL-terminated string.
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}
