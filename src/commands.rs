//! The scenario commands of the binary: `run`, `check`, `info` and `export`. Argument
//! structs live in [`crate::cli`]; this file turns them into library calls and prints the
//! results.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use clap::Args;

use nanokmc::engine::Simulation;
use nanokmc::output::{self, ExportFormat, FrameSelection};
use nanokmc::rates::rate;
use nanokmc::rng;
use nanokmc::run::{self, ProgressMode, RunOptions, RunSummary};
use nanokmc::scenario::{self, Amount, FrameSchedule, Geometry, Scenario};
use nanokmc::units::Dimension;

use nanokmc::run::plan::TRAJECTORY_BYTES_PER_SITE;

/// Exit code of a run that stopped early with a checkpoint (signal or walltime).
pub const EXIT_INTERRUPTED: u8 = 3;

/// Options of `nanokmc run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario file (omit with --resume).
    #[arg(required_unless_present = "resume")]
    pub file: Option<PathBuf>,
    /// Trajectory file [default: the scenario's `output.file`, else `<scenario stem>.h5md`].
    /// With several replicas, replica k writes `<stem>.r<k>.h5md`.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Seed replacing the scenario's.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Number of replicas replacing the scenario's.
    #[arg(long, value_name = "N")]
    pub replicas: Option<u32>,
    /// Run only replica K of the run (job arrays: `--replica $SLURM_ARRAY_TASK_ID`).
    #[arg(long, value_name = "K")]
    pub replica: Option<u32>,
    /// Worker threads; replicas run in parallel [default: one per core].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// The job's walltime (HH:MM:SS, MM:SS or a time such as "2 h"): the run writes a
    /// checkpoint and stops 5 % (at most 5 min) before it, with exit code 3.
    #[arg(long, value_name = "HH:MM:SS")]
    pub walltime: Option<String>,
    /// Write a checkpoint every this much wall-clock time (HH:MM:SS or "10 min").
    #[arg(long, value_name = "DURATION")]
    pub checkpoint_every: Option<String>,
    /// Continue from checkpoint files (`X.h5md.ckpt`, one per replica), appending to their
    /// trajectories.
    #[arg(long, value_name = "CHECKPOINT", num_args = 1.., conflicts_with_all = ["file", "out", "seed", "replicas", "replica", "overwrite"])]
    pub resume: Vec<PathBuf>,
    /// Replace existing trajectory files.
    #[arg(long)]
    pub overwrite: bool,
    /// Refuse to start when the trajectories (all replicas) are expected to exceed this
    /// size, e.g. "100 GB" (the default) or "2 TB".
    #[arg(long, value_name = "SIZE")]
    pub max_output: Option<String>,
    /// Refuse to build a system whose replica is expected to need more memory than this,
    /// e.g. "8 GB" [default: the memory available on this machine].
    #[arg(long, value_name = "SIZE")]
    pub max_memory: Option<String>,
    /// Progress display: auto (bar on a terminal, log lines otherwise), log, quiet.
    #[arg(long, value_name = "MODE", default_value = "auto", value_parser = ["auto", "log", "quiet"])]
    pub progress: String,
}

/// Options of `nanokmc check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// Only parse and check the file; do not build the system.
    #[arg(long)]
    pub no_build: bool,
    /// Refuse to build a system expected to need more memory than this, e.g. "8 GB"
    /// [default: the memory available on this machine].
    #[arg(long, value_name = "SIZE")]
    pub max_memory: Option<String>,
}

/// Options of `nanokmc info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// A trajectory written by `nanokmc run`.
    pub file: PathBuf,
}

/// Options of `nanokmc export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A trajectory written by `nanokmc run`.
    pub file: PathBuf,
    /// `xyz` (extended XYZ for OVITO and ASE; vacancies omitted) or `xdmf` (sidecar for
    /// `ParaView` and `VisIt`).
    #[arg(long, value_parser = ["xyz", "xdmf"])]
    pub format: String,
    /// Frames: all (default), `K`, `-1` (last), `START:END[:STRIDE]`, or a list `1,4,9`
    /// (`last` and negative indices count from the end: `0,last`).
    #[arg(long, value_name = "SELECTION", allow_hyphen_values = true)]
    pub frames: Option<String>,
    /// Output file [default: the trajectory's name with the format's extension].
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Replace an existing output file (never the trajectory itself, nor an HDF5 file).
    #[arg(long)]
    pub overwrite: bool,
}

