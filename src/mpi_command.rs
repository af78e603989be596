//! `mpirun -n N nanokmc sweep FILE`: a sweep's runs distributed over MPI ranks
//! ([`nanokmc::sweep::mpi`], cargo feature `mpi`; `docs/cluster.md`). A build without the
//! feature refuses to run as one of several MPI processes.

use anyhow::Result;

use crate::sweep_command::SweepArgs;

/// Without the `mpi` feature: several processes would each run the whole sweep into the
/// same folder, so every one of them stops with exit code 2 (rank 0 says why).
///
/// # Errors
/// Always, on rank 0.
#[cfg(not(feature = "mpi"))]
pub fn run_sweep_ranks(_args: &SweepArgs, size: usize) -> Result<u8> {
    if nanokmc::sweep::mpi::launch_rank() != 0 {
        return Ok(2);
    }
    Err(anyhow::anyhow!(crate::cli::BadInput(format!(
        "started as one of {size} MPI processes, but this nanokmc was built without the `mpi` \
         feature: each process would run the whole sweep. Build it with `cargo build --release \
         --features mpi` (`scripts/install-deps.sh --mpi` installs Open MPI and libclang), or \
         run `nanokmc sweep` without mpirun (it runs one run per core of the machine)"
    ))))
}

/// With the `mpi` feature: every rank plans the sweep; rank 0 hands the runs out, records
/// them, prints the report (and merges with `--merge`); every rank ends with rank 0's exit
/// code. `--list` and `--slurm` are done by rank 0 alone.
///
/// # Errors
/// MPI cannot be initialised. Every other error is printed by rank 0 (or by the rank that
/// had it) and turned into the shared exit code.
#[cfg(feature = "mpi")]
pub fn run_sweep_ranks(args: &SweepArgs, _size: usize) -> Result<u8> {
    use crate::cli::{error_message, exit_code};
    use crate::sweep_command::{durations, finish, plan_of, sweep_options, write_slurm};
    use nanokmc::sweep::mpi::{self, Ranks};

    let ranks = Ranks::initialize()?;
    let rank = ranks.rank();
    // every rank reads the same files: they fail (or not) together; a rank that alone
    // cannot read them says so.
    let prepared = durations(args).and_then(|(walltime, every)| {
        let plan = plan_of(args)?;
        let options = sweep_options(args, &plan, walltime, every)?;
        Ok((plan, options, walltime))
    });
    let (root_ok, failing) = ranks.agree(prepared.is_ok());
    let code = |e: &anyhow::Error| {
        if rank == 0 || root_ok {
            let who = if rank == 0 {
                String::new()
            } else {
                format!(" (rank {rank})")
            };
            eprintln!("error{who}: {}", error_message(e));
        }
        exit_code(e)
    };
    let result: u8 = match prepared {
        Err(e) => code(&e),
        Ok(_) if failing > 0 => 1,
        Ok((plan, options, walltime)) => {
            if args.list || args.slurm {
                if rank == 0 {
                    let r = if args.list {
                        crate::sweep_command::print_list(&plan);
                        Ok(0)
                    } else {
                        write_slurm(args, &plan, walltime)
                    };
                    r.unwrap_or_else(|e| code(&e))
                } else {
                    0
                }
            } else {
                match mpi::execute(&ranks, &plan, &options) {
                    Ok(Some(report)) => finish(args, &plan, &report).unwrap_or_else(|e| code(&e)),
                    Ok(None) => 0,
                    Err(e) => code(&e.into()),
                }
            }
        }
    };
    Ok(ranks.share(result))
}
