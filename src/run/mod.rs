//! Running a scenario: replicas, frames, stop criteria, checkpoints and progress.
//!
//! [`run`] starts every replica of a [`Scenario`] (in parallel on a rayon pool, one
//! replica per thread, each deterministic on its own), [`resume`] continues replicas from
//! their checkpoint files. One replica ([`Replica`]) repeats:
//!
//! 1. stop if a criterion is met (simulated time, events, a species count, or nothing can
//!    happen any more), writing the final frame;
//! 2. write a checkpoint and stop if asked to (the stop flag, set by SIGTERM or SIGINT in
//!    the CLI, or the walltime deadline), or write one if `checkpoint_every` has passed;
//! 3. run up to [`CHUNK`] engine steps towards the next frame time or the stop time,
//!    counting species per domain from the executed events and writing event-scheduled
//!    frames as they fall due;
//! 4. write the frame that fell due at a frame time.
//!
//! # Bit-identical continuation
//! The trajectory depends only on the scenario, the seed and the replica: frame times are
//! fixed by the schedule (the engine stops exactly at them, discarding a draw, which the
//! memoryless process allows), and checkpoints store the exact engine state, so stopping
//! and resuming at any event changes nothing. Wall-clock quantities (when a checkpoint is
//! written, the progress log) never feed back into the simulation.
//!
//! # Outputs of a replica
//! The trajectory `X.h5md` (or `X.r<k>.h5md` when a run has several replicas), written frame
//! by frame; the checkpoint `X.h5md.ckpt` (`X.r<k>.h5md.ckpt`), removed when the replica
//! completes.

pub mod analyze;
pub mod checkpoint;
pub mod plan;
mod progress;
pub mod steps;
mod summary;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

pub use analyze::{AnalyzeOptions, AnalyzeSummary, analyze};
pub use checkpoint::Checkpoint;
pub use progress::ProgressMode;
pub use summary::{Ending, ReplicaSummary, RunSummary};

use crate::energy::EnergyModel;
use crate::engine::{Simulation, StepOutcome};
use crate::error::{Error, Result};
use crate::input::Source;
use crate::output::{Frame, FrameObservables, RunStatus, TrajectoryHeader, TrajectoryWriter};
use crate::rng;
use crate::scenario::{self, FrameSchedule, Observable, Scenario, System};
use progress::Progress;

/// Engine steps between checks of the clock, the stop flag and the progress display.
pub const CHUNK: u32 = 4096;

/// `nanokmc <version>`, recorded in every output.
#[must_use]
pub fn program_version() -> String {
    format!("nanokmc {}", env!("CARGO_PKG_VERSION"))
}

/// Options of a run (the command line's).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Trajectory path (default: the scenario's `output.file`, else `<stem>.h5md`).
    pub out: Option<PathBuf>,
    /// Seed replacing the scenario's.
    pub seed: Option<u64>,
    /// Number of replicas replacing the scenario's.
    pub replicas: Option<u32>,
    /// Run only this replica (for job arrays); its files are named as in a full run.
    pub only_replica: Option<u32>,
    /// Worker threads (replicas run in parallel; default: one per core, at most one per
    /// replica).
    pub threads: Option<usize>,
    /// Stop cleanly (checkpoint) this long before the walltime ends: see [`walltime_margin`].
    pub walltime: Option<Duration>,
    /// Write a checkpoint every this much wall-clock time.
    pub checkpoint_every: Option<Duration>,
    /// Replace existing trajectory files.
    pub overwrite: bool,
    /// How progress is shown.
    pub progress: ProgressMode,
    /// The largest trajectory (all replicas) the run may write [bytes]; a run expected to
    /// write more is refused before it starts ([`plan::RunPlan::check_size`]).
    pub max_output: f64,
    /// The most memory one replica may need [bytes] (`None`: what the machine has
    /// available); a larger system is refused before it is built
    /// ([`Scenario::check_memory`]).
    pub max_memory: Option<f64>,
    /// Set from outside (signal handler) to stop every replica at the next event with a
    /// checkpoint.
    pub stop_flag: Arc<AtomicBool>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            out: None,
            seed: None,
            replicas: None,
            only_replica: None,
            threads: None,
            walltime: None,
            checkpoint_every: None,
            overwrite: false,
            progress: ProgressMode::Quiet,
            max_output: plan::DEFAULT_MAX_OUTPUT,
            max_memory: None,
            stop_flag: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// The safety margin kept before a walltime limit: 5 % of it, at most 5 minutes, so that