/// `nanokmc analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// A trajectory written by `nanokmc run` (complete, interrupted or still running).
    pub file: PathBuf,
    /// A TOML file of `[[analysis]]` entries, used instead of the stored scenario's.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Write a CSV file: one row per frame (frame, step, time, temperature, each quantity).
    #[arg(long, value_name = "X.csv")]
    pub out: Option<PathBuf>,
    /// Append the series to the trajectory's `/observables` (complete runs only).
    #[arg(long)]
    pub into_h5md: bool,
    /// Replace an existing CSV file or `/observables` datasets of the same names.
    #[arg(long)]
    pub overwrite: bool,
}

/// A wall-clock duration: `HH:MM:SS`, `MM:SS`, or a time quantity such as `"2 h"`.
pub(crate) fn wall_duration(text: &str, option: &str) -> Result<Duration> {
    let text = text.trim();
    let seconds = if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        if parts.len() > 3 {
            return Err(anyhow!(crate::cli::BadInput(format!(
                "option {option}: `{text}` is not HH:MM:SS"
            ))));
        }
        let mut total = 0u64;
        for p in parts {
            let v: u64 = p.trim().parse().map_err(|_| {
                anyhow!(crate::cli::BadInput(format!(
                    "option {option}: `{text}` is not HH:MM:SS"
                )))
            })?;
            total = total * 60 + v;
        }
        #[allow(clippy::cast_precision_loss)]
        let t = total as f64;
        t
    } else {
        nanokmc::units::parse_quantity(text, Dimension::Time)
            .with_context(|| format!("option {option}"))?
    };
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(anyhow!(crate::cli::BadInput(format!(
            "option {option}: must be a positive duration"
        ))));
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn options(args: &RunArgs) -> Result<RunOptions> {
    let stop_flag = crate::signals::signal_stop_flag()?;
    Ok(RunOptions {
        out: args.out.clone(),
        seed: args.seed,
        replicas: args.replicas,
        only_replica: args.replica,
        threads: args.threads,
        walltime: args
            .walltime
            .as_deref()
            .map(|w| wall_duration(w, "--walltime"))
            .transpose()?,
        checkpoint_every: args
            .checkpoint_every
            .as_deref()
            .map(|w| wall_duration(w, "--checkpoint-every"))
            .transpose()?,
        overwrite: args.overwrite,
        max_output: match &args.max_output {
            Some(text) => run::plan::parse_bytes(text, "--max-output")?,
            None => run::plan::DEFAULT_MAX_OUTPUT,
        },
        max_memory: args
            .max_memory
            .as_deref()
            .map(|text| run::plan::parse_bytes(text, "--max-memory"))
            .transpose()?,
        progress: match args.progress.as_str() {
            "log" => ProgressMode::Log,
            "quiet" => ProgressMode::Quiet,
            _ => ProgressMode::Auto,
        },
        stop_flag,
    })
}

/// `nanokmc run`: returns the exit code (0, or 3 when interrupted with a checkpoint).
///
/// # Errors
/// Input, build, output and model errors of the run.
pub fn run_run(args: &RunArgs) -> Result<u8> {
    let options = options(args)?;
    let summary: RunSummary = if args.resume.is_empty() {
        let file = args.file.as_ref().ok_or_else(|| {
            anyhow!(crate::cli::BadInput(
                "a scenario file or --resume is required".into()
            ))
        })?;
        let scenario = scenario::read(file)?;
        if let Some(sweep) = nanokmc::sweep::embedded(&scenario.source)? {
            eprintln!("{}", crate::sweep_command::base_point_note(file, &sweep));
        }
        run::run(scenario, &options)?
    } else {
        run::resume(&args.resume, &options)?
    };
    out!("{summary}");
    // What happened in each step of a stepped temperature program (first replica).
    if !summary.interrupted()
        && let Some(first) = summary.replicas.first()
        && let Some(report) = run::steps::read(&first.output)?
    {
        out!("{report}");
    }
    if summary.interrupted() {
        eprintln!(
            "interrupted: continue with `nanokmc run --resume <checkpoint>` (exit code {EXIT_INTERRUPTED})"
        );
        Ok(EXIT_INTERRUPTED)
    } else {
        Ok(0)
    }
}

