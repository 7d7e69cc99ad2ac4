//! The `denytrace` command: see `denytrace --help` and docs/cli.md.

fn main() -> std::process::ExitCode {
    denytrace::cli::main()
}