/// writing the checkpoint and closing the trajectory fit before the scheduler kills the job.
#[must_use]
pub fn walltime_margin(walltime: Duration) -> Duration {
    (walltime / 20).min(Duration::from_secs(300))
}

/// The trajectory path of `replica`: `out` itself for a single-replica run, else
/// `stem.r<k>.ext`.
#[must_use]
pub fn replica_path(out: &Path, replica: u32, replicas: u32) -> PathBuf {
    if replicas <= 1 {
        return out.to_path_buf();
    }
    let stem = out
        .file_stem()
        .map_or_else(|| "trajectory".into(), |s| s.to_string_lossy().into_owned());
    let ext = out
        .extension()
        .map_or_else(|| "h5md".into(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}.r{replica}.{ext}"))
}

/// The checkpoint path of a trajectory: `X.h5.ckpt`.
#[must_use]
pub fn checkpoint_path(trajectory: &Path) -> PathBuf {
    let mut p = trajectory.as_os_str().to_owned();
    p.push(".ckpt");
    PathBuf::from(p)
}

fn pool(threads: Option<usize>, jobs: usize) -> Result<rayon::ThreadPool> {
    let n = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .clamp(1, jobs.max(1));
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .map_err(|e| Error::build("thread pool", e.to_string()))
}

/// Runs every replica of `scenario` (or only `options.only_replica`).
///
/// # Errors
/// [`Error::Input`] for an option that does not fit the scenario or an output that exists
/// (without `overwrite`); build errors of the geometry; [`Error::Output`] when a file cannot
/// be written; [`Error::Model`] when a rate becomes invalid during the run.
pub fn run(mut scenario: Scenario, options: &RunOptions) -> Result<RunSummary> {
    if options.max_memory.is_some() {
        scenario.max_memory = options.max_memory;
    }
    if let Some(seed) = options.seed {
        scenario.seed = seed;
    }
    if let Some(n) = options.replicas {
        if n == 0 {
            return Err(Error::build("--replicas", "must be at least 1"));
        }
        scenario.replicas = n;
    }
    let replicas: Vec<u32> = match options.only_replica {
        Some(k) if k >= scenario.replicas => {
            return Err(Error::build(
                "--replica",
                format!(
                    "replica {k} does not exist (the run has {})",
                    scenario.replicas
                ),
            ));
        }
        Some(k) => vec![k],
        None => (0..scenario.replicas).collect(),
    };
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| scenario.default_output());
    // absolute, so that a checkpoint can be resumed from any working directory.
    let out = std::path::absolute(&out).map_err(|e| Error::Io {
        path: out.clone(),
        source: e,
    })?;
    // refuse to overwrite before anything is computed or written.
    for &r in &replicas {
        let path = replica_path(&out, r, scenario.replicas);
        if path.exists() && !options.overwrite {
            return Err(Error::build(
                "output",
                format!(
                    "{} exists (use --overwrite to replace it, or --resume to continue from its checkpoint)",
                    path.display()
                ),
            ));
        }
        crate::output::check_target(
            &path,
            crate::output::TargetKind::Hdf5,
            options.overwrite,
            &[scenario.source.path(), &scenario.potential_path],
        )?;
    }
    let run_plan = plan::RunPlan::of(&scenario);
    if options.progress != ProgressMode::Quiet {
        for w in &run_plan.warnings {
            eprintln!("warning: {w}");
        }
    }
    let progress = Progress::new(options.progress, replicas.len());
    let pool = pool(options.threads, replicas.len())?;
    let scenario = &scenario;
    let run_plan = &run_plan;
    #[allow(clippy::cast_possible_truncation)]
    let n_run = replicas.len() as u32;
    let first = replicas[0];
    let results: Vec<Result<ReplicaSummary>> = pool.install(|| {
        replicas
            .par_iter()
            .map(|&r| {
                let path = replica_path(&out, r, scenario.replicas);
                let system = scenario.build_system(r)?;
                // every replica has the same sites, so each refuses alike before writing.
                let size = run_plan.check_size(system.graph.len(), n_run, options.max_output)?;
                if let Some(w) = size
                    && r == first
                    && options.progress != ProgressMode::Quiet
                {
                    eprintln!("warning: {w}");
                }
                let mut replica = Replica::start(scenario, r, system, path, options)?;
                replica.run(options, &progress)
            })
            .collect()
    });
    progress.finish();
    let replicas = results.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(RunSummary { replicas })
}

