//! Sweeps and ensembles: many runs of one scenario over values of its inputs, run on a
//! rayon pool or a Slurm job array, merged into one answer per point (`docs/cluster.md`).
//!
//! A sweep file ([`file`]), or a `[sweep]` block inside a scenario file
//! ([`file::embedded`]), names a scenario, the replicas per point and one or more axes:
//! key paths into the scenario or its potential ([`axis::Target`]) and their values (a
//! list, or a range by count or step). [`plan::plan`] expands it into points (grid or zip)
//! and runs with deterministic seeds, applying the values through the validation's
//! override machinery ([`crate::validate::overrides`]) and compiling every point's
//! scenario before anything is written. [`execute::execute`] runs the runs (each one
//! replica through [`crate::run`]) on a thread pool, skipping complete ones and continuing
//! interrupted ones from their checkpoints; [`manifest`] records the sweep and every run's
//! state in `<out>/manifest.toml`. [`merge::merge`] reads the complete runs and writes per
//! point the mean, standard error and per-replica values of every observable, a CSV and a
//! plot per observable against the swept value. [`slurm`] writes job-array scripts whose
//! tasks resubmit themselves at their walltime. [`mpi`] (feature `mpi`) hands the runs out to
//! MPI ranks from rank 0 (`mpirun -n N nanokmc sweep FILE`).
//!
//! # Output folder
//! ```text
//! <out>/manifest.toml          the sweep, its points and runs with their states
//! <out>/p000/run.r0.h5md       one trajectory per run (run.h5md with one replica)
//! <out>/merged/p000.h5         nanokmc merge: observables per point
//! <out>/merged/summary.csv     final means and standard errors of every point
//! <out>/merged/plots/*.png     one plot per observable against the first axis
//! <out>/slurm/                 --slurm: sweep.sbatch, merge.sbatch, submit.sh, logs/
//! ```
//!
//! Extending: a new way of giving an axis's values is a key of `file::AxisFile` and a
//! function beside [`axis::expand_range`]; a new statistic of the merge a dataset in
//! `merge::write_point_file`.

pub mod axis;
pub mod execute;
pub mod file;
pub mod manifest;
pub mod merge;
pub mod mpi;
pub mod plan;
pub mod slurm;

pub use execute::{RunOutcome, SweepOptions, SweepReport, execute};
pub use file::{SweepSpec, embedded, read};
pub use merge::{MergeOptions, MergeSummary, merge};
pub use plan::{SweepPlan, plan};