/// `nanokmc check`.
///
/// # Errors
/// Input and build errors.
pub fn run_check(args: &CheckArgs) -> Result<()> {
    let mut scenario = scenario::read(&args.file)?;
    scenario.max_memory = args
        .max_memory
        .as_deref()
        .map(|text| run::plan::parse_bytes(text, "--max-memory"))
        .transpose()?;
    out!("{}", scenario_summary(&scenario));
    if let Some(sweep) = nanokmc::sweep::embedded(&scenario.source)? {
        out!("{}", crate::sweep_command::embedded_summary(sweep)?);
    }
    outln!(
        "estimated before building: at most {:.3e} sites, about {:.2} GB per replica",
        scenario.estimated_sites(),
        scenario.estimated_memory() / 1e9
    );
    let run_plan = run::plan::RunPlan::of(&scenario);
    for w in &run_plan.warnings {
        outln!("warning: {w}");
    }
    if args.no_build {
        return Ok(());
    }
    let system = scenario.build_system(0)?;
    let sites = system.graph.len();
    if let Some(bytes) = run_plan.bytes_per_replica(sites) {
        outln!(
            "trajectory: at most {} frames, about {} per replica ({} for {} replica(s))",
            run_plan.frames.unwrap_or(0),
            run::plan::bytes_text(bytes),
            run::plan::bytes_text(bytes * f64::from(scenario.replicas)),
            scenario.replicas
        );
    } else {
        outln!("trajectory: the number of frames is not known before the run");
    }
    if let Err(e) = run_plan.check_size(sites, scenario.replicas, run::plan::DEFAULT_MAX_OUTPUT) {
        outln!("warning: {e} (run would refuse it without a larger --max-output)");
    } else if let Ok(Some(w)) =
        run_plan.check_size(sites, scenario.replicas, run::plan::DEFAULT_MAX_OUTPUT)
    {
        outln!("warning: {w}");
    }
    let sim = Simulation::new(
        Arc::clone(&system.graph),
        Arc::clone(&system.model),
        system.species.clone(),
        scenario.program.clone(),
        rng::stream(scenario.seed, 1),
    )?;
    out!("{}", system_summary(&sim));
    let (report, warnings) = scenario.composition_report()?;
    out!("{}", composition_summary(&report, &sim));
    for warning in warnings {
        eprintln!("{warning}");
    }
    Ok(())
}

/// The composition of every particle domain after the cut against its ideal formula.
fn composition_summary(
    report: &[nanokmc::lattice::stoichiometry::DomainComposition],
    sim: &Simulation,
) -> String {
    let mut out = String::new();
    if report.is_empty() {
        return out;
    }
    let _ = writeln!(out, "composition after the cut (ideal formula, deviation):");
    let model = sim.model();
    let name = |label: u16| {
        model
            .species
            .iter()
            .find(|(id, _)| id.index() == usize::from(label))
            .map_or_else(|| format!("#{label}"), |(_, s)| s.name.clone())
    };
    for c in report {
        let counts: Vec<String> = c
            .counts
            .iter()
            .map(|(l, n)| format!("{} {n}", name(*l)))
            .collect();
        let mut formula = String::new();
        for (l, n) in &c.formula {
            let _ = write!(formula, "{}{n}", name(*l));
        }
        let trimmed = if c.trimmed > 0 {
            format!(", {} excess atoms trimmed", c.trimmed)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {}: {} (ideal {formula}, {:.2} % off{trimmed})",
            c.domain,
            counts.join(", "),
            100.0 * c.deviation
        );
    }
    out
}

