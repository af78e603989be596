//! The `nanokmc` binary: a thin wrapper over [`cli`]. Exit codes: 0 success, 1 run-time
//! failure, 2 bad input.

#![warn(missing_docs)]
#![warn(clippy::pedantic)]

mod cli;
mod commands;
mod mpi_command;
mod picture_commands;
mod sweep_command;
mod validate_command;

fn main() -> std::process::ExitCode {
    cli::main()
}
