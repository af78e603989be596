//! Running the runs of a sweep on a rayon pool, through the run driver ([`crate::run`]).
//!
//! Before anything runs, every selected run is classified from its files, not from the
//! manifest (a process killed after finishing a run but before writing the manifest loses
//! nothing):
//! - a complete trajectory: skipped;
//! - a checkpoint beside the trajectory: continued with [`crate::run::resume`] (bit for
//!   bit the uninterrupted run);
//! - an incomplete trajectory without checkpoint (a process killed with SIGKILL before its
//!   first checkpoint): removed and run again from the start (same seed, same result);
//! - nothing: run with [`crate::run::run`] as replica r of the point's scenario.
//!
//! Each run is one replica on one thread; the pool takes runs in sweep order and a free
//! thread takes the next one, so unequal runs balance. A run's trajectory depends only on
//! its scenario, seed and replica, so the files are the same whatever the thread count.
//! The stop flag (SIGTERM/SIGINT, or the sweep's walltime) makes running runs write a
//! checkpoint and stop, and keeps runs not yet started from starting.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::manifest::{self, Manifest, RunEntry, Status};
use super::plan::SweepPlan;
use crate::error::{Error, Result};
use crate::run::{self, Ending, ProgressMode, RunOptions, RunSummary};

/// Options of a sweep run (the command line's).
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Worker threads (default: one per core, at most one per run to do).
    pub threads: Option<usize>,
    /// The job's walltime: running runs checkpoint and stop [`run::walltime_margin`] before
    /// it, and no run starts after that.
    pub walltime: Option<Duration>,
    /// Write a checkpoint of every running run this often (wall clock).
    pub checkpoint_every: Option<Duration>,
    /// Remove the files of the selected runs and run them again.
    pub overwrite: bool,
    /// Run only these runs (indices; an array task's block).
    pub runs: Option<Range<usize>>,
    /// Largest trajectory one run may write [bytes].
    pub max_output: f64,
    /// Most memory one run may need [bytes] (`None`: what the machine has available).
    pub max_memory: Option<f64>,
    /// Set from outside (signal handler) to stop with checkpoints.
    pub stop_flag: Arc<AtomicBool>,
    /// Print a line per finished run to standard error.
    pub verbose: bool,
}

impl Default for SweepOptions {
    fn default() -> Self {
        Self {
            threads: None,
            walltime: None,
            checkpoint_every: None,
            overwrite: false,
            runs: None,
            max_output: run::plan::DEFAULT_MAX_OUTPUT,
            max_memory: None,
            stop_flag: Arc::new(AtomicBool::new(false)),
            verbose: false,
        }
    }
}

/// What happened to one run in this process.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// The run's index in the sweep.
    pub run: usize,
    /// Its state now.
    pub status: Status,
    /// It was already complete and was skipped.
    pub skipped: bool,
    /// Wall-clock seconds it ran in this process (0 when skipped or not started).
    pub seconds: f64,
    /// Events executed in this process.
    pub events: u64,
    /// The error of a failed run, and whether it was bad input.
    pub error: Option<(String, bool)>,
}

/// What a sweep did in this process.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepReport {
    /// One per selected run, in sweep order.
    pub outcomes: Vec<RunOutcome>,
    /// Threads of the pool (per rank under MPI).
    pub threads: usize,
    /// Processes that ran runs: 1, or the MPI ranks (`crate::sweep::mpi`).
    pub ranks: usize,
    /// Wall-clock seconds of the whole sweep in this process.
    pub wall_seconds: f64,
}

impl SweepReport {
    /// Runs with `status`.
    #[must_use]
    pub fn count(&self, status: Status) -> usize {
        self.outcomes.iter().filter(|o| o.status == status).count()
    }

    /// True when every selected run is complete.
    #[must_use]
    pub fn all_complete(&self) -> bool {
        self.outcomes.iter().all(|o| o.status == Status::Complete)
    }
}