/// A quantity in internal units with at most 6 significant digits (0.030000000000000002 s
/// prints as 0.03 s, 46418.07248698234 K as 46418.1 K).
fn quantity(v: f64, d: Dimension) -> String {
    let trim = |t: &str| -> String {
        if t.contains('.') {
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            t.to_string()
        }
    };
    let number = if v == 0.0 {
        "0".to_string()
    } else if (1e-3..1e6).contains(&v.abs()) {
        // six significant digits in plain notation.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let decimals = (5.0 - v.abs().log10().floor()).clamp(0.0, 9.0) as usize;
        trim(&format!("{v:.decimals$}"))
    } else {
        let text = format!("{v:.5e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        format!("{}e{exponent}", trim(mantissa))
    };
    let unit = d.internal_unit();
    if unit.is_empty() {
        number
    } else {
        format!("{number} {unit}")
    }
}

// one line per section of the scenario, in file order.
#[allow(clippy::too_many_lines)]
fn scenario_summary(s: &Scenario) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "scenario `{}` ({})", s.name, s.source.path().display());
    if !s.description.is_empty() {
        let _ = writeln!(out, "  {}", s.description.trim());
    }
    let _ = writeln!(
        out,
        "potential: `{}` ({})",
        s.potential.model.name,
        s.potential_path.display()
    );
    let _ = writeln!(out, "seed {}, {} replica(s)", s.seed, s.replicas);
    match &s.geometry {
        Geometry::Block { phase, cells } => {
            let _ = writeln!(
                out,
                "geometry: periodic block of {}×{}×{} cells of phase `{}`",
                cells[0], cells[1], cells[2], s.potential.phases[*phase].name
            );
        }
        Geometry::Assembly { assembly, .. } => {
            let _ = writeln!(
                out,
                "geometry: {} particle(s){}, boundary {:?}",
                assembly.particles.len(),
                if assembly.substrate.is_some() {
                    " on a substrate"
                } else {
                    ""
                },
                assembly
                    .periodic
                    .map(|p| if p { "periodic" } else { "open" })
            );
        }
    }
    for c in &s.initial {
        let amount = match c.amount {
            Amount::All => "all".to_string(),
            Amount::Fraction(f) => format!("fraction {f}"),
            Amount::Count(n) => format!("{n}"),
        };
        let _ = writeln!(
            out,
            "initial: set {} of the matching sites to `{}` ({} at {})",
            amount,
            s.potential.model.species.name(c.to),
            c.key,
            c.location
        );
    }
    let t = &s.program.temperature;
    let points: Vec<String> = t
        .points()
        .iter()
        .map(|(time, temp)| {
            format!(
                "{} at {}",
                quantity(*temp, Dimension::Temperature),
                quantity(*time, Dimension::Time)
            )
        })
        .collect();
    let _ = writeln!(out, "program: temperature {}", points.join(" → "));
    let beam: Vec<String> = s
        .program
        .beam_flux
        .points()
        .iter()
        .map(|(time, f)| {
            format!(
                "{} at {}",
                quantity(*f, Dimension::Flux),
                quantity(*time, Dimension::Time)
            )
        })
        .collect();
    let _ = writeln!(out, "         beam flux {}", beam.join(" → "));
    out.push_str(&s.beam_report());
    out.push_str(&merge_report(s));
    let mut stops = Vec::new();
    if let Some(t) = s.stop.time {
        stops.push(format!("time {}", quantity(t, Dimension::Time)));
    }
    if let Some(n) = s.stop.events {
        stops.push(format!("{n} events"));
    }
    for c in &s.stop.conditions {
        stops.push(c.description.clone());
    }
    let _ = writeln!(out, "stop: first of {}", stops.join("; "));
    match &s.acceleration {
        None => {
            let _ = writeln!(out, "acceleration: off");
        }
        Some(plan) => {
            let a = &plan.settings;
            let only = plan.channels.as_ref().map_or(String::new(), |list| {
                let names: Vec<&str> = list
                    .iter()
                    .map(|&r| s.potential.model.rules[r as usize].name.as_str())
                    .collect();
                format!(", only {}", names.join(", "))
            });
            let _ = writeln!(
                out,
                "acceleration: {}, separation ≥ {}, detection window {} events, ≥ {} executions per direction, balance {}, factor ≥ {:e}, regions {}{only}",
                match a.method {
                    nanokmc::accel::Method::Scaling => "rate scaling".to_string(),
                    nanokmc::accel::Method::Basin => format!(
                        "exact basin escapes up to {} states, else rate scaling",
                        a.max_basin_states
                    ),
                    nanokmc::accel::Method::Movers => format!(
                        "exact escapes of independent movers up to {} states each, else rate scaling",
                        a.max_basin_states
                    ),
                },
                a.separation,
                a.window,
                a.min_executions,
                a.balance,
                a.min_factor,
                match a.regions {
                    nanokmc::accel::RegionMode::Whole => "whole system",
                    nanokmc::accel::RegionMode::Domains => "per domain",
                }
            );
        }
    }
    let frames = match s.output.frames {
        FrameSchedule::Every(dt) => format!("every {}", quantity(dt, Dimension::Time)),
        FrameSchedule::EveryEvents(n) => format!("every {n} events"),
        FrameSchedule::LogSpaced { first, per_decade } => format!(
            "log-spaced from {}, {per_decade} per decade",
            quantity(first, Dimension::Time)
        ),
    };
    let observables: Vec<&str> = s.output.observables.iter().map(|o| o.name()).collect();
    let _ = writeln!(
        out,
        "output: {} frames {frames}; observables: counts per species and domain, evaporated, deposited, events by class, T, flux{}{}",
        s.default_output().display(),
        if observables.is_empty() { "" } else { ", " },
        observables.join(", ")
    );
    if !s.analysis.is_empty() {
        let entries: Vec<String> = s
            .analysis
            .iter()
            .map(|e| format!("{} ({})", e.name, e.observable.type_name()))
            .collect();
        let _ = writeln!(out, "analysis (docs/analysis.md): {}", entries.join(", "));
    }
    out
}

