//! `nanokmc sweep` and `nanokmc merge`: many runs of a scenario over values of its inputs
//! ([`nanokmc::sweep`], workflow in `docs/cluster.md`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, anyhow};
use clap::Args;

use crate::cli::BadInput;
use crate::commands::{EXIT_INTERRUPTED, wall_duration};
use crate::signals::signal_stop_flag;
use nanokmc::run;
use nanokmc::sweep::{self, MergeOptions, SweepOptions, manifest::Status, slurm};
use nanokmc::units::Dimension;

/// Options of `nanokmc sweep`.
#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // independent command-line flags
pub struct SweepArgs {
    /// The sweep file (`[sweep]` with its scenario, replicas and `[[sweep.axis]]` tables),
    /// or a scenario file with its own `[sweep]` block.
    pub file: PathBuf,
    /// The sweep's folder [default: the file's `out`, else `<name>.sweep`].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads; runs go in parallel, one per thread [default: one per core].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// The job's walltime (HH:MM:SS, MM:SS or "2 h"): running runs write checkpoints and
    /// stop 5 % (at most 5 min) before it, no run starts after that, exit code 3. With
    /// `--slurm`, the walltime of each array task [default there: 24:00:00].
    #[arg(long, value_name = "HH:MM:SS")]
    pub walltime: Option<String>,
    /// Write a checkpoint of every running run this often (HH:MM:SS or "30 min"), so that a
    /// run killed with SIGKILL loses at most that much.
    #[arg(long, value_name = "DURATION")]
    pub checkpoint_every: Option<String>,
    /// Remove the files of the (selected) runs and run them again, also when the folder
    /// holds runs of a different sweep.
    #[arg(long)]
    pub overwrite: bool,
    /// Run only block K of the runs (runs K·B … K·B + B − 1 with B = --runs-per-task): one
    /// Slurm array task.
    #[arg(long, value_name = "K")]
    pub task: Option<usize>,
    /// Runs per block (--task) and per Slurm array task.
    #[arg(long, value_name = "B", default_value_t = 1)]
    pub runs_per_task: usize,
    /// Print the points and runs and their states, and run nothing.
    #[arg(long)]
    pub list: bool,
    /// Write Slurm job scripts into `<out>/slurm/` (array, merge, submit) and run nothing.
    #[arg(long)]
    pub slurm: bool,
    /// CPUs per Slurm array task [default: --runs-per-task].
    #[arg(long, value_name = "N", requires = "slurm")]
    pub cpus_per_task: Option<usize>,
    /// Memory per Slurm array task, as Slurm writes it (e.g. 4G).
    #[arg(long, value_name = "SIZE", requires = "slurm")]
    pub mem: Option<String>,
    /// Slurm partition.
    #[arg(long, value_name = "NAME", requires = "slurm")]
    pub partition: Option<String>,
    /// Slurm account.
    #[arg(long, value_name = "NAME", requires = "slurm")]
    pub account: Option<String>,
    /// A further `#SBATCH` option for both jobs, e.g. `--sbatch=--qos=long` (repeatable).
    #[arg(long, value_name = "OPTION", requires = "slurm")]
    pub sbatch: Vec<String>,
    /// Walltime of the Slurm merge job.
    #[arg(
        long,
        value_name = "HH:MM:SS",
        default_value = "01:00:00",
        requires = "slurm"
    )]
    pub merge_walltime: String,
    /// Refuse a run expected to write more than this, e.g. "100 GB" (the default).
    #[arg(long, value_name = "SIZE")]
    pub max_output: Option<String>,
    /// Refuse a run expected to need more memory than this, e.g. "8 GB" [default: the
    /// memory available].
    #[arg(long, value_name = "SIZE")]
    pub max_memory: Option<String>,
    /// No line per finished run.
    #[arg(long)]
    pub quiet: bool,
    /// When every run of the sweep is complete, merge them at the end (as `nanokmc merge
    /// DIR` would; under MPI, rank 0 does it once all ranks are done).
    #[arg(long, conflicts_with_all = ["task", "list", "slurm"])]
    pub merge: bool,
}

