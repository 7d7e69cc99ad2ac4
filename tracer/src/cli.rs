//! Command-line interface: arguments (clap derive; the doc comments are the help) and dispatch.
//!
//! Exit codes (also in `denytrace --help` and docs/cli.md):
//! - `run`: the command's own exit code, or 128 + the signal that killed it;
//! - 0: `watch` ended normally, `doctor` found tracing possible;
//! - 1: `doctor` found that tracing cannot work here;
//! - 2: bad command line;
//! - 125: denytrace itself failed (missing privilege, no BTF, unknown pid or cgroup...);
//! - 126: the command could not be executed; 127: the command was not found.

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, Parser, Subcommand};

use crate::commands;

/// denytrace failed (the message says why).
pub const EXIT_FAILURE: u8 = 125;
/// The command exists but could not be executed.
pub const EXIT_CANNOT_EXECUTE: u8 = 126;
/// The command was not found.
pub const EXIT_NOT_FOUND: u8 = 127;

/// Explains why a sandboxed program was refused.
///
/// For every syscall refused with EACCES, EPERM, EROFS, EMFILE/ENFILE (and EAGAIN from fork),
/// denytrace says which mechanism refused it (Landlock, seccomp, a capability, an rlimit, cgroup
/// pids or devices, DAC owner/mode, a read-only mount, another LSM), how sure it is and on what
/// evidence; and who killed any process that died. It needs root (`CAP_BPF` and `CAP_PERFMON`).
///
/// Exit codes: `run` exits with the command's code (128+N if signal N killed it); 125 when
/// denytrace itself fails, 126 when the command cannot be executed, 127 when it is not found;
/// 2 for a bad command line. `watch` exits 0; `doctor` 0 when tracing can work, 1 when not.
#[derive(Debug, Parser)]
#[command(name = "denytrace", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// More log output on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command under tracing and explain its refused syscalls when it ends.
    ///
    /// The command and all its descendants are traced from their first syscall. When it ends,
    /// a summary of the distinct denials (grouped and counted) goes to stderr; `--report` writes
    /// the JSON report. denytrace exits with the command's exit code.
    ///
    /// Example: denytrace run --report r.json -- tmux new -d
    Run(RunArgs),
    /// Trace running processes live: one line per new distinct denial.
    ///
    /// Ends on Ctrl-C or SIGTERM, when the watched pid exits, or when the watched cgroup is
    /// removed, and then prints the summary.
    ///
    /// Example: denytrace watch --cgroup /sys/fs/cgroup/unified/sandbox
    Watch(WatchArgs),
    /// Check what this kernel offers and what that means for accuracy.
    Doctor(DoctorArgs),
    /// Re-render a saved JSON report (human, Markdown or JSON).
    Report(ReportArgs),
    /// Show the denials that appeared or disappeared between two saved reports.
    ///
    /// Exit codes, like diff(1): 0 nothing changed, 1 something did, 125 a report is unreadable.
    Diff(DiffArgs),
    /// Print the minimal policy change that would allow each denial of a saved report.
    Suggest(SuggestArgs),
}

/// Output options shared by `run` and `watch`.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Write each event (first occurrence of each distinct denial, signals, exits) as a JSON
    /// line to FILE, or to stdout with `-`.
    #[arg(long, value_name = "FILE|-")]
    pub events: Option<String>,
    /// Write the JSON report (schema denytrace.report/v1) to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Print the final report as JSON on stdout instead of the human summary on stderr.
    #[arg(long)]
    pub json: bool,
    /// Errnos to report (names or numbers, comma-separated), replacing the default
    /// EACCES,EPERM,EMFILE,ENFILE,EROFS (EAGAIN is always reported from fork-like calls).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub errnos: Vec<String>,
}

