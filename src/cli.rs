//! Command-line interface of the `nanokmc` binary (clap derive).
//!
//! One [`Command`] enum holds every subcommand; each has an argument struct and a
//! `run_*` function, so the scenario commands (`run`, `check`, `info`, `export`) slot in as
//! further variants. Errors are `anyhow` here (and only here and in `main.rs`); library
//! errors keep their type in the chain so that [`exit_code`] can classify them.
//!
//! # Exit codes
//! - 0: success;
//! - 1: run-time failure (a model error during a run, a child process that crashed, an
//!   output that cannot be written);
//! - 2: bad input (bad command-line arguments, a potential file that cannot be read or is
//!   invalid, a malformed quantity, out-of-range parameters).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Parser, Subcommand};

use crate::commands::{
    AnalyzeArgs, CheckArgs, ExportArgs, InfoArgs, RunArgs, run_analyze, run_check, run_export,
    run_info, run_run,
};
use crate::picture_commands::{PlotArgs, RenderArgs, run_plot, run_render};
use nanokmc::bench::{self, BenchConfig, BenchReport, BenchStop};
use nanokmc::model::{Action, BarrierRule, Model, RateLaw, SiteMatch};
use nanokmc::potential::{self, Potential};
use nanokmc::units::{self, Dimension};

/// Help text appended to every `--help`.
const EXIT_CODES: &str = "Exit codes: 0 success; 1 run-time failure; 2 bad input \
(bad arguments, unreadable or invalid scenario, potential, checkpoint or trajectory file, \
malformed quantity, out-of-range value); 3 run interrupted by SIGTERM/SIGINT or the \
walltime, with a checkpoint written (continue with `nanokmc run --resume`).";

/// The default benchmark potential (linear energy), relative to the current directory.
const LINEAR_POTENTIAL: &str = "potentials/bench_diffusion.toml";
/// The benchmark potential with the coordination-table (nonlinear) energy.
const NONLINEAR_POTENTIAL: &str = "potentials/bench_diffusion_nonlinear.toml";
/// Events per size when neither `--time` nor `--events` is given.
const DEFAULT_EVENTS: u64 = 1_000_000;
/// First word of the machine-readable line printed by `bench --single-size`.
const RESULT_TAG: &str = "nanokmc-bench-result";

/// Lattice kinetic Monte Carlo of nanocrystal transformations.
#[derive(Debug, Parser)]
#[command(name = "nanokmc", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario (or continue one from checkpoints) and write its HDF5 trajectory.
    ///
    /// SIGTERM or SIGINT (what Slurm sends before the end of a job) makes every replica
    /// finish its current event, write a checkpoint `<trajectory>.ckpt`, flush its
    /// trajectory and exit with code 3; `--resume` continues bit for bit.
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),
    /// Check a scenario and its potential, build the system and print what would run.
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Describe a trajectory file: scenario, seed, version, frames, time span, counts.
    #[command(after_help = EXIT_CODES)]
    Info(InfoArgs),
    /// Export frames of a trajectory as extended XYZ (OVITO, ASE) or an XDMF sidecar
    /// (`ParaView`, `VisIt`).
    #[command(after_help = EXIT_CODES)]
    Export(ExportArgs),
    /// Draw synthetic HAADF-STEM images (and EDS-like colour maps) of trajectory frames as
    /// PNG files and an animated GIF, with scale bar, time and temperature (docs/render.md).
    #[command(after_help = EXIT_CODES)]
    Render(RenderArgs),
    /// Plot observables of a trajectory (or the columns of a CSV file) against time or
    /// temperature, as PNG or SVG.
    #[command(after_help = EXIT_CODES)]
    Plot(PlotArgs),
    /// Measure the `[[analysis]]` observables (composition, clusters, voids, shape, facets,
    /// fluxes, phases; see docs/analysis.md) of every frame of a trajectory, streaming frame
    /// by frame.
    ///
    /// The entries come from the scenario stored in the trajectory, or from `--spec FILE`.
    /// Without `--out` or `--into-h5md` the CSV goes to standard output.
    Analyze(AnalyzeArgs),
    /// Time the SPPARKS `diffusion linear hop` benchmark on periodic fcc crystals.
    ///
    /// Each size runs in its own child process (so that peak memory is per size) and
    /// prints one line: sites, vacancies, events, wall seconds, events/s, hops per vacancy
    /// per unit of simulated time, engine bytes per site and peak RSS per site (Linux).
    #[command(after_help = EXIT_CODES)]
    Bench(BenchArgs),
    /// Read and compile a potential file and print a summary of the model.
    #[command(after_help = EXIT_CODES)]
    CheckPotential(CheckPotentialArgs),
    /// Check the physics claims of a folder (`validation/`): run each claim's scenario,
    /// measure, compare with the reported value, and write a report (docs/validation.md).
    ///
    /// Exit code 0 only when every claim passes; 1 when one fails or is skipped (a skipped
    /// claim needs an observable or scenario table this build does not have).
    #[command(after_help = EXIT_CODES)]
    Validate(crate::validate_command::ValidateArgs),
    /// Run a sweep file (or a scenario with its own `[sweep]` block): a scenario over values
    /// of its inputs (lists, ranges, grids) with replicas per point, on a thread pool, as a
    /// Slurm job array (`--slurm`) or over MPI ranks (`mpirun -n N nanokmc sweep`, build
    /// feature `mpi`), with a manifest; a rerun skips complete runs and continues
    /// interrupted ones (docs/cluster.md).
    #[command(after_help = EXIT_CODES)]
    Sweep(crate::sweep_command::SweepArgs),
    /// Merge the runs of a sweep: per point, the mean, standard error and per-replica values
    /// of every observable (HDF5), a CSV summary and a plot per observable against the
    /// swept value.
    #[command(after_help = EXIT_CODES)]
    Merge(crate::sweep_command::MergeArgs),
}