/// Options of `nanokmc merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The sweep's folder (holding `manifest.toml`).
    pub dir: PathBuf,
    /// Merge the complete runs even when some are not complete.
    #[arg(long)]
    pub partial: bool,
    /// Take each replica's value at this simulated time (e.g. "10 ms") instead of at its end.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Write no plots.
    #[arg(long)]
    pub no_plots: bool,
}

fn bad(message: String) -> anyhow::Error {
    anyhow!(BadInput(message))
}

/// `H:MM:SS` of a duration, rounded down to whole seconds (at least 1 s).
fn slurm_time(d: Duration) -> String {
    let s = d.as_secs().max(1);
    format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// `nanokmc sweep`: 0 when every selected run is complete, 3 when some stopped with
/// checkpoints (or did not start) at the walltime or a signal, 2 when a run failed on bad
/// input, 1 when one failed otherwise. Started by an MPI launcher with several processes,
/// the runs are distributed over the ranks (feature `mpi`; [`crate::mpi_command`]).
///
/// # Errors
/// A bad sweep file or scenario (exit code 2, nothing written), a folder of another sweep,
/// I/O errors of the folder.
pub fn run_sweep(args: &SweepArgs) -> Result<u8> {
    if let Some(n) = sweep::mpi::launch_size().filter(|&n| n > 1) {
        return crate::mpi_command::run_sweep_ranks(args, n);
    }
    run_sweep_here(args)
}

/// The durations of the command line: `--walltime`, `--checkpoint-every`.
pub(crate) fn durations(args: &SweepArgs) -> Result<(Option<Duration>, Option<Duration>)> {
    if args.runs_per_task == 0 {
        return Err(bad("option --runs-per-task: must be at least 1".into()));
    }
    let walltime = args
        .walltime
        .as_deref()
        .map(|w| wall_duration(w, "--walltime"))
        .transpose()?;
    let checkpoint_every = args
        .checkpoint_every
        .as_deref()
        .map(|w| wall_duration(w, "--checkpoint-every"))
        .transpose()?;
    Ok((walltime, checkpoint_every))
}

/// Reads and plans the sweep of the command line (nothing written).
pub(crate) fn plan_of(args: &SweepArgs) -> Result<sweep::SweepPlan> {
    let spec = sweep::read(&args.file)?;
    Ok(sweep::plan(spec, args.out.as_deref())?)
}

/// `nanokmc sweep` in one process.
// the modes in order: list, Slurm scripts, run
fn run_sweep_here(args: &SweepArgs) -> Result<u8> {
    let (walltime, checkpoint_every) = durations(args)?;
    let plan = plan_of(args)?;
    if args.list {
        print_list(&plan);
        return Ok(0);
    }
    if args.slurm {
        return write_slurm(args, &plan, walltime);
    }
    let options = sweep_options(args, &plan, walltime, checkpoint_every)?;
    let report = sweep::execute(&plan, &options)?;
    finish(args, &plan, &report)
}

/// `--slurm`: the job scripts.
pub(crate) fn write_slurm(
    args: &SweepArgs,
    plan: &sweep::SweepPlan,
    walltime: Option<Duration>,
) -> Result<u8> {
    let merge_seconds = slurm::slurm_seconds(&args.merge_walltime)
        .map_err(|m| bad(format!("option --merge-walltime: {m}")))?;
    let binary =
        std::env::current_exe().map_err(|e| anyhow!("cannot find the nanokmc binary: {e}"))?;
    let options = slurm::SlurmOptions {
        walltime: slurm_time(walltime.unwrap_or(Duration::from_secs(86_400))),
        walltime_seconds: walltime.map_or(86_400, |w| w.as_secs().max(1)),
        runs_per_task: args.runs_per_task,
        cpus_per_task: args.cpus_per_task.unwrap_or(args.runs_per_task),
        memory: args.mem.clone(),
        partition: args.partition.clone(),
        account: args.account.clone(),
        extra: args.sbatch.clone(),
        checkpoint_every: args.checkpoint_every.clone(),
        merge_walltime: slurm_time(Duration::from_secs(merge_seconds)),
        binary,
    };
    sweep::manifest::prepare(plan, args.overwrite)?;
    let files = slurm::write_scripts(plan, &options)?;
    outln!(
        "sweep {}: {} points × {} replicas = {} runs in {} array task(s) of {} run(s), walltime {}",
        plan.spec.name,
        plan.points.len(),
        plan.replicas,
        plan.runs.len(),
        files.tasks,
        args.runs_per_task,
        options.walltime
    );
    outln!("wrote {}", files.array.display());
    outln!("wrote {}", files.merge.display());
    outln!("wrote {}", files.submit.display());
    outln!("submit with: bash {}", files.submit.display());
    Ok(0)
}

/// The options of the runs from the command line.
pub(crate) fn sweep_options(
    args: &SweepArgs,
    plan: &sweep::SweepPlan,
    walltime: Option<Duration>,
    checkpoint_every: Option<Duration>,
) -> Result<SweepOptions> {
    let runs = args.task.map(|k| {
        let start = k.saturating_mul(args.runs_per_task);
        start..(start.saturating_add(args.runs_per_task)).min(plan.runs.len().max(start + 1))
    });
    Ok(SweepOptions {
        threads: args.threads,
        walltime,
        checkpoint_every,
        overwrite: args.overwrite,
        runs,
        max_output: match &args.max_output {
            Some(text) => run::plan::parse_bytes(text, "--max-output")?,
            None => run::plan::DEFAULT_MAX_OUTPUT,
        },
        max_memory: args
            .max_memory
            .as_deref()
            .map(|text| run::plan::parse_bytes(text, "--max-memory"))
            .transpose()?,
        stop_flag: signal_stop_flag()?,
        verbose: !args.quiet,
    })
}

/// Prints the report and the manifest's path, merges with `--merge` when every run is
/// complete, and gives the exit code.
pub(crate) fn finish(
    args: &SweepArgs,
    plan: &sweep::SweepPlan,
    report: &sweep::SweepReport,
) -> Result<u8> {
    out!("{report}");
    outln!(
        "manifest: {}",
        plan.out.join(sweep::manifest::MANIFEST).display()
    );
    let failed: Vec<&sweep::RunOutcome> = report
        .outcomes
        .iter()
        .filter(|o| o.status == Status::Failed)
        .collect();
    let unfinished = report.count(Status::Interrupted) + report.count(Status::Pending);
    if unfinished > 0 {
        eprintln!(
            "{unfinished} run(s) stopped with checkpoints or not started: run the same command again to continue (exit code {EXIT_INTERRUPTED})"
        );
        return Ok(EXIT_INTERRUPTED);
    }
    if !failed.is_empty() {
        for o in &failed {
            if let Some((m, _)) = &o.error {
                eprintln!("error: run {}: {m}", plan.runs[o.run].id);
            }
        }
        let input = failed.iter().all(|o| o.error.as_ref().is_some_and(|e| e.1));
        return Ok(if input { 2 } else { 1 });
    }
    if report.all_complete() && args.task.is_none() {
        if args.merge {
            let merged = run_merge(&MergeArgs {
                dir: plan.out.clone(),
                partial: false,
                at: None,
                no_plots: false,
            })?;
            return Ok(merged);
        }
        outln!(
            "all runs complete: merge them with `nanokmc merge {}`",
            plan.out.display()
        );
    }
    Ok(0)
}

/// What `nanokmc run` says about a scenario's own `[sweep]` block: it runs the values
/// written in the scenario, not the sweep.
#[must_use]
pub fn base_point_note(file: &std::path::Path, sweep: &sweep::SweepSpec) -> String {
    let replicas = sweep
        .replicas
        .map_or_else(|| "the scenario's".to_string(), |r| r.to_string());
    format!(
        "note: {} has a [sweep] block ({} point(s) × {replicas} replica(s) over {}); `nanokmc run` \
         ignores it and runs the scenario with the values written in it (the sweep's base point); \
         run the sweep with `nanokmc sweep {}`",
        file.display(),
        sweep.point_count(),
        sweep
            .axes
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        file.display()
    )
}

/// What `nanokmc check` prints about a scenario's own `[sweep]` block, after checking every
/// point's scenario ([`sweep::plan`]; nothing is written).
///
/// # Errors
/// A point whose values make the scenario invalid, at the block's file, line and key.
pub fn embedded_summary(spec: sweep::SweepSpec) -> Result<String> {
    let file = spec.source.path().to_path_buf();
    let plan = sweep::plan(spec, None)?;
    let mut out = format!(
        "sweep ([sweep] block): {} point(s) × {} replica(s) = {} run(s), every point checked; \
         `nanokmc sweep {}` runs it into {} (`--list` shows the points); `nanokmc run` runs the values written above\n",
        plan.points.len(),
        plan.replicas,
        plan.runs.len(),
        file.display(),
        plan.out.display()
    );
    for p in &plan.points {
        use std::fmt::Write as _;
        let _ = writeln!(
            out,
            "  {}  seed {}  {}",
            p.id,
            p.seed,
            plan.describe(p.index)
        );
    }
    Ok(out)
}

/// Prints the points and runs; a closed pipe (`| head`) ends the listing quietly.
pub(crate) fn print_list(plan: &sweep::SweepPlan) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let recorded = sweep::manifest::read(&plan.out).ok();
    let _ = writeln!(
        out,
        "sweep {}: scenario {}, {} point(s) × {} replica(s) = {} run(s), folder {}",
        plan.spec.name,
        plan.spec.scenario.display(),
        plan.points.len(),
        plan.replicas,
        plan.runs.len(),
        plan.out.display()
    );
    for p in &plan.points {
        let _ = writeln!(out, "{}  seed {}  {}", p.id, p.seed, plan.describe(p.index));
    }
    for (i, run) in plan.runs.iter().enumerate() {
        let status = recorded
            .as_ref()
            .and_then(|m| m.run(&run.id))
            .map_or_else(|| "pending".to_string(), |e| e.status.to_string());
        let _ = writeln!(
            out,
            "  run {i}: {}  {}  {status}",
            run.id,
            run.trajectory.display()
        );
    }
}

/// `nanokmc merge`.
///
/// # Errors
/// A folder without a manifest or with runs not complete (without `--partial`), exit code
/// 2; errors of reading trajectories and writing the outputs.
pub fn run_merge(args: &MergeArgs) -> Result<u8> {
    let at = args
        .at
        .as_deref()
        .map(|t| {
            nanokmc::units::parse_quantity(t, Dimension::Time)
                .map_err(|e| bad(format!("option --at: {e}")))
        })
        .transpose()?;
    let summary = sweep::merge(
        &args.dir,
        &MergeOptions {
            partial: args.partial,
            at,
            no_plots: args.no_plots,
        },
    )?;
    for (id, why) in &summary.left_out {
        eprintln!("warning: run {id} left out: {why}");
    }
    outln!(
        "merged {} point(s) into {}",
        summary.files.len(),
        args.dir.join("merged").display()
    );
    outln!("summary: {}", summary.csv.display());
    if !summary.plots.is_empty() {
        outln!(
            "plots: {} in {}",
            summary.plots.len(),
            args.dir.join("merged/plots").display()
        );
    }
    Ok(0)
}
