//! Sweeps over MPI ranks: `mpirun -n N nanokmc sweep FILE` (cargo feature `mpi`,
//! `docs/cluster.md`).
//!
//! Every rank reads the sweep and makes the same plan. Rank 0 prepares the folder and the
//! manifest, classifies the runs from their files (skip, continue, start: as on one
//! machine, [`super::execute`]) and hands out the runs to do, one at a time and in sweep
//! order, to whichever rank asks next (dynamic distribution: unequal runs balance); it runs
//! runs of its own on its threads meanwhile. Every rank writes the files of the runs it ran
//! into the shared sweep folder; rank 0 alone writes the manifest (`running` when it hands
//! a run out, the end when the result comes back), so the folder needs a file system that
//! all ranks see, but no file locking across nodes. A run's files depend only on its
//! scenario, seed and replica, so they are the same, bit for bit, whatever the ranks and
//! threads (`tests/sweep_mpi.rs`).
//!
//! This file holds what every build needs: whether the process was started by an MPI
//! launcher. A build without the feature refuses to run a sweep as one of several MPI
//! processes (each would run the whole sweep into the same folder). The distribution
//! itself is in `ranks.rs`, compiled with the feature only.

#[cfg(feature = "mpi")]
mod ranks;
#[cfg(feature = "mpi")]
pub use ranks::{Ranks, execute};

/// Variables through which MPI launchers give a process the number of processes of the job:
/// Open MPI's `mpirun`, and the PMI of MPICH's and Intel MPI's launchers and of Slurm's
/// `srun --mpi=pmi2`. Under `srun --mpi=pmix` (which sets `PMIX_RANK` but no size), the
/// size is Slurm's `SLURM_NTASKS`.
pub const SIZE_VARIABLES: [&str; 2] = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"];

/// Variables that give the process's rank, in the order of [`SIZE_VARIABLES`], then `PMIX_RANK`.
pub const RANK_VARIABLES: [&str; 3] = ["OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"];

fn variable(name: &str) -> Option<usize> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// The number of processes an MPI launcher started this one with (`None`: not started by a
/// launcher that says so).
#[must_use]
pub fn launch_size() -> Option<usize> {
    SIZE_VARIABLES.iter().find_map(|v| variable(v)).or_else(|| {
        std::env::var_os("PMIX_RANK")
            .is_some()
            .then(|| variable("SLURM_NTASKS"))
            .flatten()
    })
}

/// This process's rank as the launcher gives it (0 when none does).
#[must_use]
pub fn launch_rank() -> usize {
    RANK_VARIABLES.iter().find_map(|v| variable(v)).unwrap_or(0)
}