/// Continues the replicas of `checkpoints` (each a file written by an interrupted run).
///
/// # Errors
/// [`Error::Input`] for a file that is not a valid checkpoint or whose trajectory does not
/// match; otherwise as [`run`].
pub fn resume(checkpoints: &[PathBuf], options: &RunOptions) -> Result<RunSummary> {
    let loaded = checkpoints
        .iter()
        .map(|p| checkpoint::read(p).map(|c| (p.clone(), c)))
        .collect::<Result<Vec<_>>>()?;
    let progress = Progress::new(options.progress, loaded.len());
    let pool = pool(options.threads, loaded.len())?;
    // every checkpoint is checked against its scenario and trajectory before any replica
    // runs, so that a bad one fails at once, not after the good ones have run.
    let prepared: Vec<Replica> = pool.install(|| {
        loaded
            .into_par_iter()
            .map(|(path, c)| Replica::resume(&path, c, options.max_memory))
            .collect::<Result<Vec<_>>>()
    })?;
    let results: Vec<Result<ReplicaSummary>> = pool.install(|| {
        prepared
            .into_par_iter()
            .map(|mut replica| replica.run(options, &progress))
            .collect()
    });
    progress.finish();
    let replicas = results.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(RunSummary { replicas })
}

/// The trajectory a checkpoint continues. A checkpoint is written beside its trajectory, so
/// the file of the stored name in the checkpoint's own directory is taken first: a run
/// directory moved or staged elsewhere resumes in place. The stored (absolute) path is the
/// fallback for a checkpoint moved away from its trajectory.
fn trajectory_of_checkpoint(checkpoint: &Path, stored: &Path) -> PathBuf {
    let beside = match (checkpoint.parent(), stored.file_name()) {
        (Some(dir), Some(name)) => Some(dir.join(name)),
        (None, Some(name)) => Some(PathBuf::from(name)),
        _ => None,
    };
    match beside {
        Some(b) if b.is_file() => std::path::absolute(&b).unwrap_or(b),
        _ => stored.to_path_buf(),
    }
}

/// One replica being run.
struct Replica {
    scenario: Scenario,
    index: u32,
    sim: Simulation,
    writer: Option<TrajectoryWriter>,
    output: PathBuf,
    checkpoint: PathBuf,
    /// Index of the next scheduled frame (time-based: frame k at `time_of(k)`;
    /// event-based: frame k at `k · n` events).
    next_frame: u64,
    /// (step, time bits) of the last frame written.
    last_frame: Option<(u64, u64)>,
    /// Atoms present per `[domain * n_species + species]`, kept from the events.
    counts: Vec<u64>,
    /// Frames in the trajectory when it was closed.
    frames_at_close: u64,
    /// Wall-clock seconds spent writing frames in this segment.
    output_seconds: f64,
    wall_before: f64,
    started: Instant,
    events_at_start: u64,
    /// The `[[analysis]]` entries and the state they carry between frames.
    analyzer: crate::analysis::Analyzer,
}