impl std::fmt::Display for SweepReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ran: Vec<&RunOutcome> = self.outcomes.iter().filter(|o| o.seconds > 0.0).collect();
        let busy: f64 = ran.iter().map(|o| o.seconds).sum();
        let events: u64 = ran.iter().map(|o| o.events).sum();
        writeln!(
            f,
            "sweep: {} runs: {} complete ({} skipped as already done), {} interrupted, {} failed, {} not started",
            self.outcomes.len(),
            self.count(Status::Complete),
            self.outcomes.iter().filter(|o| o.skipped).count(),
            self.count(Status::Interrupted),
            self.count(Status::Failed),
            self.count(Status::Pending),
        )?;
        if ran.is_empty() {
            return writeln!(f, "timing: {:.2} s wall; no run ran", self.wall_seconds);
        }
        #[allow(clippy::cast_precision_loss)]
        let (efficiency, per_run) = (
            busy / (self.wall_seconds.max(1e-9) * (self.threads * self.ranks) as f64),
            busy / ran.len() as f64,
        );
        let on = if self.ranks > 1 {
            format!("{} MPI ranks × {} thread(s)", self.ranks, self.threads)
        } else {
            format!("{} thread(s)", self.threads)
        };
        writeln!(
            f,
            "timing: {:.2} s wall on {on}; {} run(s) ran for {:.2} s in all ({:.2} s each on average, {events} events); {:.2} runs at a time on average ({:.0} % of the threads busy; on a shared machine this is not the speed-up)",
            self.wall_seconds,
            ran.len(),
            busy,
            per_run,
            busy / self.wall_seconds.max(1e-9),
            100.0 * efficiency
        )
    }
}

/// What to do with a run, decided from its files.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Action {
    Skip(Box<RunEntry>),
    Resume(PathBuf),
    Start,
}

/// Classifies run `i` from its files (see the module documentation); removes the files of
/// a run that must start again.
pub(super) fn classify(
    plan: &SweepPlan,
    i: usize,
    entry: &RunEntry,
    overwrite: bool,
) -> Result<Action> {
    let trajectory = plan.trajectory(i);
    let checkpoint = run::checkpoint_path(&trajectory);
    let remove = |p: &PathBuf| -> Result<()> {
        if p.exists() {
            std::fs::remove_file(p).map_err(|e| Error::io(p, e))?;
        }
        Ok(())
    };
    if overwrite {
        remove(&checkpoint)?;
        remove(&trajectory)?;
        return Ok(Action::Start);
    }
    if trajectory.exists() {
        if let Ok(info) = crate::output::info(&trajectory)
            && info.is_complete()
        {
            let mut done = entry.clone();
            done.status = Status::Complete;
            let get = |k: &str| info.summary.iter().find(|(n, _)| n == k).map(|(_, v)| v);
            done.ending = get("ending").cloned().or(done.ending);
            done.events = get("events").and_then(|v| v.parse().ok()).or(done.events);
            done.wall_seconds = get("wall_seconds")
                .and_then(|v| v.parse().ok())
                .or(done.wall_seconds);
            done.time = info.last.map(|(_, t)| t).or(done.time);
            done.program_version = Some(info.program_version.clone());
            done.message = None;
            return Ok(Action::Skip(Box::new(done)));
        }
        if checkpoint.exists() {
            return Ok(Action::Resume(checkpoint));
        }
        remove(&trajectory)?;
    } else {
        // a checkpoint without its trajectory cannot continue: start again.
        remove(&checkpoint)?;
    }
    Ok(Action::Start)
}

/// The selected runs of `plan` with what to do with each, its manifest entry as recorded;
/// the manifest prepared and the runs found complete recorded in it.
pub(super) type Actions = Vec<(usize, Action, RunEntry)>;

/// Checks the selection, prepares the folder and manifest, classifies every selected run
/// from its files and records the complete ones.
///
/// # Errors
/// As [`execute`].
pub(super) fn prepare_runs(plan: &SweepPlan, options: &SweepOptions) -> Result<Actions> {
    let n = plan.runs.len();
    let selected = selection(plan, options)?;
    debug_assert!(selected.end <= n);
    let manifest: Manifest = manifest::prepare(plan, options.overwrite)?;
    let mut actions = Vec::new();
    for i in selected {
        let entry = manifest.runs[i].clone();
        actions.push((i, classify(plan, i, &entry, options.overwrite)?, entry));
    }
    // runs found complete get their manifest entries now.
    let skipped: Vec<RunEntry> = actions
        .iter()
        .filter_map(|(_, a, _)| match a {
            Action::Skip(e) => Some((**e).clone()),
            _ => None,
        })
        .collect();
    if !skipped.is_empty() {
        manifest::update(&plan.out, &skipped)?;
    }
    Ok(actions)
}