/// Options of `nanokmc bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Potential file (relative to the current directory) [default:
    /// `potentials/bench_diffusion.toml`].
    #[arg(long, value_name = "PATH", conflicts_with = "nonlinear")]
    pub potential: Option<PathBuf>,
    /// Shortcut for `--potential potentials/bench_diffusion_nonlinear.toml`.
    #[arg(long)]
    pub nonlinear: bool,
    /// Crystal sizes L (L×L×L conventional cells, 4 L³ sites), comma-separated.
    #[arg(
        long,
        value_name = "L,...",
        value_delimiter = ',',
        default_value = "14,29,63"
    )]
    pub cells: Vec<usize>,
    /// Probability that a site is vacant.
    #[arg(long, value_name = "F", default_value_t = 0.01)]
    pub vacancy_fraction: f64,
    /// Temperature, a quantity with its unit ("4 eV" means `k_B·T` = 4 eV; "300 K").
    #[arg(long, value_name = "QUANTITY", default_value = "4 eV")]
    pub temperature: String,
    /// Simulated time per size [s] (timed part, after the warm-up).
    #[arg(long, value_name = "SECONDS", conflicts_with = "events")]
    pub time: Option<f64>,
    /// Events per size (timed part) [default: 1000000 when --time is not given].
    #[arg(long, value_name = "N")]
    pub events: Option<u64>,
    /// Untimed events executed before the timer starts.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub warmup_events: u64,
    /// Seed of the vacancy placement and of the simulation.
    #[arg(long, default_value_t = 20_261_122)]
    pub seed: u64,
    /// Temperature ramp: relative change of T per simulated second (0 = hold), to measure
    /// the cost of exact time stepping under a ramp against a hold.
    #[arg(long, value_name = "PER_SECOND", default_value_t = 0.0)]
    pub ramp: f64,
    /// Internal: run this one size in this process and print a machine-readable line.
    #[arg(long, value_name = "L", hide = true)]
    pub single_size: Option<usize>,
}

/// Options of `nanokmc check-potential`.
#[derive(Debug, Args)]
pub struct CheckPotentialArgs {
    /// The potential file.
    pub file: PathBuf,
}

/// Marks an error as caused by user input (exit code 2) when attached as context.
#[derive(Debug)]
pub struct BadInput(pub String);

impl std::error::Error for BadInput {}

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A child benchmark process failed with this exit code (its message is on stderr).
#[derive(Debug)]
struct ChildFailed {
    cells: usize,
    code: Option<i32>,
}

impl std::fmt::Display for ChildFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(
                f,
                "benchmark of L = {} failed (exit code {code})",
                self.cells
            ),
            None => write!(f, "benchmark of L = {} was killed by a signal", self.cells),
        }
    }
}

impl std::error::Error for ChildFailed {}