fn header(
    scenario: &Scenario,
    index: u32,
    system_graph: &crate::sites::SiteGraph,
) -> TrajectoryHeader {
    let model = &scenario.potential.model;
    let b = system_graph.simulation_box();
    TrajectoryHeader {
        program_version: program_version(),
        author: if scenario.author.is_empty() {
            std::env::var("USER").unwrap_or_default()
        } else {
            scenario.author.clone()
        },
        scenario_path: scenario.source.path().display().to_string(),
        scenario_text: scenario.source.text().to_string(),
        potential_path: scenario.potential_path.display().to_string(),
        potential_text: scenario.potential.text.clone(),
        seed: scenario.seed,
        replica: index,
        replicas: scenario.replicas,
        species_names: model.species.iter().map(|(_, s)| s.name.clone()).collect(),
        species_elements: model
            .species
            .iter()
            .map(|(id, s)| {
                if id.is_vacancy() {
                    "X".to_string()
                } else if s.element.is_empty() {
                    s.name.clone()
                } else {
                    s.element.clone()
                }
            })
            .collect(),
        kind_names: system_graph.kind_names().to_vec(),
        domain_names: system_graph.domain_names().to_vec(),
        rule_names: model.rules.iter().map(|r| r.name.clone()).collect(),
        positions: system_graph.positions().to_vec(),
        site_kinds: system_graph.kinds().iter().map(|k| k.0).collect(),
        site_domains: system_graph.domains().iter().map(|d| d.0).collect(),
        domain_cells: scenario.domain_cells(),
        box_origin: b.origin,
        box_edges: b.edges,
        periodic: b.periodic,
    }
}

impl Replica {
    fn start(
        scenario: &Scenario,
        index: u32,
        system: System,
        output: PathBuf,
        options: &RunOptions,
    ) -> Result<Self> {
        let System {
            graph,
            model,
            species,
        } = system;
        let rng = rng::stream(scenario.seed, 2 * u64::from(index) + 1);
        let mut sim = Simulation::new(graph, model, species, scenario.program.clone(), rng)?;
        if let Some(plan) = &scenario.acceleration {
            sim.enable_acceleration(plan.settings, plan.channels.as_deref())?;
        }
        let writer = TrajectoryWriter::create(
            &output,
            &header(scenario, index, sim.graph()),
            options.overwrite,
        )?;
        let mut replica =
            Self::assemble(scenario.clone(), index, sim, writer, output, 1, None, 0.0);
        // frame 0: the initial state.
        replica.write_frame()?;
        Ok(replica)
    }

    fn resume(path: &Path, c: Checkpoint, max_memory: Option<f64>) -> Result<Self> {
        let scenario_source = Source::from_text(&c.scenario_path, c.scenario_text.clone());
        let potential_source = Source::from_text(&c.potential_path, c.potential_text.clone());
        let mut scenario = scenario::compile_texts(scenario_source, &potential_source)?;
        scenario.seed = c.seed;
        scenario.replicas = c.replicas;
        scenario.max_memory = max_memory;
        let system = scenario.build_system(c.replica)?;
        let sim = Simulation::restore(
            system.graph,
            system.model,
            scenario.program.clone(),
            c.engine,
        )
        .map_err(|e| Error::Input {
            location: crate::error::Location {
                path: path.to_path_buf(),
                line: 0,
                column: 0,
            },
            key: "checkpoint".into(),
            message: format!("does not fit its scenario: {e}"),
        })?;
        let output = trajectory_of_checkpoint(path, &c.output);
        // the observables' state between frames is a function of the frames written: measure
        // them again (before the writer opens the file).
        let mut analyzer = crate::analysis::Analyzer::new(scenario.analysis.clone());
        if !analyzer.is_empty() {
            analyze::replay(&output, sim.graph(), &mut analyzer, c.frames_written)?;
        }
        let writer = TrajectoryWriter::resume(
            &output,
            &header(&scenario, c.replica, sim.graph()),
            c.frames_written,
        )?;
        let mut replica = Self::assemble(
            scenario,
            c.replica,
            sim,
            writer,
            output,
            c.next_frame,
            c.last_frame,
            c.wall_seconds,
        );
        replica.analyzer = analyzer;
        Ok(replica)
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        scenario: Scenario,
        index: u32,
        sim: Simulation,
        writer: TrajectoryWriter,
        output: PathBuf,
        next_frame: u64,
        last_frame: Option<(u64, u64)>,
        wall_before: f64,
    ) -> Self {
        let n_species = sim.model().species.len();
        let mut counts = vec![0u64; sim.graph().domain_names().len() * n_species];
        for (s, sp) in sim.occupancy().species().enumerate() {
            #[allow(clippy::cast_possible_truncation)]
            let d = sim.graph().domain(crate::sites::SiteId(s as u32)).index();
            counts[d * n_species + sp.index()] += 1;
        }
        let events_at_start = sim.executed();
        let analyzer = crate::analysis::Analyzer::new(scenario.analysis.clone());
        Self {
            analyzer,
            checkpoint: checkpoint_path(&output),
            scenario,
            index,
            sim,
            writer: Some(writer),
            output,
            next_frame,
            last_frame,
            counts,
            frames_at_close: 0,
            output_seconds: 0.0,
            wall_before,
            started: Instant::now(),
            events_at_start,
        }
    }

