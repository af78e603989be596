//! The `nanokmc` binary: a thin wrapper over [`cli`]. Exit codes: 0 success, 1 run-time
//! failure, 2 bad input.

#![warn(missing_docs)]
#![warn(clippy::pedantic)]

/// `println!` for the commands' reports: a closed standard output (a reader such as `head`
/// that stopped reading) is ignored, so the command finishes its work and exits normally
/// instead of panicking; any other write error is reported once on standard error.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*)
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            eprintln!("warning: cannot write to standard output: {e}");
        }
    }};
}

/// `print!` with the same treatment of a closed standard output as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout().lock(), $($arg)*)
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            eprintln!("warning: cannot write to standard output: {e}");
        }
    }};
}

mod cli;
mod commands;
mod mpi_command;
mod picture_commands;
mod signals;
mod sweep_command;
mod validate_command;

fn main() -> std::process::ExitCode {
    cli::main()
}