/// One line per cluster rule that merges into contact (`merge_min_gain`): the one-way
/// approximation and its error bound at the program's highest temperature.
fn merge_report(s: &Scenario) -> String {
    let mut out = String::new();
    let t_max = s
        .program
        .temperature
        .points()
        .iter()
        .map(|&(_, t)| t)
        .fold(0.0_f64, f64::max);
    for (i, c) in s.potential.model.cluster_rules() {
        let Some(gain) = c.merge_min_gain else {
            continue;
        };
        let bound = (-gain / (nanokmc::constants::BOLTZMANN_EV_PER_K * t_max)).exp();
        let _ = writeln!(
            out,
            "merges: `{}` moves clusters into contact when ΔE ≤ −{gain} eV, one-way; the reverse \
             it omits is slower than the merge by ≤ exp(−{gain} eV / k_B T) = {bound:.1e} at the \
             program's highest temperature, {}",
            s.potential.model.rules[i].name,
            quantity(t_max, Dimension::Temperature)
        );
    }
    out
}

fn system_summary(sim: &Simulation) -> String {
    let mut out = String::new();
    let graph = sim.graph();
    let model = sim.model();
    let n_species = model.species.len();
    let _ = writeln!(
        out,
        "built: {} sites in {} domain(s)",
        graph.len(),
        graph.domain_names().len()
    );
    let mut counts = vec![0u64; graph.domain_names().len() * n_species];
    for (site, sp) in sim.occupancy().species().enumerate() {
        counts[graph.domains()[site].index() * n_species + sp.index()] += 1;
    }
    for (d, name) in graph.domain_names().iter().enumerate() {
        let row: Vec<String> = model
            .species
            .iter()
            .map(|(id, sp)| format!("{} {}", sp.name, counts[d * n_species + id.index()]))
            .collect();
        let _ = writeln!(out, "  {name}: {}", row.join(", "));
    }
    let _ = writeln!(
        out,
        "event classes at t = 0 ({} events possible, total rate {:.4e} /s):",
        sim.event_count(),
        sim.total_rate()
    );
    let e = sim.environment();
    // per rule: events, total rate [1/s], classes, lowest and highest barrier [eV].
    let mut by_rule: Vec<(usize, f64, u32, f64, f64)> =
        vec![(0, 0.0, 0, f64::INFINITY, f64::NEG_INFINITY); model.rules.len()];
    for (rule, barrier, members) in sim.class_summary() {
        let law = &model.rules[rule as usize].law;
        let entry = &mut by_rule[rule as usize];
        entry.0 += members;
        #[allow(clippy::cast_precision_loss)]
        let weight = rate(law, barrier, e.temperature, e.beam_flux, e.beam_energy) * members as f64;
        entry.1 += weight;
        entry.2 += 1;
        entry.3 = entry.3.min(barrier);
        entry.4 = entry.4.max(barrier);
    }
    for (rule, &(n, total, classes, low, high)) in model.rules.iter().zip(&by_rule) {
        if n == 0 {
            let _ = writeln!(out, "  {:<24} {:>10} events", rule.name, 0);
        } else {
            let _ = writeln!(
                out,
                "  {:<24} {n:>10} events in {classes:>3} classes, barriers {low:.3}–{high:.3} eV, rate {total:.4e} /s",
                rule.name
            );
        }
    }
    // which classes acceleration may scale, and how fast they are against the rest now.
    let channels = nanokmc::accel::scalable_channels(model);
    let in_channel = |r: usize| {
        channels
            .iter()
            .any(|c| c.rules().iter().any(|&x| x as usize == r))
    };
    let slow: f64 = (0..model.rules.len())
        .filter(|&r| !in_channel(r))
        .map(|r| by_rule[r].1)
        .sum();
    if channels.is_empty() {
        let _ = writeln!(
            out,
            "scalable by acceleration: none (only reversible thermal swaps can be scaled)"
        );
    } else {
        let _ = writeln!(
            out,
            "scalable by acceleration (reversible thermal swaps; the rest is never scaled), rate at t = 0 against the {slow:.4e} /s of the rest:"
        );
        for c in &channels {
            let total: f64 = c.rules().iter().map(|&r| by_rule[r as usize].1).sum();
            let pair = match c.reverse {
                Some(r) => format!("{} ⇄ {}", c.name, model.rules[r as usize].name),
                None => format!("{} (its own reverse)", c.name),
            };
            let ratio = if slow > 0.0 {
                format!("{:.3e}×", total / slow)
            } else {
                "∞".to_string()
            };
            let _ = writeln!(out, "  {pair:<40} rate {total:.4e} /s, {ratio}");
        }
    }
    let engine = sim.memory_bytes() + graph.memory_bytes();
    #[allow(clippy::cast_precision_loss)]
    let per_site = engine as f64 / graph.len().max(1) as f64;
    #[allow(clippy::cast_precision_loss)]
    let _ = writeln!(
        out,
        "memory: about {:.1} MB per replica ({per_site:.0} bytes/site); trajectory at most about {:.2} MB per frame ({TRAJECTORY_BYTES_PER_SITE} bytes/site, the worst case measured in docs/output.md)",
        engine as f64 / 1e6,
        graph.len() as f64 * TRAJECTORY_BYTES_PER_SITE / 1e6
    );
    out
}