    fn wall_seconds(&self) -> f64 {
        self.wall_before + self.started.elapsed().as_secs_f64()
    }

    fn observables(&self) -> FrameObservables {
        let env = self.sim.environment();
        let extra = self
            .scenario
            .output
            .observables
            .iter()
            .map(|o| match o {
                Observable::Energy => (
                    o.name().to_string(),
                    self.sim
                        .energy()
                        .total_energy(self.sim.graph(), self.sim.occupancy()),
                ),
            })
            .chain(self.acceleration_observables())
            .collect::<Vec<(String, f64)>>();
        // units of the scalars above: the energy in eV, acceleration factors and saved
        // events are counts (dimensionless).
        let extra_units = extra
            .iter()
            .map(|(name, _)| {
                let unit = if name == Observable::Energy.name() {
                    "eV"
                } else {
                    "1"
                };
                (name.clone(), unit.to_string())
            })
            .collect();
        FrameObservables {
            temperature: env.temperature,
            beam_flux: env.beam_flux,
            species_counts: self.counts.clone(),
            evaporated: self.sim.removed().to_vec(),
            deposited: self.sim.added().to_vec(),
            transfers: self.sim.transfers().to_vec(),
            events_by_rule: self.sim.rule_counts().to_vec(),
            null_events: self.sim.null_events(),
            extra,
            extra_units,
            ..FrameObservables::default()
        }
    }

    /// Per frame with acceleration on: the current factor of every channel and region
    /// (`accel_factor:<label>`) and the estimated events saved (`accel_saved_events`).
    fn acceleration_observables(&self) -> Vec<(String, f64)> {
        let Some(report) = self.sim.acceleration_report() else {
            return Vec::new();
        };
        report
            .factors
            .into_iter()
            .map(|(label, f)| (format!("accel_factor:{}", label.replace('/', "|")), f))
            .chain(std::iter::once((
                "accel_saved_events".to_string(),
                report.saved_events,
            )))
            .collect()
    }

    fn write_frame(&mut self) -> Result<()> {
        let key = (self.sim.executed(), self.sim.time().to_bits());
        if self.last_frame == Some(key) {
            return Ok(());
        }
        let start = Instant::now();
        let mut observables = self.observables();
        if !self.analyzer.is_empty() {
            let species: Vec<crate::state::SpeciesId> = self.sim.occupancy().species().collect();
            let frame = crate::analysis::Frame::new(self.sim.graph(), &species, self.sim.time());
            analyze::add_to(&mut observables, self.analyzer.measure(&frame));
        }
        let species: Vec<u8> = self.sim.occupancy().species().map(|s| s.0).collect();
        let frame = Frame {
            step: self.sim.executed(),
            time: self.sim.time(),
            species: &species,
            observables: &observables,
        };
        if let Some(w) = self.writer.as_mut() {
            w.write_frame(&frame)?;
        }
        self.last_frame = Some(key);
        self.output_seconds += start.elapsed().as_secs_f64();
        Ok(())
    }

    fn frames_written(&self) -> u64 {
        self.writer
            .as_ref()
            .map_or(self.frames_at_close, TrajectoryWriter::frames)
    }

    fn save_checkpoint(&self) -> Result<()> {
        let c = Checkpoint {
            program_version: program_version(),
            scenario_path: self.scenario.source.path().display().to_string(),
            scenario_text: self.scenario.source.text().to_string(),
            potential_path: self.scenario.potential_path.display().to_string(),
            potential_text: self.scenario.potential.text.clone(),
            seed: self.scenario.seed,
            replica: self.index,
            replicas: self.scenario.replicas,
            output: self.output.clone(),
            frames_written: self.frames_written(),
            next_frame: self.next_frame,
            last_frame: self.last_frame,
            wall_seconds: self.wall_seconds(),
            engine: self.sim.save_state(),
        };
        checkpoint::write(&self.checkpoint, &c)
    }