/// The selected runs (`options.runs`, default all), checked against the sweep.
pub(super) fn selection(plan: &SweepPlan, options: &SweepOptions) -> Result<Range<usize>> {
    let n = plan.runs.len();
    let selected = options.runs.clone().unwrap_or(0..n);
    if selected.start >= n || selected.end > n || selected.is_empty() {
        return Err(Error::build(
            "--task",
            format!(
                "runs {}..{} are outside the sweep, which has {n} runs (0..{n})",
                selected.start, selected.end
            ),
        ));
    }
    Ok(selected)
}

/// The sweep's walltime: a thread that sets the stop flag [`run::walltime_margin`] before
/// it; [`Watchdog::finish`] ends it.
pub(super) struct Watchdog {
    finished: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    /// Starts the watchdog of `options.walltime` counted from `started` (none without one).
    pub(super) fn start(options: &SweepOptions, started: Instant) -> Self {
        let finished = Arc::new(AtomicBool::new(false));
        let thread = options.walltime.map(|w| {
            let deadline = started + w.saturating_sub(run::walltime_margin(w));
            let flag = Arc::clone(&options.stop_flag);
            let finished = Arc::clone(&finished);
            std::thread::spawn(move || {
                while !finished.load(Ordering::Relaxed) {
                    if Instant::now() >= deadline {
                        flag.store(true, Ordering::Relaxed);
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        });
        Self { finished, thread }
    }

    /// Ends the watchdog.
    pub(super) fn finish(mut self) {
        self.finished.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs the selected runs of `plan` that are not complete yet; writes and updates the
/// manifest. Run failures do not stop the others: they are reported in the outcomes.
///
/// # Errors
/// [`Error::Input`] for a run selection outside the sweep or a folder holding a different
/// sweep; I/O errors of the folder and the manifest.
pub fn execute(plan: &SweepPlan, options: &SweepOptions) -> Result<SweepReport> {
    let started = Instant::now();
    let selected = selection(plan, options)?;
    let actions = prepare_runs(plan, options)?;
    let todo = actions
        .iter()
        .filter(|(_, a, _)| !matches!(a, Action::Skip(_)))
        .count();
    let threads = options
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .clamp(1, todo.max(1));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::build("thread pool", e.to_string()))?;
    let watchdog = Watchdog::start(options, started);
    // a work queue: every thread of the pool takes the next run in sweep order until none
    // is left (dynamic: unequal runs balance). `broadcast` puts exactly one job on each
    // thread, so a thread waiting inside the run driver (which installs its own one-thread
    // pool) has nothing else of this pool to pick up: at most `threads` runs at a time.
    let next = AtomicUsize::new(0);
    let done_count = AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<(usize, Action, RunEntry)>>> = actions
        .into_iter()
        .map(|a| std::sync::Mutex::new(Some(a)))
        .collect();
    let results: Vec<std::sync::Mutex<Option<RunOutcome>>> =
        slots.iter().map(|_| std::sync::Mutex::new(None)).collect();
    pool.broadcast(|_| {
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = slots.get(k) else { break };
            let taken = slot.lock().ok().and_then(|mut s| s.take());
            let Some((i, action, entry)) = taken else {
                continue;
            };
            let outcome = run_and_record(plan, i, &action, entry, options);
            let d = done_count.fetch_add(1, Ordering::Relaxed) + 1;
            if options.verbose {
                report_line(plan, &outcome, d, selected.len());
            }
            if let Ok(mut r) = results[k].lock() {
                *r = Some(outcome);
            }
        }
    });
    let outcomes: Vec<RunOutcome> = results
        .into_iter()
        .filter_map(|m| m.into_inner().ok().flatten())
        .collect();
    watchdog.finish();
    Ok(SweepReport {
        outcomes,
        threads,
        ranks: 1,
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}

/// Prints the line of a finished run to standard error: `[k/of] p001/r0 (T = 650 K): …`.
pub(super) fn report_line(plan: &SweepPlan, o: &RunOutcome, k: usize, of: usize) {
    let r = &plan.runs[o.run];
    let what = match (&o.error, o.skipped) {
        (Some((m, _)), _) => format!("failed: {m}"),
        (None, true) => "already complete".to_string(),
        (None, false) => format!("{}, {} events, {:.1} s", o.status, o.events, o.seconds),
    };
    eprintln!("[{k}/{of}] {} ({}): {what}", r.id, plan.describe(r.point));
}

/// Runs (or skips, or continues) run `i` and records it in the manifest (`running`, then
/// its end).
pub(super) fn run_and_record(
    plan: &SweepPlan,
    i: usize,
    action: &Action,
    entry: RunEntry,
    options: &SweepOptions,
) -> RunOutcome {
    if let Some(outcome) = not_run(i, action, &entry, options) {
        return outcome;
    }
    let mut running = entry.clone();
    running.status = Status::Running;
    // the manifest is advisory: a failure to record "running" must not stop the run.
    let _ = manifest::update(&plan.out, std::slice::from_ref(&running));
    let (mut outcome, entry) = one_run(plan, i, action, entry, options);
    record_end(plan, &entry, &mut outcome);
    outcome
}

impl RunOutcome {
    fn new(run: usize, status: Status) -> Self {
        Self {
            run,
            status,
            skipped: false,
            seconds: 0.0,
            events: 0,
            error: None,
        }
    }
}

/// The outcome of a run that is not run: skipped as complete, or not started because the
/// stop flag is set (it stays as it was: pending, or interrupted with its checkpoint).
/// `None` when it is to run.
pub(super) fn not_run(
    i: usize,
    action: &Action,
    entry: &RunEntry,
    options: &SweepOptions,
) -> Option<RunOutcome> {
    let mut outcome = RunOutcome::new(i, entry.status);
    if let Action::Skip(e) = action {
        outcome.status = e.status;
        outcome.skipped = true;
        return Some(outcome);
    }
    if options.stop_flag.load(Ordering::Relaxed) {
        outcome.status = match action {
            Action::Resume(_) => Status::Interrupted,
            _ => Status::Pending,
        };
        return Some(outcome);
    }
    None
}

/// Records the end of a run in the manifest; a failure to do so becomes the run's error.
pub(super) fn record_end(plan: &SweepPlan, entry: &RunEntry, outcome: &mut RunOutcome) {
    if let Err(e) = manifest::update(&plan.out, std::slice::from_ref(entry)) {
        outcome.error.get_or_insert((
            format!("the run ended but the manifest could not be updated: {e}"),
            false,
        ));
    }
}

/// Starts or continues run `i` (to be run: not skipped) and returns its outcome and its
/// manifest entry at its end; writes no manifest (under MPI, rank 0 records what the other
/// ranks ran).
pub(super) fn one_run(
    plan: &SweepPlan,
    i: usize,
    action: &Action,
    mut entry: RunEntry,
    options: &SweepOptions,
) -> (RunOutcome, RunEntry) {
    let mut outcome = RunOutcome::new(i, entry.status);
    let started = Instant::now();
    let result = run_files(plan, i, action, options);
    outcome.seconds = started.elapsed().as_secs_f64().max(1e-9);
    match result {
        Ok(summary) => {
            let r = summary.replicas.first();
            let ending = r.map(|r| &r.ending);
            entry.status = match ending {
                Some(Ending::Interrupted { .. }) => Status::Interrupted,
                _ => Status::Complete,
            };
            entry.ending = ending.map(ToString::to_string);
            entry.events = r.map(|r| r.events);
            entry.time = r.map(|r| r.time);
            entry.wall_seconds = r.map(|r| r.wall_seconds);
            entry.message = None;
            outcome.events = r.map_or(0, |r| {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let n = (r.events_per_second * r.segment_seconds).round() as u64;
                n
            });
        }
        Err(e) => {
            entry.status = Status::Failed;
            entry.message = Some(e.to_string());
            outcome.error = Some((e.to_string(), e.is_input_error()));
        }
    }
    entry.program_version = Some(run::program_version());
    outcome.status = entry.status;
    (outcome, entry)
}

/// Starts or continues the files of run `i`.
fn run_files(
    plan: &SweepPlan,
    i: usize,
    action: &Action,
    options: &SweepOptions,
) -> Result<RunSummary> {
    let spec = &plan.runs[i];
    let point = &plan.points[spec.point];
    let run_options = RunOptions {
        out: Some(plan.out.join(&point.id).join("run.h5md")),
        seed: None,
        replicas: None,
        only_replica: Some(spec.replica),
        threads: Some(1),
        walltime: None,
        checkpoint_every: options.checkpoint_every,
        overwrite: false,
        progress: ProgressMode::Quiet,
        max_output: options.max_output,
        max_memory: options.max_memory,
        stop_flag: Arc::clone(&options.stop_flag),
    };
    if let Action::Resume(checkpoint) = action {
        return run::resume(std::slice::from_ref(checkpoint), &run_options);
    }
    let dir = plan.out.join(&point.id);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    run::run(point.scenario.clone(), &run_options)
}