/// The exit code for `error`: 2 for bad input (a [`BadInput`] context or a library error
/// with [`nanokmc::Error::is_input_error`]), the child's code for a failed child, else 1.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        if let Some(child) = cause.downcast_ref::<ChildFailed>() {
            return child
                .code
                .and_then(|c| u8::try_from(c).ok())
                .filter(|&c| c != 0)
                .unwrap_or(1);
        }
        if let Some(e) = cause.downcast_ref::<nanokmc::Error>()
            && e.is_input_error()
        {
            return 2;
        }
    }
    if error.downcast_ref::<BadInput>().is_some() {
        return 2;
    }
    1
}

/// Parses the command line, runs the command, prints any error as `error: …` with its
/// causes to stderr and returns the exit code (see the module documentation).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {}", error_message(&error));
            ExitCode::from(exit_code(&error))
        }
    }
}

/// `error` and its causes joined by `: `, skipping a cause whose text the message already
/// contains (library errors such as `Io` print their source themselves).
pub(crate) fn error_message(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
}

/// Runs one parsed command line.
///
/// # Errors
/// Whatever the command reports; classify with [`exit_code`]. On success, the exit code
/// (0, or 3 for an interrupted run).
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Run(args) => run_run(&args),
        Command::Check(args) => run_check(&args).map(|()| 0),
        Command::Info(args) => run_info(&args).map(|()| 0),
        Command::Export(args) => run_export(&args).map(|()| 0),
        Command::Render(args) => run_render(&args).map(|()| 0),
        Command::Plot(args) => run_plot(&args).map(|()| 0),
        Command::Analyze(args) => run_analyze(&args).map(|()| 0),
        Command::Bench(args) => run_bench(&args).map(|()| 0),
        Command::CheckPotential(args) => run_check_potential(&args).map(|()| 0),
        Command::Validate(args) => crate::validate_command::run_validate(&args),
        Command::Sweep(args) => crate::sweep_command::run_sweep(&args),
        Command::Merge(args) => crate::sweep_command::run_merge(&args),
    }
}

// ---------------------------------------------------------------------------------------
// bench

impl BenchArgs {
    fn potential_path(&self) -> PathBuf {
        match (&self.potential, self.nonlinear) {
            (Some(p), _) => p.clone(),
            (None, true) => PathBuf::from(NONLINEAR_POTENTIAL),
            (None, false) => PathBuf::from(LINEAR_POTENTIAL),
        }
    }

    fn stop(&self) -> BenchStop {
        match (self.time, self.events) {
            (Some(t), _) => BenchStop::Time(t),
            (None, Some(n)) => BenchStop::Events(n),
            (None, None) => BenchStop::Events(DEFAULT_EVENTS),
        }
    }

    fn config(&self, cells: usize) -> Result<BenchConfig> {
        let temperature = units::parse_quantity(&self.temperature, Dimension::Temperature)
            .context("option --temperature")?;
        Ok(BenchConfig {
            potential: self.potential_path(),
            cells,
            vacancy_fraction: self.vacancy_fraction,
            temperature,
            stop: self.stop(),
            seed: self.seed,
            warmup_events: self.warmup_events,
            ramp: self.ramp,
        })
    }
}

fn run_bench(args: &BenchArgs) -> Result<()> {
    if let Some(cells) = args.single_size {
        let report = bench::run(&args.config(cells)?)
            .with_context(|| format!("benchmark of L = {cells}"))?;
        outln!("{}", encode_report(&report));
        return Ok(());
    }
    if args.cells.is_empty() {
        return Err(anyhow!(BadInput(
            "option --cells: give at least one size".into()
        )));
    }
    // Check the input once here, so that bad input fails before any child starts.
    let path = args.potential_path();
    let probe = args.config(args.cells[0])?;
    let (potential, _) = bench::prepare(&probe).context(BadInput("benchmark setup".into()))?;
    let absolute = std::fs::canonicalize(&path)
        .map_err(|e| anyhow!(BadInput(format!("{}: {e}", path.display()))))?;

    let stop = match probe.stop {
        BenchStop::Time(t) => format!("{t} s simulated"),
        BenchStop::Events(n) => format!("{n} events"),
    };
    outln!(
        "# nanokmc bench: model `{}` ({}), f = {}, T = {} ({:.6} K), {stop} per size after {} warm-up events, seed {}",
        potential.model.name,
        path.display(),
        args.vacancy_fraction,
        args.temperature,
        probe.temperature,
        args.warmup_events,
        args.seed
    );
    for &cells in &args.cells {
        let report = run_child(args, &absolute, cells)?;
        outln!("{}", format_report(cells, &report));
    }
    Ok(())
}