    /// The stop criterion met now, if any.
    fn ending(&self) -> Option<Ending> {
        let stop = &self.scenario.stop;
        if stop.time.is_some_and(|t| self.sim.time() >= t) {
            return Some(Ending::Time);
        }
        if stop.events.is_some_and(|n| self.sim.executed() >= n) {
            return Some(Ending::Events);
        }
        if let Some(c) = self.condition_met() {
            return Some(Ending::Condition(c));
        }
        if self.sim.total_rate() <= 0.0
            && self
                .sim
                .program()
                .next_breakpoint_after(self.sim.time())
                .is_none()
        {
            return Some(Ending::Exhausted);
        }
        None
    }

    /// The first species condition met now (cheap: counts only).
    fn condition_met(&self) -> Option<String> {
        let n_species = self.sim.model().species.len();
        self.scenario.stop.conditions.iter().find_map(|c| {
            let count: u64 = match &c.domains {
                None => self
                    .counts
                    .chunks(n_species)
                    .map(|d| d[c.species.index()])
                    .sum(),
                Some(ds) => ds
                    .iter()
                    .map(|d| self.counts[d.index() * n_species + c.species.index()])
                    .sum(),
            };
            (count <= c.at_most).then(|| c.description.clone())
        })
    }

    /// Time of the next time-scheduled frame after the last one written.
    fn next_frame_time(&mut self) -> f64 {
        let schedule = self.scenario.output.frames;
        loop {
            match schedule.time_of(self.next_frame) {
                None => return f64::INFINITY,
                Some(t) if t <= self.sim.time() && self.last_frame.is_some() => {
                    self.next_frame += 1;
                }
                Some(t) => return t,
            }
        }
    }

    /// Counts the fast events that the last step integrated out by an exact basin escape
    /// (the engine reports them also when the step ended at a window end).
    fn count_basin_moves(&mut self) {
        let n_species = self.sim.model().species.len();
        for c in self.sim.last_basin_moves() {
            let d = self.sim.graph().domain(c.site).index();
            self.counts[d * n_species + c.from.index()] -= 1;
            self.counts[d * n_species + c.to.index()] += 1;
        }
    }

    fn count_event(&mut self) {
        let n_species = self.sim.model().species.len();
        self.count_basin_moves();
        for c in self.sim.last_changes() {
            let d = self.sim.graph().domain(c.site).index();
            self.counts[d * n_species + c.from.index()] -= 1;
            self.counts[d * n_species + c.to.index()] += 1;
        }
    }

    fn summary(&self, ending: Ending) -> ReplicaSummary {
        let model = self.sim.model();
        let n_species = model.species.len();
        let mut evaporated = vec![0u64; n_species];
        for (i, n) in self.sim.removed().iter().enumerate() {
            evaporated[i % n_species] += n;
        }
        let segment = self.started.elapsed().as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        let events_per_second =
            (self.sim.executed() - self.events_at_start) as f64 / segment.max(1e-9);
        ReplicaSummary {
            replica: self.index,
            output: self.output.clone(),
            ending,
            time: self.sim.time(),
            events: self.sim.executed(),
            null_events: self.sim.null_events(),
            events_by_rule: model
                .rules
                .iter()
                .zip(self.sim.rule_counts())
                .map(|(r, &n)| (r.name.clone(), n))
                .collect(),
            evaporated: model
                .species
                .iter()
                .filter(|(id, _)| evaporated[id.index()] > 0)
                .map(|(id, s)| (s.name.clone(), evaporated[id.index()]))
                .collect(),
            frames: self.frames_written(),
            wall_seconds: self.wall_seconds(),
            events_per_second,
            output_seconds: self.output_seconds,
            segment_seconds: segment,
            acceleration: self.sim.acceleration_report(),
        }
    }

