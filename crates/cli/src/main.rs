//! The `fstack` binary; everything lives in the library so tests can reach it.

fn main() -> std::process::ExitCode {
    ferrostack_cli::main()
}