/// Runs one size in a child process (this executable with `--single-size`) and parses its
/// result line.
fn run_child(args: &BenchArgs, potential: &Path, cells: usize) -> Result<ChildReport> {
    let exe = std::env::current_exe().context("locating the nanokmc executable")?;
    let mut command = std::process::Command::new(exe);
    command
        .arg("bench")
        .arg("--single-size")
        .arg(cells.to_string())
        .arg("--potential")
        .arg(potential)
        .arg("--vacancy-fraction")
        .arg(args.vacancy_fraction.to_string())
        .arg("--temperature")
        .arg(&args.temperature)
        .arg("--warmup-events")
        .arg(args.warmup_events.to_string())
        .arg("--seed")
        .arg(args.seed.to_string())
        .arg("--ramp")
        .arg(args.ramp.to_string());
    match args.stop() {
        BenchStop::Time(t) => command.arg("--time").arg(t.to_string()),
        BenchStop::Events(n) => command.arg("--events").arg(n.to_string()),
    };
    command.stderr(std::process::Stdio::inherit());
    let output = command
        .output()
        .with_context(|| format!("starting the benchmark of L = {cells}"))?;
    if !output.status.success() {
        return Err(ChildFailed {
            cells,
            code: output.status.code(),
        }
        .into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with(RESULT_TAG))
        .ok_or_else(|| anyhow!("benchmark of L = {cells} printed no result line"))?;
    decode_report(line).with_context(|| format!("reading the result of L = {cells}: `{line}`"))
}

/// The fields of a [`BenchReport`] the table shows, as sent by a child process.
#[derive(Debug, Clone, PartialEq)]
struct ChildReport {
    sites: u64,
    vacancies: u64,
    events: u64,
    simulated_time: f64,
    seconds: f64,
    events_per_second: f64,
    hops_per_vacancy: f64,
    engine_bytes_per_site: f64,
    peak_bytes_per_site: Option<f64>,
}

/// The machine-readable line of one size: `nanokmc-bench-result key=value ...`.
fn encode_report(r: &BenchReport) -> String {
    let peak = r
        .peak_rss_bytes_per_site
        .map_or_else(|| "none".to_string(), |p| p.to_string());
    format!(
        "{RESULT_TAG} sites={} vacancies={} events={} simulated_time={} seconds={} events_per_second={} hops_per_vacancy={} engine_bytes_per_site={} peak_bytes_per_site={peak}",
        r.info.sites,
        r.info.vacancies,
        r.events,
        r.simulated_time,
        r.wall_seconds,
        r.events_per_second,
        r.hops_per_vacancy_per_time,
        r.engine_bytes_per_site,
    )
}

fn decode_report(line: &str) -> Result<ChildReport> {
    let mut fields = std::collections::HashMap::new();
    for pair in line.split_whitespace().skip(1) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| anyhow!("field `{pair}` is not key=value"))?;
        fields.insert(key, value);
    }
    let text = |key: &str| {
        fields
            .get(key)
            .copied()
            .ok_or_else(|| anyhow!("missing field `{key}`"))
    };
    let int =
        |key: &str| -> Result<u64> { text(key)?.parse().with_context(|| format!("field `{key}`")) };
    let float =
        |key: &str| -> Result<f64> { text(key)?.parse().with_context(|| format!("field `{key}`")) };
    let peak = match text("peak_bytes_per_site")? {
        "none" => None,
        _ => Some(float("peak_bytes_per_site")?),
    };
    Ok(ChildReport {
        sites: int("sites")?,
        vacancies: int("vacancies")?,
        events: int("events")?,
        simulated_time: float("simulated_time")?,
        seconds: float("seconds")?,
        events_per_second: float("events_per_second")?,
        hops_per_vacancy: float("hops_per_vacancy")?,
        engine_bytes_per_site: float("engine_bytes_per_site")?,
        peak_bytes_per_site: peak,
    })
}