/// `nanokmc info`.
///
/// # Errors
/// If the file is missing or not a nanokmc trajectory.
pub fn run_info(args: &InfoArgs) -> Result<()> {
    let info = output::info(&args.file)?;
    out!("{info}");
    Ok(())
}

/// `nanokmc analyze`.
///
/// # Errors
/// As [`nanokmc::run::analyze`].
pub fn run_analyze(args: &AnalyzeArgs) -> Result<()> {
    let options = nanokmc::run::AnalyzeOptions {
        spec: args.spec.clone(),
        csv: args.out.clone(),
        into_h5md: args.into_h5md,
        overwrite: args.overwrite,
    };
    let summary = nanokmc::run::analyze(&args.file, &options)?;
    eprintln!("{summary}");
    if let Some(out) = &args.out {
        eprintln!("wrote {}", out.display());
    }
    if args.into_h5md {
        eprintln!(
            "wrote {} series into {}:/observables",
            summary.quantities.len(),
            args.file.display()
        );
    }
    Ok(())
}

/// `nanokmc export`.
///
/// # Errors
/// If the file is missing or not a nanokmc trajectory, the selection is invalid, or the
/// output cannot be written.
pub fn run_export(args: &ExportArgs) -> Result<()> {
    let format = if args.format == "xyz" {
        ExportFormat::Xyz
    } else {
        ExportFormat::Xdmf
    };
    let frames = match &args.frames {
        None => FrameSelection::All,
        Some(text) => FrameSelection::parse(text)?,
    };
    if args.file.is_file() {
        let extension = match format {
            ExportFormat::Xyz => "xyz",
            ExportFormat::Xdmf => "xdmf",
        };
        let target = args
            .out
            .clone()
            .unwrap_or_else(|| args.file.with_extension(extension));
        output::check_target(
            &target,
            output::TargetKind::Text,
            args.overwrite,
            &[&args.file],
        )?;
        if format == ExportFormat::Xdmf {
            output::check_target(
                &output::export::xdmf_companion(&target),
                output::TargetKind::Hdf5,
                args.overwrite,
                &[&args.file],
            )?;
        }
    }
    for path in output::export(&args.file, format, &frames, args.out.as_deref())? {
        outln!("wrote {}", path.display());
    }
    Ok(())
}