    fn close(&mut self, status: RunStatus, ending: &Ending) -> Result<()> {
        if let Some(w) = self.writer.take() {
            self.frames_at_close = w.frames();
            let mut summary = vec![
                ("ending".to_string(), ending.to_string()),
                ("events".to_string(), self.sim.executed().to_string()),
                (
                    "wall_seconds".to_string(),
                    format!("{:.3}", self.wall_seconds()),
                ),
            ];
            let mut logs = Vec::new();
            if let Some(report) = self.sim.acceleration_report() {
                summary.push(("acceleration".to_string(), report.to_string()));
                let mut changes = vec!["time [s]\tchannel\tfactor\treason".to_string()];
                changes.extend(
                    report
                        .changes
                        .iter()
                        .map(|(t, label, f, why)| format!("{t:.9e}\t{label}\t{f:e}\t{why}")),
                );
                logs.push(("acceleration_changes".to_string(), changes));
            }
            w.finish_with_logs(status, &summary, &logs)?;
        }
        Ok(())
    }

    fn run(&mut self, options: &RunOptions, progress: &Progress) -> Result<ReplicaSummary> {
        let deadline = options
            .walltime
            .map(|w| Instant::now() + w.saturating_sub(walltime_margin(w)));
        let mut next_checkpoint = options.checkpoint_every.map(|d| Instant::now() + d);
        let stop_events = self.scenario.stop.events.unwrap_or(u64::MAX);
        let stop_time = self.scenario.stop.time.unwrap_or(f64::INFINITY);
        let every_events = match self.scenario.output.frames {
            FrameSchedule::EveryEvents(n) => Some(n),
            _ => None,
        };
        let bar = progress.replica(
            self.index,
            self.events_at_start,
            !self.scenario.stop.conditions.is_empty(),
        );
        loop {
            if let Some(ending) = self.ending() {
                self.write_frame()?;
                self.close(RunStatus::Complete, &ending)?;
                if self.checkpoint.exists() {
                    std::fs::remove_file(&self.checkpoint).map_err(|e| Error::Output {
                        path: self.checkpoint.clone(),
                        message: e.to_string(),
                    })?;
                }
                bar.done(&ending);
                return Ok(self.summary(ending));
            }
            let now = Instant::now();
            if options.stop_flag.load(Ordering::Relaxed) || deadline.is_some_and(|d| now >= d) {
                self.save_checkpoint()?;
                let ending = Ending::Interrupted {
                    checkpoint: self.checkpoint.clone(),
                };
                self.close(RunStatus::Interrupted, &ending)?;
                bar.done(&ending);
                return Ok(self.summary(ending));
            }
            if let (Some(at), Some(every)) = (next_checkpoint, options.checkpoint_every)
                && now >= at
            {
                self.save_checkpoint()?;
                next_checkpoint = Some(now + every);
            }
            let frame_time = self.next_frame_time();
            let limit = frame_time.min(stop_time);
            for _ in 0..CHUNK {
                match self.sim.step(limit)? {
                    StepOutcome::Event { .. } => {
                        self.count_event();
                        let executed = self.sim.executed();
                        if let Some(n) = every_events
                            && executed >= n * self.next_frame
                        {
                            self.write_frame()?;
                            self.next_frame = executed / n + 1;
                        }
                        if executed >= stop_events
                            || (!self.scenario.stop.conditions.is_empty()
                                && self.condition_met().is_some())
                            || (limit.is_infinite() && self.sim.event_count() == 0)
                        {
                            break;
                        }
                    }
                    StepOutcome::Null => {}
                    StepOutcome::Boundary => {
                        self.count_basin_moves();
                        if self.sim.time() >= limit || self.sim.total_rate() <= 0.0 {
                            break;
                        }
                    }
                }
                if options.stop_flag.load(Ordering::Relaxed) {
                    break;
                }
            }
            if self.sim.time() >= frame_time && frame_time < f64::INFINITY {
                self.write_frame()?;
                self.next_frame += 1;
            }
            bar.update(
                self.sim.time(),
                stop_time,
                self.sim.executed(),
                stop_events,
                self.sim.environment().temperature,
            );
        }
    }
}

/// Convenience for tests and tools: reads `path` and runs it with `options`.
///
/// # Errors
/// As [`scenario::read`] and [`run`].
pub fn run_file(path: &Path, options: &RunOptions) -> Result<RunSummary> {
    run(scenario::read(path)?, options)
}