/// One table line, e.g. `L 63  sites 1000188  vacancies 10012  events 3000000  seconds
/// 1.05  2851000 events/s  simulated 2.65 s  hops/vacancy/s 11.30  engine 41.2 B/site  peak
/// 58.3 B/site`.
fn format_report(cells: usize, r: &ChildReport) -> String {
    let mut line = format!(
        "L {cells}  sites {}  vacancies {}  events {}  seconds {:.2}  {:.0} events/s  simulated {:.4} s  hops/vacancy/s {:.3}  engine {:.1} B/site",
        r.sites,
        r.vacancies,
        r.events,
        r.seconds,
        r.events_per_second,
        r.simulated_time,
        r.hops_per_vacancy,
        r.engine_bytes_per_site,
    );
    match r.peak_bytes_per_site {
        Some(p) => {
            let _ = write!(line, "  peak {p:.1} B/site");
        }
        None => line.push_str("  peak n/a"),
    }
    line
}

// ---------------------------------------------------------------------------------------
// check-potential

/// Reads a potential file; any failure is bad input.
fn read_potential(path: &Path) -> Result<Potential> {
    potential::read(path)
        .map_err(anyhow::Error::from)
        .context(BadInput("reading the potential file".into()))
}

fn run_check_potential(args: &CheckPotentialArgs) -> Result<()> {
    let potential = read_potential(&args.file)?;
    out!("{}", potential_summary(&args.file, &potential));
    Ok(())
}

fn site_match(model: &Model, m: SiteMatch) -> String {
    match m.kind {
        Some(k) => format!(
            "{}@{}",
            model.species.name(m.species),
            model.kinds[k.index()].name
        ),
        None => model.species.name(m.species).to_string(),
    }
}

fn barrier_rule_name(rule: BarrierRule) -> &'static str {
    match rule {
        BarrierRule::KangWeinberg => "kang_weinberg",
        BarrierRule::Uphill => "uphill",
        BarrierRule::Fixed => "fixed",
    }
}

/// A human-readable summary of a compiled potential.
fn potential_summary(path: &Path, potential: &Potential) -> String {
    let model = &potential.model;
    let mut out = String::new();
    let _ = writeln!(out, "{}: model `{}`", path.display(), model.name);
    if !potential.description.is_empty() {
        let _ = writeln!(out, "  description: {}", potential.description);
    }
    if !potential.source.is_empty() {
        let _ = writeln!(out, "  source: {}", potential.source);
    }

    let _ = writeln!(out, "species ({}):", model.species.len());
    for (_, s) in model.species.iter() {
        let _ = writeln!(
            out,
            "  {} (element {}, mass {} u)",
            s.name, s.element, s.mass
        );
    }

    let _ = writeln!(out, "phases ({}):", potential.phases.len());
    for p in &potential.phases {
        let parameters: Vec<String> = p
            .parameters
            .iter()
            .map(|(n, v)| format!("{n} = {v}"))
            .collect();
        let roles: Vec<String> = p
            .roles
            .iter()
            .map(|(r, k)| format!("{r}→{}", model.kinds[k.index()].name))
            .collect();
        let fill: Vec<String> = p
            .fill
            .iter()
            .map(|(r, s)| format!("{r}→{}", model.species.name(*s)))
            .collect();
        let _ = writeln!(
            out,
            "  {} ({}; {}; roles {}; fill {})",
            p.name,
            p.structure,
            parameters.join(", "),
            roles.join(", "),
            if fill.is_empty() {
                "none".to_string()
            } else {
                fill.join(", ")
            }
        );
    }

    let _ = writeln!(out, "site kinds ({}):", model.kinds.len());
    for k in &model.kinds {
        let allowed: Vec<&str> = k.allowed.iter().map(|s| model.species.name(s)).collect();
        let _ = writeln!(out, "  {}: allowed {}", k.name, allowed.join(", "));
    }

    let _ = writeln!(out, "shells ({}):", model.shells.len());
    for shell in &model.shells {
        let pairs: Vec<String> = shell
            .pairs
            .iter()
            .map(|p| {
                format!(
                    "{}–{} {}..{} Å",
                    model.kinds[p.kinds.0.index()].name,
                    model.kinds[p.kinds.1.index()].name,
                    p.min,
                    p.max
                )
            })
            .collect();
        let _ = writeln!(out, "  {}: {}", shell.name, pairs.join("; "));
    }

    let energy = &model.energy;
    let _ = writeln!(
        out,
        "energy: {} bond shell(s), {} coordination term(s); interaction range {} hop(s)",
        energy.bonds.len(),
        energy.coordination.len(),
        model.interaction_range()
    );

    let generated = model
        .rules
        .iter()
        .filter(|r| r.reverse_of.is_some())
        .count();
    let _ = writeln!(
        out,
        "rules ({}, of which {generated} generated reverse rules):",
        model.rules.len()
    );
    for rule in &model.rules {
        let _ = writeln!(out, "  {}", rule_summary(model, rule));
    }
    out
}