/// `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run the command as this user (uid or name, optionally :gid); supplementary groups are
    /// cleared (unless --user-groups) and no descriptor beyond stdin, stdout and stderr is passed
    /// on.
    #[arg(long, value_name = "UID[:GID]")]
    pub user: Option<String>,
    /// With --user: give the command the user's supplementary groups instead of none, as
    /// initgroups(3) would at login: the user's primary group and every group the group database
    /// (/etc/group) lists them in. The user must be known to the system (a name, or a uid with a
    /// passwd entry).
    #[arg(long, requires = "user")]
    pub user_groups: bool,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Write report.json, events.jsonl, summary.md and one patch per `--suggest` format into DIR
    /// (for CI artifacts). With `GITHUB_STEP_SUMMARY` set, summary.md is appended there too.
    #[arg(long, value_name = "DIR")]
    pub artifacts: Option<PathBuf>,
    /// With --artifacts: keep nothing when the command succeeds.
    #[arg(long, requires = "artifacts")]
    pub on_failure: bool,
    /// Suggest policy changes in these formats (openshell, oci-seccomp, docker, kubernetes,
    /// systemd, bwrap, landlock), comma-separated.
    #[arg(long, value_name = "FORMATS", value_delimiter = ',')]
    pub suggest: Vec<String>,
    /// The sandbox's own policy file: suggestions become a unified diff against it.
    #[arg(long, value_name = "FILE", requires = "suggest")]
    pub policy: Option<PathBuf>,
    /// The command and its arguments.
    #[arg(required = true, last = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

/// `watch`.
#[derive(Debug, Args)]
#[group(id = "scope", required = true, multiple = false, args = ["pid", "cgroup", "all"])]
pub struct WatchArgs {
    /// Trace this process and its descendants (ends when it exits).
    #[arg(long, value_name = "PID")]
    pub pid: Option<u32>,
    /// Trace the processes of this cgroup v2 directory and its descendants.
    #[arg(long, value_name = "PATH")]
    pub cgroup: Option<PathBuf>,
    /// Trace every process on the machine.
    #[arg(long)]
    pub all: bool,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A report written by `run --report` or `watch --report`.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: ReportFormat,
}

/// Formats of `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// The terminal summary.
    Human,
    /// The Markdown summary (as in summary.md).
    Markdown,
    /// The JSON report, normalised.
    Json,
}

/// `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier report.
    pub before: PathBuf,
    /// The later report.
    pub after: PathBuf,
    /// Print the differences as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `suggest`.
#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// A report written by `run --report` or `watch --report`.
    #[arg(long, value_name = "FILE")]
    pub report: PathBuf,
    /// Target formats (openshell, oci-seccomp, docker, kubernetes, systemd, bwrap, landlock),
    /// comma-separated.
    #[arg(long, value_name = "FORMATS", value_delimiter = ',', required = true)]
    pub format: Vec<String>,
    /// The sandbox's own policy file: print a unified diff against it.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

/// `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Parses the command line and runs it; returns the process exit code.
#[must_use]
pub fn main() -> ExitCode {
    // Before anything reads the command line or the environment, which the invoking user chose.
    if is_setuid() {
        eprintln!(
            "denytrace: refusing to run setuid, setgid or with file capabilities: it would let any \
             user trace every process; run it as root instead"
        );
        return ExitCode::from(EXIT_FAILURE);
    }
    let cli = Cli::parse();
    let filter = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| filter.into()))
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("denytrace: cannot start: {err:#}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    if !matches!(cli.command, Command::Run(_) | Command::Watch(_)) {
        crate::out::default_sigpipe();
    }
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => commands::run::run(args).await,
            Command::Watch(args) => commands::watch::watch(args).await,
            Command::Doctor(args) => commands::doctor::doctor(&args),
            Command::Report(args) => commands::report::report(&args),
            Command::Diff(args) => commands::diff::diff(&args),
            Command::Suggest(args) => commands::suggest::suggest(&args),
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let code = err.downcast_ref::<commands::Failure>().map_or(EXIT_FAILURE, |f| f.code);
            eprintln!("denytrace: {err:#}");
            ExitCode::from(code)
        }
    }
}

/// Whether this process gained privileges at exec: a set-user-ID or set-group-ID binary, or file
/// capabilities (the kernel then sets `AT_SECURE`).
fn is_setuid() -> bool {
    // SAFETY: these getters have no preconditions.
    unsafe {
        libc::getuid() != libc::geteuid()
            || libc::getgid() != libc::getegid()
            || libc::getauxval(libc::AT_SECURE) != 0
    }
}