/// One line describing `rule`: name, action, rate law with its parameters, and whether it
/// is a generated reverse rule.
fn rule_summary(model: &Model, rule: &nanokmc::model::Rule) -> String {
    let action = match rule.action {
        Action::Swap {
            shell,
            mover,
            target,
        } => format!(
            "swap {} ↔ {} in shell {}",
            site_match(model, mover),
            site_match(model, target),
            model.shells[shell.index()].name
        ),
        Action::Remove { site } => format!("remove {}", site_match(model, site)),
        Action::Add { species, kind } => format!(
            "add {} on {}",
            model.species.name(species),
            kind.map_or("any kind", |k| model.kinds[k.index()].name.as_str())
        ),
        Action::Change { site, to } => format!(
            "change {} into {}",
            site_match(model, site),
            model.species.name(to)
        ),
        Action::RemovePair {
            shell,
            first,
            second,
        } => format!(
            "remove molecule {} + {} in shell {}",
            site_match(model, first),
            site_match(model, second),
            model.shells[shell.index()].name
        ),
        Action::AddPair {
            shell,
            first,
            second,
        } => format!(
            "add molecule {} + {} in shell {}",
            site_match(model, first),
            site_match(model, second),
            model.shells[shell.index()].name
        ),
        Action::ClusterMove(c) => {
            format!(
                "cluster move of {} clusters of {}..={} atoms (linked in shell {}) by the vectors of shell {}, size term {} eV × f(n), p = {}",
                c.motif
                    .iter()
                    .map(|s| model.species.name(s))
                    .collect::<Vec<_>>()
                    .join("+"),
                c.min_size,
                c.max_size,
                model.shells[c.connect.index()].name,
                model.shells[c.shell.index()].name,
                c.size_energy,
                c.size_power
            ) + &c.merge_min_gain.map_or(String::new(), |g| {
                format!("; merges into contact (one-way) when ΔE ≤ −{g} eV")
            })
        }
    };
    let law = match rule.law {
        RateLaw::Thermal {
            prefactor,
            migration_energy,
            barrier_rule,
            reference_energy,
        } => format!(
            "thermal: prefactor {prefactor} /s, E_m {migration_energy} eV, barrier rule {}, reference energy {reference_energy} eV",
            barrier_rule_name(barrier_rule)
        ),
        RateLaw::Beam { cross_section } => format!("beam: cross-section {cross_section} Å²"),
        RateLaw::BeamProcess { process } => format!("beam: {}", process.describe()),
    };
    let reverse = rule
        .reverse_of
        .map(|i| format!(" [generated reverse of `{}`]", model.rules[i].name))
        .unwrap_or_default();
    format!(
        "{}{reverse}: {action}; {law}; {} saddle term(s), {} condition(s)",
        rule.name,
        rule.saddle.len(),
        rule.conditions.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_line_round_trips() {
        let line = format!(
            "{RESULT_TAG} sites=10 vacancies=1 events=5 simulated_time=0.5 seconds=0.25 events_per_second=20 hops_per_vacancy=10 engine_bytes_per_site=40.5 peak_bytes_per_site=none"
        );
        let r = decode_report(&line).unwrap();
        assert_eq!(r.sites, 10);
        assert_eq!(r.peak_bytes_per_site, None);
        assert!(format_report(14, &r).contains("20 events/s"));
    }

    #[test]
    fn bad_quantity_is_input_error() {
        let error = units::parse_quantity("4 parsecs", Dimension::Temperature)
            .map_err(anyhow::Error::from)
            .context("option --temperature")
            .unwrap_err();
        assert_eq!(exit_code(&error), 2);
    }

    #[test]
    fn missing_potential_is_input_error() {
        let error = read_potential(Path::new("/nonexistent/potential.toml")).unwrap_err();
        assert_eq!(exit_code(&error), 2);
    }
}
